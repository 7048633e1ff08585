from __future__ import annotations

import pytest
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
