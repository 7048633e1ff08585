"""Who may do what: every URL × every persona, by GET and by POST, plus the admin and the websockets.

The personas (tests/conftest.py): anonymous; alice the student, who owns the conversation and answer
below; bob, another student; ines the instructor, who owns the book; otto, another instructor; rita
the reviewer; sam, staff (a superuser, so Django gives him every permission).

How to add a URL (two lines at most):

* ``EXPECTED[name] = (url kwargs, {persona: outcome of a GET})`` — every URL the resolver knows needs a
  row, or `test_the_matrix_covers_every_url` fails. In the kwargs, ``"pk": "theorem" | "chapter" |
  "question" | "conversation" | "answer" | "flagged" | "review" | "gap-report"`` stand for the ids of the
  world's objects (see `url_of`), in any kwarg.
* ``POSTS[name] = Post(data, {persona: outcome of a POST}, changes=...)`` — needed by every URL that
  takes a POST: `test_every_url_that_takes_a_post_has_a_post_row` POSTs to each URL without a row as
  staff, and anything but a 405 fails it. ``data(world)`` returns a *valid* form (so a refusal is about
  who asks, not what they sent); ``changes`` says whose allowed request changes the database (``True``:
  everyone allowed; ``False``: nobody, e.g. a preview; or a set of personas).

Outcomes: ``OK`` (200) or another status code; ``DONE`` (a redirect anywhere but the login page: it
worked); ``LOGIN`` (sent to log in); ``HOME`` (a signed-in visitor on a guests' page is sent to the
library). ``REFUSED`` outcomes must leave the database exactly as it was and queue no task. Every POST
goes through a client that enforces CSRF and sends a valid token; `test_csrf.py` checks the refusals
without one.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.actions import do_issue_api_token
from analytics.models import GapReport
from chapters import actions as chapter_actions
from chapters.bank import QuestionData
from chapters.models import Book
from tests.conftest import PERSONAS
from tests.factories import PASSWORD
from tests.images import png_bytes
from tutor.models import Answer, Conversation, Notification, Question
from uq.models import ReviewItem
from uq.reviews import do_queue_for_review

OK, DONE, LOGIN, HOME = 200, "done", "login", "home"
UNAUTHORIZED, FORBIDDEN, NOT_FOUND, NOT_ALLOWED = 401, 403, 404, 405
REFUSED = {LOGIN, HOME, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, NOT_ALLOWED}


def outcomes(default: object, *, anonymous: object = LOGIN, **who: object) -> dict[str, object]:
    """Every persona gets `default`, except anonymous and the ones named."""
    return {**dict.fromkeys(PERSONAS, default), "anonymous": anonymous, **who}


ANYONE = outcomes(OK, anonymous=OK)
SIGNED_IN = outcomes(OK)
GUESTS_ONLY = outcomes(HOME, anonymous=OK)
# Pages of Ines's book: she and staff may, Otto (another instructor) may not.
BOOK_AUTHORS = outcomes(FORBIDDEN, instructor=OK, staff=OK)
ANY_AUTHOR = {**BOOK_AUTHORS, "other_instructor": OK}
# POST-only endpoints answer a GET from an author with 405, after the same role check.
POST_ONLY = outcomes(FORBIDDEN, instructor=NOT_ALLOWED, other_instructor=NOT_ALLOWED, staff=NOT_ALLOWED)
REVIEWERS = outcomes(FORBIDDEN, reviewer=OK, staff=OK)
REVIEWERS_POST_ONLY = outcomes(FORBIDDEN, reviewer=NOT_ALLOWED, staff=NOT_ALLOWED)
ALICE_ONLY = outcomes(NOT_FOUND, student=OK)

BOOK = {"book_slug": "signals"}
SECTION = {"pk": "theorem"}  # replaced by the section's id at run time
CHAPTER = {"pk": "chapter"}
EXPECTED: dict[str, tuple[dict[str, object], dict[str, object]]] = {
    "healthz": ({}, ANYONE),
    "signup": ({}, GUESTS_ONLY),
    "login": ({}, GUESTS_ONLY),
    "logout": ({}, outcomes(NOT_ALLOWED, anonymous=NOT_ALLOWED)),  # POST only
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
    "chapters:quiz_answer": ({"pk": "question"}, outcomes(NOT_ALLOWED, anonymous=NOT_ALLOWED)),  # POST only
    "chapters:question_list": (BOOK, BOOK_AUTHORS),
    "chapters:question_new": (BOOK, BOOK_AUTHORS),
    "chapters:question_edit": ({**BOOK, "pk": "question"}, BOOK_AUTHORS),
    "tutor:index_status": (BOOK, BOOK_AUTHORS),
    "tutor:ask": ({}, outcomes(NOT_ALLOWED, anonymous=NOT_ALLOWED)),  # POST only
    # The JSON API takes tokens, not sessions: every persona without one gets 401 (API_TOKENS below).
    "tutor:api_ask": ({}, outcomes(UNAUTHORIZED, anonymous=UNAUTHORIZED)),
    "tutor:api_answer": ({"pk": "answer"}, outcomes(UNAUTHORIZED, anonymous=UNAUTHORIZED)),
    "tutor:api_books": ({}, outcomes(UNAUTHORIZED, anonymous=UNAUTHORIZED)),
    "tutor:api_book": ({"slug": "signals"}, outcomes(UNAUTHORIZED, anonymous=UNAUTHORIZED)),
    "tutor:conversations": ({}, SIGNED_IN),
    "tutor:conversation": ({"pk": "conversation"}, ALICE_ONLY),
    "uq:review": ({}, REVIEWERS),
    "uq:confidence": ({}, {**REVIEWERS, "instructor": OK, "other_instructor": OK}),
    "uq:train": ({}, outcomes(FORBIDDEN, staff=NOT_ALLOWED)),
    "uq:review_item": ({"pk": "review"}, REVIEWERS),
    "uq:review_verdict": ({"pk": "review"}, REVIEWERS_POST_ONLY),
    "uq:review_preview": ({}, REVIEWERS_POST_ONLY),
    "tutor:feedback": ({"pk": "flagged"}, outcomes(NOT_ALLOWED)),  # POST only
    "tutor:notifications": ({}, SIGNED_IN),
    "analytics:index": ({}, ANY_AUTHOR),
    "analytics:book": ({"slug": "signals"}, BOOK_AUTHORS),
    "analytics:gaps": ({"slug": "signals"}, BOOK_AUTHORS),
    "analytics:gap_section": ({"slug": "signals", "report": "gap-report", "number": 0}, POST_ONLY),
    "analytics:export": ({"slug": "signals", "table": "sections"}, BOOK_AUTHORS),
}


@dataclass(frozen=True)
class World:
    """What every matrix test starts from: Ines's book, Alice's conversation with a failed answer and a flagged
    one in the review queue (with a notification for her), and a content-gap report on the book."""

    book: Book
    conversation: Conversation
    answer: Answer
    flagged: Answer
    item: ReviewItem
    report: GapReport


@dataclass(frozen=True)
class Post:
    data: Callable[[World], dict[str, Any]]
    who: dict[str, object]
    changes: bool | frozenset[str] = True

    def changes_for(self, persona: str) -> bool:
        return self.changes if isinstance(self.changes, bool) else persona in self.changes


def course_zip(world: World) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("windows/1-windows.md", "# Windows\n\nA window tapers a block of samples.\n")
    return SimpleUploadedFile("windows.zip", buffer.getvalue(), content_type="application/zip")


def question_form(world: World, key: str = "q2") -> dict[str, Any]:
    return {
        "key": key,
        "type": "short",
        "text": "What does a sampler produce?",
        "sections": ["sampling/aliasing"],
        "difficulty": "1",
        "answer": "samples",
        "explanation": "A list of numbers.",
    }


NEW_PASSWORD = "an-even-longer-passphrase"
ASKERS = outcomes(DONE)  # everyone signed in has ask_tutor (staff as a superuser)
AUTHOR_DID = outcomes(FORBIDDEN, instructor=DONE, staff=DONE)
SIGNED_IN_PERSONAS = frozenset(PERSONAS) - {"anonymous"}
POSTS: dict[str, Post] = {
    "signup": Post(
        lambda w: {"username": "carol", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        outcomes(HOME, anonymous=DONE),
    ),
    "login": Post(lambda w: {"username": "alice", "password": PASSWORD}, outcomes(HOME, anonymous=DONE)),
    "logout": Post(lambda w: {}, outcomes(DONE, anonymous=DONE), changes=False),
    "account": Post(lambda w: {"token": "issue"}, SIGNED_IN),
    "password_change": Post(
        lambda w: {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        outcomes(DONE),
    ),
    "chapters:quiz_answer": Post(lambda w: {"answer": "samples"}, ANYONE, changes=SIGNED_IN_PERSONAS),
    "chapters:book_create": Post(
        lambda w: {"title": "Another book"}, outcomes(FORBIDDEN, instructor=DONE, other_instructor=DONE, staff=DONE)
    ),
    "chapters:import": Post(lambda w: {"archive": course_zip(w)}, ANY_AUTHOR),
    "chapters:author_book": Post(lambda w: {"title": "Signals", "description": "Renamed."}, AUTHOR_DID),
    "chapters:book_editors": Post(lambda w: {"username": "otto"}, AUTHOR_DID),
    "chapters:chapter_create": Post(lambda w: {"title": "Filters"}, AUTHOR_DID),
    "chapters:author_figures": Post(
        lambda w: {"image": SimpleUploadedFile("tone.png", png_bytes()), "name": ""}, AUTHOR_DID
    ),
    "chapters:chapter_update": Post(lambda w: {"title": "Sampling, revisited"}, AUTHOR_DID),
    "chapters:section_create": Post(lambda w: {"title": "Interpolation"}, AUTHOR_DID),
    "chapters:section_edit": Post(
        lambda w: {"title": "The sampling theorem", "body": "Sample fast.", "objectives": "", "message": "Shorter"},
        AUTHOR_DID,
    ),
    "chapters:section_preview": Post(lambda w: {"body": "Sample *fast*."}, BOOK_AUTHORS, changes=False),
    "chapters:section_action": Post(lambda w: {"action": "unpublish"}, AUTHOR_DID),
    "chapters:revision_restore": Post(lambda w: {}, AUTHOR_DID),
    "chapters:question_new": Post(question_form, AUTHOR_DID),
    "chapters:question_edit": Post(lambda w: question_form(w, key="q1"), AUTHOR_DID),
    "tutor:index_status": Post(lambda w: {}, BOOK_AUTHORS),
    "tutor:ask": Post(lambda w: {"book": "signals", "question": "Why sample at all?"}, ASKERS),
    # A session cookie is no API credential, so the API needs no CSRF token (API_TOKENS below).
    "tutor:api_ask": Post(
        lambda w: {"book": "signals", "question": "Why?"}, outcomes(UNAUTHORIZED, anonymous=UNAUTHORIZED)
    ),
    "uq:review_verdict": Post(lambda w: {"verdict": "correct"}, outcomes(FORBIDDEN, reviewer=DONE, staff=DONE)),
    "uq:review_preview": Post(lambda w: {"correction": "Sample above $2B$."}, REVIEWERS, changes=False),
    # Only the student who asked rates an answer; everyone else is told it does not exist.
    "tutor:feedback": Post(lambda w: {"rating": "up"}, outcomes(NOT_FOUND, student=DONE)),
    "tutor:notifications": Post(lambda w: {}, outcomes(DONE), changes=frozenset({"student"})),
    "analytics:gaps": Post(lambda w: {}, AUTHOR_DID),
    "analytics:gap_section": Post(lambda w: {}, AUTHOR_DID),
    "uq:confidence": Post(lambda w: {}, EXPECTED["uq:confidence"][1], changes=False),
    "uq:train": Post(lambda w: {"activate": "0"}, outcomes(FORBIDDEN, staff=DONE)),
}


# --- the world every row starts from -----------------------------------------------------------------


@pytest.fixture
def world(book: Book, student: User, instructor: User, other_instructor: User) -> World:
    """Otto exists so that Ines can add him as an author."""
    conversation = Conversation.objects.create(user=student, book=book, title="Alice's questions")
    question = Question.objects.create(conversation=conversation, text="How fast must I sample?")
    answer = Answer.objects.create(question=question, status=Answer.Status.FAILED, error="worker died")
    chapter_actions.do_upload_figure(book, None, SimpleUploadedFile("plot.png", png_bytes()))
    chapter_actions.do_save_question(
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
    theorem = book.sections.get(slug="the-sampling-theorem")
    chapter_actions.do_save_section(theorem, instructor, "The sampling theorem", "A second draft.", [], "r2")
    asked = Question.objects.create(conversation=conversation, text="Why alias?", section=theorem)
    flagged = Answer.objects.create(question=asked, status=Answer.Status.DONE, text="It folds [1].", decision="flag")
    item = do_queue_for_review(flagged, flagged=True)
    Notification.objects.create(user=student, answer=flagged, title="A reviewer checked your answer: it is correct")
    cluster = {"size": 2, "cohesion": 0.8, "similarity": 0.3, "covered": False, "section_id": theorem.pk,
               "section_title": "Sampling › The sampling theorem", "section_url": theorem.get_absolute_url(),
               "section_ref": "sampling/the-sampling-theorem", "questions": ["What is a wavelet?"], "answers": []}  # fmt: skip
    report = GapReport.objects.create(book=book, status=GapReport.Status.DONE, questions=2, clusters=[cluster])
    return World(book, conversation, answer, flagged, item, report)


def url_of(name: str, world: World) -> str:
    kwargs = dict(EXPECTED[name][0])
    placeholders: dict[str, Callable[[], int]] = {
        "theorem": lambda: world.book.sections.get(slug="the-sampling-theorem").pk,
        "chapter": lambda: world.book.chapters.get().pk,
        "question": lambda: world.book.questions.get(key="q1").pk,
        "conversation": lambda: world.conversation.pk,
        "answer": lambda: world.answer.pk,
        "flagged": lambda: world.flagged.pk,
        "review": lambda: world.item.pk,
        "gap-report": lambda: world.report.pk,
    }
    for key, value in kwargs.items():
        if isinstance(value, str) and value in placeholders:
            kwargs[key] = placeholders[value]()
    return reverse(name, kwargs=kwargs)


def database_state() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table (join tables too), sessions aside: logging in or out is not a change."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and model._meta.label != "sessions.Session":
            state[model._meta.label] = list(model._default_manager.order_by("pk").values())
    return state


def csrf_client(user: User | None) -> tuple[Client, str]:
    """A client that enforces CSRF, holding a valid token (cookie + the value a form would send)."""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    token = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    return client, token


def assert_outcome(response: Any, expected: object, context: str) -> None:
    if expected == LOGIN:
        assert response.status_code == 302, context
        assert response.url.startswith(reverse("login") + "?next="), context
    elif expected == HOME:
        assert response.status_code == 302, context
        assert response.url == reverse("chapters:library"), context
    elif expected == DONE:
        assert response.status_code == 302, context
        assert not response.url.startswith(reverse("login")), context
    else:
        assert response.status_code == expected, context


# --- GET ---------------------------------------------------------------------------------------------


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


def test_every_row_names_every_persona() -> None:
    for name, (_, who) in EXPECTED.items():
        assert set(who) == set(PERSONAS), name
    for name, post in POSTS.items():
        assert name in EXPECTED and set(post.who) == set(PERSONAS), name


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_persona_gets_what_the_matrix_says(
    client: Client, persona: tuple[str, User | None], name: str, world: World
) -> None:
    who, user = persona
    if user is not None:
        client.force_login(user)
    url = url_of(name, world)
    assert_outcome(client.get(url), EXPECTED[name][1][who], f"{who} GET {url}")


# --- POST --------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(set(EXPECTED) - set(POSTS)))
def test_every_url_that_takes_a_post_has_a_post_row(name: str, world: World, staff: User) -> None:
    client, token = csrf_client(staff)
    token_header = {"HTTP_AUTHORIZATION": f"Bearer {do_issue_api_token(staff)}"}  # past the API's 401
    response = client.post(url_of(name, world), {"csrfmiddlewaretoken": token}, **token_header)
    assert response.status_code == NOT_ALLOWED, f"{name} takes a POST: add its row to POSTS"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(POSTS))
def test_each_persona_posts_what_the_matrix_says(
    persona: tuple[str, User | None],
    name: str,
    world: World,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    who, user = persona
    client, token = csrf_client(user)
    row, url = POSTS[name], url_of(name, world)
    expected = row.who[who]
    before = database_state()
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(url, {**row.data(world), "csrfmiddlewaretoken": token})
    assert_outcome(response, expected, f"{who} POST {url}")
    if expected in REFUSED:
        assert database_state() == before, f"{who}'s refused POST {url} changed the database"
        assert not queued, f"{who}'s refused POST {url} queued work"
    elif row.changes_for(who):
        assert database_state() != before, f"{who} POST {url} should have changed something"
    else:
        assert database_state() == before, f"{who} POST {url} should change nothing"


# --- the JSON API, with each persona's own token ------------------------------------------------------

API_TOKENS = {
    # (method, url name, body): {persona: status}; anonymous has no token, so 401.
    ("post", "tutor:api_ask"): outcomes(202, anonymous=UNAUTHORIZED),
    ("get", "tutor:api_answer"): outcomes(NOT_FOUND, anonymous=UNAUTHORIZED, student=OK),
    ("get", "tutor:api_books"): outcomes(OK, anonymous=UNAUTHORIZED),
    ("get", "tutor:api_book"): outcomes(OK, anonymous=UNAUTHORIZED),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "name"), sorted(API_TOKENS))
def test_each_persona_with_a_token_gets_what_the_api_matrix_says(
    client: Client, persona: tuple[str, User | None], method: str, name: str, world: World
) -> None:
    who, user = persona
    headers = {} if user is None else {"HTTP_AUTHORIZATION": f"Bearer {do_issue_api_token(user)}"}
    url = url_of(name, world)
    if method == "post":
        body = {"book": "signals", "question": "Why sample at all?"}
        response = client.post(url, body, content_type="application/json", **headers)
    else:
        response = client.get(url, **headers)
    assert response.status_code == API_TOKENS[(method, name)][who], f"{who} {method} {url}"


# --- the admin -----------------------------------------------------------------------------------------


def admin_urls() -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        urls += [reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")]
    return urls


def admin_add_urls() -> list[str]:
    return [reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_add") for m in admin.site._registry]


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


@pytest.mark.django_db
@pytest.mark.parametrize("url", admin_add_urls())
def test_only_staff_can_post_to_the_admin(persona: tuple[str, User | None], url: str, world: World) -> None:
    who, user = persona
    client, token = csrf_client(user)
    before = database_state()
    response = client.post(url, {"csrfmiddlewaretoken": token, "name": "x", "username": "mallory"})
    sent_to_login = response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    if who == "staff":
        assert not sent_to_login  # the admin's own forms judge what he sent
    else:
        assert sent_to_login
        assert database_state() == before


# --- websockets ------------------------------------------------------------------------------------------

WEBSOCKETS = {
    "/ws/echo/": outcomes(OK, anonymous=4401),
    "/ws/tutor/": outcomes(OK, anonymous=4401),
    "/ws/notifications/": outcomes(OK, anonymous=4401),
}


def test_the_websocket_matrix_covers_every_route() -> None:
    from textbook.routing import websocket_urlpatterns

    assert {"/" + str(route.pattern) for route in websocket_urlpatterns} == set(WEBSOCKETS)


async def open_socket(path: str, user: User | None) -> Any:
    from channels.testing import WebsocketCommunicator

    from textbook.asgi import application

    communicator = WebsocketCommunicator(application, path, headers=[(b"origin", b"http://localhost")])
    if user is not None:
        communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", sorted(WEBSOCKETS))
async def test_each_persona_gets_what_the_websocket_matrix_says(persona: tuple[str, User | None], path: str) -> None:
    who, user = persona
    communicator = await open_socket(path, user)
    if WEBSOCKETS[path][who] == OK:
        assert await communicator.receive_nothing(timeout=0.2)
    else:
        assert await communicator.receive_output(timeout=2) == {
            "type": "websocket.close",
            "code": WEBSOCKETS[path][who],
        }
    await communicator.disconnect()


@pytest.fixture
def alices_answer(book: Book, student: User) -> Answer:
    conversation = Conversation.objects.create(user=student, book=book, title="Alice's questions")
    question = Question.objects.create(conversation=conversation, text="How fast must I sample?")
    return Answer.objects.create(question=question, status=Answer.Status.FAILED, error="worker died")


@pytest.mark.django_db(transaction=True)
async def test_bob_cannot_retry_alices_answer(alices_answer: Answer, other_student: User) -> None:
    bob = await open_socket("/ws/tutor/", other_student)
    await bob.send_json_to({"action": "retry", "answer": alices_answer.pk})
    assert "That answer is not yours to retry." in await bob.receive_from(timeout=5)
    await sync_to_async(alices_answer.refresh_from_db)()
    assert alices_answer.status == Answer.Status.FAILED
    await bob.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_bob_cannot_follow_alices_answer(alices_answer: Answer, other_student: User) -> None:
    from channels.layers import get_channel_layer

    await sync_to_async(Answer.objects.filter(pk=alices_answer.pk).update)(status=Answer.Status.GENERATING)
    bob = await open_socket("/ws/tutor/", other_student)
    assert await bob.receive_nothing(timeout=0.3)  # a reconnect replays only his own unfinished answers
    for attempt in ({"action": "retry", "answer": alices_answer.pk}, {"action": "follow", "answer": alices_answer.pk}):
        await bob.send_json_to(attempt)
        assert "tutor-error" in await bob.receive_from(timeout=5)
    await get_channel_layer().group_send(
        alices_answer.group, {"type": "answer.token", "answer": alices_answer.pk, "text": "Alice's private answer"}
    )
    assert await bob.receive_nothing(timeout=0.3)
    await bob.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_alice_does_follow_her_own_answer(alices_answer: Answer, student: User) -> None:
    """The test above could pass with a dead channel layer; here the same event reaches its owner."""
    from channels.layers import get_channel_layer

    await sync_to_async(Answer.objects.filter(pk=alices_answer.pk).update)(status=Answer.Status.GENERATING)
    alice = await open_socket("/ws/tutor/", student)
    assert f'id="answer-{alices_answer.pk}"' in await alice.receive_from(timeout=5)  # the replay
    await get_channel_layer().group_send(
        alices_answer.group, {"type": "answer.token", "answer": alices_answer.pk, "text": "Alice's private answer"}
    )
    assert "private answer" in await alice.receive_from(timeout=5)
    await alice.disconnect()
