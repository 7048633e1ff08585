"""CSRF: every POST endpoint refuses a request without a token, and every form sends one.

The endpoints and a valid form for each come from the permission matrix (tests/web/test_permissions.py),
so a new POST row is checked here too. Each is posted by a persona the matrix says may do it, so the
403 can only come from the missing token.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from tests.web.test_permissions import POSTS, REFUSED, World, database_state, url_of
from tests.web.test_permissions import world as world  # the matrix's fixture, reused here

ROOT = Path(__file__).resolve().parents[2]
# The JSON API authenticates with a bearer token, never the session cookie, so a forged cross-site
# request carries no credential and CSRF protection does not apply (test_permissions checks the 401).
TOKEN_AUTH = {"tutor:api_ask"}


def allowed_persona(name: str) -> str:
    who = POSTS[name].who
    return next(p for p in ("staff", "instructor", "student", "anonymous") if who[p] not in REFUSED)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(set(POSTS) - TOKEN_AUTH))
def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(
    name: str, world: World, request: pytest.FixtureRequest
) -> None:
    persona = allowed_persona(name)
    client = Client(enforce_csrf_checks=True)
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    before = database_state()
    response = client.post(url_of(name, world), POSTS[name].data(world))
    assert response.status_code == 403, f"{persona} POST {name} without a token"
    assert database_state() == before


@pytest.mark.django_db
def test_a_token_from_another_session_is_refused(world: World, student: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    client.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32
    response = client.post(
        url_of("tutor:ask", world), {"book": "signals", "question": "q?", "csrfmiddlewaretoken": "b" * 32}
    )
    assert response.status_code == 403


def templates() -> list[Path]:
    return sorted(p for p in ROOT.glob("**/templates/**/*.html") if ".venv" not in p.parts and "var" not in p.parts)


POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']?post\b[^>]*>(.*?)</form>", re.IGNORECASE | re.DOTALL)


def test_the_template_scan_finds_the_forms() -> None:
    assert sum(len(POST_FORM.findall(path.read_text())) for path in templates()) >= 20


@pytest.mark.parametrize("path", templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_post_form_carries_a_csrf_token(path: Path) -> None:
    for body in POST_FORM.findall(path.read_text()):
        assert "{% csrf_token %}" in body, f"a POST form in {path.relative_to(ROOT)} has no {{% csrf_token %}}"


def test_htmx_requests_send_the_token_from_every_page() -> None:
    """hx-post from any page (the editor's live preview, the index button) sends the token as a header."""
    base = (ROOT / "templates" / "base.html").read_text()
    assert """<body hx-headers='{"X-CSRFToken": "{{ csrf_token }}"}'>""" in base
    for path in templates():
        text = path.read_text()
        if "hx-post" in text and "{% extends" in text:
            assert '{% extends "base.html" %}' in text, path
