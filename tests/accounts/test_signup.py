from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accounts.roles import roles_of

pytestmark = pytest.mark.django_db


def signup(client: Client, **overrides: str) -> object:
    data = {
        "username": "carol",
        "email": "",
        "password1": "a-long-new-passphrase",
        "password2": "a-long-new-passphrase",
    }
    return client.post(reverse("signup"), {**data, **overrides})


def test_a_new_visitor_signs_up_as_a_student_and_is_logged_in(client: Client) -> None:
    response = signup(client)
    assert response.status_code == 302
    carol = User.objects.get(username="carol")
    assert roles_of(carol) == ["student"]
    assert carol.has_perm("accounts.ask_tutor")
    assert not carol.has_perm("accounts.review_answers")
    home = client.get(reverse("chapters:library"))
    assert home.context["user"] == carol
    assert "You are signed up as a student" in home.content.decode()


def test_signup_follows_a_safe_next_but_not_an_offsite_one(client: Client) -> None:
    assert signup(client, next="/accounts/").url == "/accounts/"
    other = Client()
    assert signup(other, username="dave", next="https://evil.example/").url == reverse("chapters:library")


def test_mismatched_passwords_show_an_error_and_create_nobody(client: Client) -> None:
    response = signup(client, password2="something-else-entirely")
    assert response.status_code == 200
    assert "The two password fields didn" in response.content.decode()
    assert not User.objects.filter(username="carol").exists()


def test_a_taken_username_is_refused_with_a_message(client: Client, student: User) -> None:
    response = signup(client, username=student.username)
    assert "A user with that username already exists." in response.content.decode()


def test_a_signed_in_user_is_sent_home_from_signup(client: Client, student: User) -> None:
    client.force_login(student)
    assert client.get(reverse("signup")).url == reverse("chapters:library")
