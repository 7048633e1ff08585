from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_alice_logs_in_and_out(client: Client, student: User) -> None:
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("account")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("account")).status_code == 302


def test_a_wrong_password_says_so(client: Client, student: User) -> None:
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_logout_is_not_a_link_a_third_party_can_trigger(client: Client, student: User) -> None:
    client.force_login(student)
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("account")).status_code == 200


def test_alice_changes_her_password(client: Client, student: User) -> None:
    client.force_login(student)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "an-even-longer-passphrase",
            "new_password2": "an-even-longer-passphrase",
        },
    )
    assert response.url == reverse("password_change_done")
    student.refresh_from_db()
    assert student.check_password("an-even-longer-passphrase")


def test_a_wrong_old_password_changes_nothing(client: Client, student: User) -> None:
    client.force_login(student)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "guess",
            "new_password1": "an-even-longer-passphrase",
            "new_password2": "an-even-longer-passphrase",
        },
    )
    assert "Your old password was entered incorrectly" in response.content.decode()
    student.refresh_from_db()
    assert student.check_password(PASSWORD)


def test_the_session_cookie_is_http_only_and_same_site(client: Client, student: User) -> None:
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE


def test_logging_in_gives_a_new_session_key(client: Client, student: User) -> None:
    """A session id planted before login (session fixation) is worth nothing after it."""
    planted = client.session
    planted["seen"] = True
    planted.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    assert client.session["seen"]  # the client really uses the planted session
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert client.session.session_key != planted.session_key
    assert client.session["_auth_user_id"] == str(student.pk)
