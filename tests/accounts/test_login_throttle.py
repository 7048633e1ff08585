"""Someone guessing Alice's password is stopped after a few tries, with the time to wait; so is one
address guessing many accounts. Alice's own successful login clears her count."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits(settings: Settings) -> None:
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 5
    settings.LOGIN_FAILURE_WINDOW = 600


def log_in(username: str, password: str, address: str = "10.0.0.1", url: str = "/accounts/login/") -> object:
    return Client(REMOTE_ADDR=address).post(url, {"username": username, "password": password})


def test_after_three_wrong_passwords_even_the_right_one_waits(student: User) -> None:
    for _ in range(3):
        assert log_in("alice", "guess").status_code == 200
    response = log_in("alice", PASSWORD)
    assert response.status_code == 429
    assert 590 <= int(response["Retry-After"]) <= 601
    assert "Too many failed logins for this account. Try again in 10 minutes." in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session


def test_the_username_is_counted_whatever_its_case_and_wherever_from(student: User) -> None:
    for address, name in (("10.0.0.1", "alice"), ("10.0.0.2", "ALICE"), ("10.0.0.3", " Alice")):
        log_in(name, "guess", address)
    assert log_in("alice", PASSWORD, "10.0.0.4").status_code == 429


def test_one_address_guessing_many_accounts_is_stopped_and_others_are_not(student: User, other_student: User) -> None:
    for index in range(5):
        log_in(f"user{index}", "guess")
    assert log_in("bob", PASSWORD).status_code == 429
    assert "Too many failed logins for your network address" in log_in("bob", PASSWORD).content.decode()
    assert log_in("bob", PASSWORD, address="10.0.0.9").status_code == 302


def test_a_successful_login_clears_the_count(student: User) -> None:
    for _ in range(2):
        log_in("alice", "guess")
    assert log_in("alice", PASSWORD).status_code == 302
    for _ in range(2):
        log_in("alice", "guess")
    assert log_in("alice", PASSWORD).status_code == 302


def test_the_wait_ends_with_the_window(student: User, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(3):
        log_in("alice", "guess")
    assert log_in("alice", PASSWORD).status_code == 429
    later = time.time() + 601
    monkeypatch.setattr(time, "time", lambda: later)  # the cache's clock and the throttle's
    assert log_in("alice", PASSWORD).status_code == 302


def test_the_wait_is_said_in_seconds_near_its_end(student: User, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(3):
        log_in("alice", "guess")
    later = time.time() + 570
    monkeypatch.setattr(time, "time", lambda: later)
    body = log_in("alice", PASSWORD).content.decode()
    assert "Try again in 31 seconds." in body or "Try again in 30 seconds." in body


def test_the_admin_login_counts_and_refuses_the_same_way(student: User, staff: User) -> None:
    for _ in range(3):
        log_in("sam", "guess", url=reverse("admin:login"))
    response = log_in("sam", PASSWORD, url=reverse("admin:login"))
    assert response.status_code == 200  # the admin's own view; the form says why
    assert "Too many failed logins for this account." in response.content.decode()
    assert log_in("sam", PASSWORD).status_code == 429  # and the site's login shares the count


def test_the_limits_are_settings(settings: Settings, student: User) -> None:
    settings.LOGIN_MAX_FAILURES = 1
    log_in("alice", "guess")
    assert log_in("alice", PASSWORD).status_code == 429
