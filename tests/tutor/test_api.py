"""The JSON API: token auth, ask, wait for the answer, list books."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django.fixtures import Settings

from accounts.actions import do_issue_api_token
from chapters.models import Book
from tests.tutor.fakes import FakeGenerator

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(student: User) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {do_issue_api_token(student)}"}


def test_without_a_valid_token_the_api_says_how_to_get_one(client: Client, book: Book) -> None:
    response = client.get("/api/v1/books")
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["error"]
    assert client.get("/api/v1/books", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_alice_asks_and_waits_for_the_answer(
    client: Client, tutor: FakeGenerator, book: Book, api: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/ask",
        {"book": "signals", "question": "How fast must I sample?"},
        content_type="application/json",
        **api,
    )
    assert response.status_code == 202
    answer_id = response.json()["id"]
    done = client.get(f"/api/v1/answers/{answer_id}?wait=10", **api).json()
    assert done["status"] == "done"
    assert done["answer"] == "Sample faster than twice the bandwidth [1]."
    assert done["citations"][0]["url"].startswith("/books/signals/sampling/")
    assert done["decision"] == "unscored"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("not json", 400, "The body must be JSON."),
        ('["x"]', 400, "JSON object"),
        ('{"book": "nope", "question": "hi?"}', 400, "No book 'nope'"),
        ('{"book": "signals", "question": ""}', 400, "Type a question first."),
    ],
)
def test_bad_requests_get_clear_errors(
    client: Client, book: Book, api: dict[str, str], body: str, status: int, message: str
) -> None:
    response = client.post("/api/v1/ask", body, content_type="application/json", **api)
    assert response.status_code == status
    assert message in response.json()["error"]


def test_the_rate_limit_answers_429_with_retry_after(
    client: Client, tutor: FakeGenerator, book: Book, api: dict[str, str], settings: Settings
) -> None:
    settings.TUTOR_QUESTIONS_PER_MINUTE = 1
    client.post("/api/v1/ask", {"book": "signals", "question": "one?"}, content_type="application/json", **api)
    response = client.post(
        "/api/v1/ask", {"book": "signals", "question": "two?"}, content_type="application/json", **api
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_bob_cannot_read_alices_answer(
    client: Client, tutor: FakeGenerator, book: Book, api: dict[str, str], other_student: User
) -> None:
    answer_id = client.post(
        "/api/v1/ask", {"book": "signals", "question": "q?"}, content_type="application/json", **api
    ).json()["id"]
    bob = {"HTTP_AUTHORIZATION": f"Bearer {do_issue_api_token(other_student)}"}
    assert client.get(f"/api/v1/answers/{answer_id}", **bob).status_code == 404


def test_books_list_only_published_content(client: Client, book: Book, api: dict[str, str]) -> None:
    assert client.get("/api/v1/books", **api).json()["books"][0]["slug"] == "signals"
    detail = client.get("/api/v1/books/signals", **api).json()
    slugs = [s["slug"] for c in detail["chapters"] for s in c["sections"]]
    assert slugs == ["the-sampling-theorem", "aliasing"]
    assert client.get("/api/v1/books/nope", **api).status_code == 404


def test_the_account_page_issues_a_token_once_and_revokes_it(client: Client, student: User) -> None:
    client.force_login(student)
    html = client.post("/accounts/", {"token": "issue"}).content.decode()
    assert "shown only once" in html
    token = re.search(r'<code class="token">(tb_[\w-]+)</code>', html).group(1)
    later = client.get("/accounts/").content.decode()
    assert token not in later and token[:8] in later  # only its prefix is shown again
    client.post("/accounts/", {"token": "revoke"})
    assert not hasattr(User.objects.get(pk=student.pk), "api_token")
