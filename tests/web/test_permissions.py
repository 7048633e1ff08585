"""Who may open what: every URL of the site × every persona.

EXPECTED must name every URL the resolver knows (outside the admin, tested below), so a new
URL without a row here fails `test_the_matrix_covers_every_url`.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from chapters.actions import do_save_question, do_upload_figure
from chapters.bank import QuestionData
from chapters.models import Book
from tests.conftest import PERSONAS
from tests.images import png_bytes
from tutor.models import Answer, Conversation, Question
from uq.models import ReviewItem
from uq.reviews import do_queue_for_review

OK, LOGIN, HOME, FORBIDDEN, NOT_FOUND, NOT_ALLOWED = 200, "login", "home", 403, 404, 405
# staff is a superuser here, and Django gives a superuser every permission.
ANYONE = dict.fromkeys(PERSONAS, OK)
SIGNED_IN = {**ANYONE, "anonymous": LOGIN}
GUESTS_ONLY = {**dict.fromkeys(PERSONAS, HOME), "anonymous": OK}
# Pages of Ines's book: she and staff may, Otto (another instructor) may not.
BOOK_AUTHORS = {**dict.fromkeys(PERSONAS, FORBIDDEN), "anonymous": LOGIN, "instructor": OK, "staff": OK}
ANY_AUTHOR = {**BOOK_AUTHORS, "other_instructor": OK}
# POST-only endpoints answer a GET from an author with 405, after the same role check.
POST_ONLY = {
    **dict.fromkeys(PERSONAS, FORBIDDEN),
    "anonymous": LOGIN,
    "instructor": NOT_ALLOWED,
    "other_instructor": NOT_ALLOWED,
    "staff": NOT_ALLOWED,
}
REVIEWERS = {**dict.fromkeys(PERSONAS, FORBIDDEN), "anonymous": LOGIN, "reviewer": OK, "staff": OK}
REVIEWERS_POST_ONLY = {**REVIEWERS, "reviewer": NOT_ALLOWED, "staff": NOT_ALLOWED}

BOOK = {"book_slug": "signals"}
SECTION = {"pk": "theorem"}  # replaced by the section's id at run time
CHAPTER = {"pk": "chapter"}
EXPECTED: dict[str, tuple[dict[str, object], dict[str, object]]] = {
    "healthz": ({}, ANYONE),
    "signup": ({}, GUESTS_ONLY),
    "login": ({}, GUESTS_ONLY),
    "logout": ({}, dict.fromkeys(PERSONAS, NOT_ALLOWED)),  # POST only
    "account": ({}, SIGNED_IN),
    "password_change": ({}, SIGNED_IN),
    "password_change_done": ({}, SIGNED_IN),
    "chapters:library": ({}, ANYONE),
    "chapters:search": ({}, ANYONE),
    "chapters:demo": ({"name": "aliasing"}, ANYONE),
    "chapters:demo_svg": ({"name": "aliasing"}, ANYONE),
    "chapters:book": (BOOK, ANYONE),
    "chapters:figure": ({**BOOK, "name": "plot.png"}, ANYONE),
    "chapters:section": ({**BOOK, "chapter_slug": "sampling", "section_slug": "the-sampling-theorem"}, ANYONE),
    "chapters:author": ({}, ANY_AUTHOR),
    "chapters:book_create": ({}, POST_ONLY),
    "chapters:import": ({}, POST_ONLY),
    "chapters:author_book": (BOOK, BOOK_AUTHORS),
    "chapters:book_editors": (BOOK, POST_ONLY),
    "chapters:chapter_create": (BOOK, POST_ONLY),
    "chapters:author_figures": (BOOK, BOOK_AUTHORS),
    "chapters:export": (BOOK, BOOK_AUTHORS),
    "chapters:chapter_update": (CHAPTER, POST_ONLY),
    "chapters:section_create": (CHAPTER, POST_ONLY),
    "chapters:section_edit": (SECTION, BOOK_AUTHORS),
    "chapters:section_preview": (SECTION, POST_ONLY),
    "chapters:section_draft": (SECTION, BOOK_AUTHORS),
    "chapters:section_action": (SECTION, POST_ONLY),
    "chapters:section_history": (SECTION, BOOK_AUTHORS),
    "chapters:revision": ({**SECTION, "number": 1}, BOOK_AUTHORS),
    "chapters:revision_restore": ({**SECTION, "number": 1}, POST_ONLY),
    "chapters:quiz_answer": ({"pk": "question"}, dict.fromkeys(PERSONAS, NOT_ALLOWED)),  # POST only
    "chapters:question_list": (BOOK, BOOK_AUTHORS),
    "chapters:question_new": (BOOK, BOOK_AUTHORS),
    "chapters:question_edit": ({**BOOK, "pk": "question"}, BOOK_AUTHORS),
    "tutor:index_status": (BOOK, BOOK_AUTHORS),
    "tutor:ask": ({}, dict.fromkeys(PERSONAS, NOT_ALLOWED)),  # POST only
    # The JSON API takes tokens, not sessions: every persona without one gets 401.
    "tutor:api_ask": ({}, dict.fromkeys(PERSONAS, 401)),
    "tutor:api_answer": ({"pk": 1}, dict.fromkeys(PERSONAS, 401)),
    "tutor:api_books": ({}, dict.fromkeys(PERSONAS, 401)),
    "tutor:api_book": ({"slug": "signals"}, dict.fromkeys(PERSONAS, 401)),
    "tutor:conversations": ({}, SIGNED_IN),
    "tutor:conversation": (
        {"pk": "conversation"},
        {**dict.fromkeys(PERSONAS, NOT_FOUND), "anonymous": LOGIN, "student": OK},
    ),
    "uq:review": ({}, REVIEWERS),
    "uq:review_item": ({"pk": "review"}, REVIEWERS),
    "uq:review_verdict": ({"pk": "review"}, REVIEWERS_POST_ONLY),
    "uq:review_preview": ({}, REVIEWERS_POST_ONLY),
    "tutor:feedback": ({"pk": "answer"}, {**dict.fromkeys(PERSONAS, NOT_ALLOWED), "anonymous": LOGIN}),
    "tutor:notifications": ({}, SIGNED_IN),
    "analytics:index": ({}, ANY_AUTHOR),
    "analytics:book": ({"slug": "signals"}, BOOK_AUTHORS),
    "analytics:gaps": ({"slug": "signals"}, BOOK_AUTHORS),
    "analytics:gap_section": ({"slug": "signals", "report": 1, "number": 0}, POST_ONLY),
    "analytics:export": ({"slug": "signals", "table": "sections"}, BOOK_AUTHORS),
    "uq:confidence": ({}, {**REVIEWERS, "instructor": OK, "other_instructor": OK}),
    "uq:train": ({}, {**dict.fromkeys(PERSONAS, FORBIDDEN), "anonymous": LOGIN, "staff": NOT_ALLOWED}),
}


def url_names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            child = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= url_names(entry, child)
        elif isinstance(entry, URLPattern):
            assert entry.name, f"every URL needs a name so it can be tested: {entry.pattern}"
            names.add(namespace + entry.name)
    return names


def test_the_matrix_covers_every_url() -> None:
    assert url_names(get_resolver()) == set(EXPECTED)


def url_of(name: str, book: Book) -> str:
    kwargs = dict(EXPECTED[name][0])
    if kwargs.get("pk") == "theorem":
        kwargs["pk"] = book.sections.get(slug="the-sampling-theorem").pk
    elif kwargs.get("pk") == "chapter":
        kwargs["pk"] = book.chapters.get().pk
    elif kwargs.get("pk") == "question":
        kwargs["pk"] = book.questions.get().pk
    elif kwargs.get("pk") == "conversation":
        kwargs["pk"] = Conversation.objects.get().pk  # alice's
    elif kwargs.get("pk") == "answer":
        kwargs["pk"] = Answer.objects.get().pk  # alice's
    elif kwargs.get("pk") == "review":
        kwargs["pk"] = ReviewItem.objects.get().pk  # alice's answer, flagged
    return reverse(name, kwargs=kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_persona_gets_what_the_matrix_says(
    client: Client, persona: tuple[str, User | None], name: str, book: Book, student: User
) -> None:
    conversation = Conversation.objects.create(user=student, book=book, title="Alice's questions")
    answer = Answer.objects.create(
        question=Question.objects.create(conversation=conversation, text="Why alias?"), status="done", decision="flag"
    )
    do_queue_for_review(answer, flagged=True)
    do_upload_figure(book, None, SimpleUploadedFile("plot.png", png_bytes()))
    do_save_question(
        book,
        None,
        QuestionData(
            id="q1",
            type="short",
            text="What does a sampler produce?",
            chapter="sampling",
            sections=["aliasing"],
            answer="samples",
            explanation="A list of numbers.",
        ),
    )
    who, user = persona
    if user is not None:
        client.force_login(user)
    url = url_of(name, book)
    response = client.get(url)
    expected = EXPECTED[name][1][who]
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(reverse("login") + "?next=")
    elif expected == HOME:
        assert response.status_code == 302
        assert response.url == reverse("chapters:library")
    else:
        assert response.status_code == expected, f"{who} GET {url}"


def admin_urls() -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        urls += [reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")]
    return urls


@pytest.mark.django_db
@pytest.mark.parametrize("url", admin_urls())
def test_only_staff_get_into_the_admin(client: Client, persona: tuple[str, User | None], url: str) -> None:
    who, user = persona
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    if who == "staff":
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


WEBSOCKETS = {
    "/ws/echo/": {**dict.fromkeys(PERSONAS, OK), "anonymous": 4401},
    "/ws/tutor/": {**dict.fromkeys(PERSONAS, OK), "anonymous": 4401},
    "/ws/notifications/": {**dict.fromkeys(PERSONAS, OK), "anonymous": 4401},
}


def test_the_websocket_matrix_covers_every_route() -> None:
    from textbook.routing import websocket_urlpatterns

    assert {"/" + str(route.pattern) for route in websocket_urlpatterns} == set(WEBSOCKETS)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", sorted(WEBSOCKETS))
async def test_each_persona_gets_what_the_websocket_matrix_says(persona: tuple[str, User | None], path: str) -> None:
    from channels.testing import WebsocketCommunicator

    from textbook.asgi import application

    who, user = persona
    communicator = WebsocketCommunicator(application, path, headers=[(b"origin", b"http://localhost")])
    if user is not None:
        communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    if WEBSOCKETS[path][who] == OK:
        assert await communicator.receive_nothing(timeout=0.2)
    else:
        assert await communicator.receive_output(timeout=2) == {
            "type": "websocket.close",
            "code": WEBSOCKETS[path][who],
        }
    await communicator.disconnect()
