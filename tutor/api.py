"""The JSON API (`/api/v1/`) for scripts and learning platforms; personal tokens from the account page."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.actions import user_for_token
from chapters.models import Book, Section
from tutor import actions
from tutor.models import Answer
from tutor.rendering import citation_links, confidence_words, relevant_sections

MAX_WAIT_SECONDS = 60
View = Callable[..., Awaitable[JsonResponse]]


def error(message: str, status: int, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def token_required(view: View) -> View:
    @wraps(view)
    async def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() not in ("bearer", "token") or not key.strip():
            return error("Send your API token as 'Authorization: Bearer <token>' (make one on your account page).", 401)
        user = await sync_to_async(user_for_token)(key.strip())
        if user is None:
            return error("That API token is not valid.", 401)
        request.user = user
        return await view(request, *args, **kwargs)

    return wrapped


def only(method: str) -> Callable[[View], View]:
    """Answer any other method with a JSON 405 (so a POST to a read-only endpoint changes nothing, visibly)."""

    def decorator(view: View) -> View:
        @wraps(view)
        async def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            if request.method not in (method, "HEAD" if method == "GET" else method):
                response = error(f"Use {method}.", 405)
                response["Allow"] = method
                return response
            return await view(request, *args, **kwargs)

        return wrapped

    return decorator


ABSTAINED = "I'm not sure: I could not answer this reliably from the book. See relevant_sections."


def review_json(answer: Answer) -> dict[str, Any] | None:
    """A reviewer's verdict on the answer, once there is one (the correction as Markdown)."""
    from uq.models import ReviewItem

    item = ReviewItem.objects.filter(answer=answer, status=ReviewItem.Status.REVIEWED).first()
    if item is None:
        return None
    return {
        "verdict": item.verdict,
        "correction": item.correction or None,
        "reviewed_at": item.reviewed_at.isoformat() if item.reviewed_at else None,
    }


def answer_json(answer: Answer) -> dict[str, Any]:
    finished = answer.status == Answer.Status.DONE
    review = review_json(answer) if finished else None
    # A withheld answer a reviewer has confirmed correct is shown, as on the page.
    withheld = answer.withheld and not (review and review["verdict"] == "correct")
    return {
        "id": answer.pk,
        "status": answer.status,
        "question": answer.question.text,
        "book": answer.question.conversation.book.slug,
        "conversation": answer.question.conversation_id,
        # An abstained answer is withheld: the asker gets the abstention and the sections, never the text.
        "answer": ABSTAINED if withheld else answer.text,
        "withheld": withheld,
        "citations": [{"number": n, "section": title, "url": url} for n, title, url in citation_links(answer)]
        if finished and not withheld
        else [],
        "relevant_sections": [{"section": title, "url": url} for title, url in relevant_sections(answer)]
        if finished and withheld
        else [],
        "review": review,
        "decision": answer.decision or None,
        "confidence": answer.confidence,
        "confidence_words": confidence_words(answer) if finished else None,
        "reason": answer.reason or None,
        "timings": answer.timings(),
        "model": answer.model_name or None,
        "index_version": answer.index_version or None,
        "error": "The tutor could not answer this question." if answer.status == Answer.Status.FAILED else None,
    }


@csrf_exempt
@token_required
async def ask(request: HttpRequest) -> JsonResponse:
    """POST {"book": slug, "question": text, "section"?: id, "conversation"?: id} → 202 with the answer id."""
    if request.method != "POST":
        return error("Use POST.", 405)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return error("The body must be JSON.", 400)
    if not isinstance(body, dict):
        return error("The body must be a JSON object.", 400)
    try:
        answer = await sync_to_async(_ask)(request.user, body)
    except actions.RateLimited as exc:
        response = error(str(exc), 429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except actions.AskError as exc:
        return error(str(exc), 400)
    payload = await sync_to_async(answer_json)(answer)
    return JsonResponse({**payload, "url": f"/api/v1/answers/{answer.pk}"}, status=202)


def _ask(user: Any, body: dict[str, Any]) -> Answer:
    answer = actions.do_ask_from(user, body)
    return Answer.objects.select_related("question__conversation__book").get(pk=answer.pk)


@token_required
@only("GET")
async def answer(request: HttpRequest, pk: int) -> JsonResponse:
    """GET an answer; `?wait=N` (≤ 60) holds the request until it is done or failed."""
    try:
        wait = min(float(request.GET.get("wait", 0)), MAX_WAIT_SECONDS)
    except ValueError:
        return error("wait must be a number of seconds.", 400)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(0.0, wait)
    while True:
        found = await sync_to_async(_load)(request.user, pk)
        if found is None:
            return error("No such answer.", 404)
        if found.finished or loop.time() >= deadline:
            return JsonResponse(await sync_to_async(answer_json)(found))
        await asyncio.sleep(0.25)


def _load(user: Any, pk: int) -> Answer | None:
    return (
        Answer.objects.select_related("question__conversation__book")
        .filter(pk=pk, question__conversation__user=user)
        .first()
    )


@token_required
@only("GET")
async def books(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"books": await sync_to_async(_books)()})


def _books() -> list[dict[str, Any]]:
    published = Book.objects.filter(sections__published__isnull=False).distinct().order_by("title")
    return [
        {"slug": b.slug, "title": b.title, "description": b.description, "url": b.get_absolute_url()} for b in published
    ]


@token_required
@only("GET")
async def book(request: HttpRequest, slug: str) -> JsonResponse:
    found = await sync_to_async(_book)(slug)
    return JsonResponse(found) if found else error("No such book.", 404)


def _book(slug: str) -> dict[str, Any] | None:
    item = Book.objects.filter(slug=slug).first()
    if item is None:
        return None
    sections = Section.objects.filter(book=item, published__isnull=False).select_related("chapter", "published")
    chapters: dict[int, dict[str, Any]] = {}
    for section in sections.order_by("chapter__position", "position"):
        chapter = chapters.setdefault(
            section.chapter_id, {"slug": section.chapter.slug, "title": section.chapter.title, "sections": []}
        )
        title = section.published.title if section.published else section.title
        chapter["sections"].append(
            {
                "id": section.pk,
                "slug": section.slug,
                "title": title,
                "anchor": section.anchor,
                "url": section.get_absolute_url(),
            }
        )
    if not chapters:
        return None
    return {
        "slug": item.slug,
        "title": item.title,
        "description": item.description,
        "chapters": list(chapters.values()),
    }
