"""Changes the tutor side makes: index builds (persist first, then enqueue on commit)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from chapters.models import Book, Section
from textbook.queue import QueueUnavailable, enqueue
from tutor.models import Answer, Conversation, Feedback, IndexBuild, Notification, Question
from tutor.types import AnswerResult

logger = logging.getLogger(__name__)


@transaction.atomic
def do_request_index_build(book: Book, trigger: str = "manual") -> IndexBuild:
    """Queue a rebuild of `book`'s index; a build still waiting in the queue absorbs new requests."""
    waiting = IndexBuild.objects.select_for_update().filter(book=book, status=IndexBuild.Status.QUEUED).first()
    if waiting is not None:
        return waiting
    build = IndexBuild.objects.create(book=book, trigger=trigger)
    transaction.on_commit(lambda: _send_build(build))
    return build


def _send_build(build: IndexBuild) -> None:
    from tutor.tasks import build_index

    try:
        enqueue(build_index, build.pk)
    except QueueUnavailable as exc:  # else the build would wait `queued` forever and absorb every new request
        do_fail_build(build, str(exc))


def do_start_build(build: IndexBuild) -> None:
    IndexBuild.objects.filter(pk=build.pk).update(status=IndexBuild.Status.RUNNING, started_at=timezone.now())


def do_record_progress(build: IndexBuild, done: int, total: int) -> None:
    IndexBuild.objects.filter(pk=build.pk).update(done=done, embedded=total)


def do_finish_build(build: IndexBuild, *, version: str, total: int, embedded: int) -> None:
    status = IndexBuild.Status.DONE if version else IndexBuild.Status.UNCHANGED
    IndexBuild.objects.filter(pk=build.pk).update(
        status=status, version=version, total=total, embedded=embedded, done=embedded, finished_at=timezone.now()
    )


def do_fail_build(build: IndexBuild, error: str) -> None:
    IndexBuild.objects.filter(pk=build.pk).update(
        status=IndexBuild.Status.FAILED, error=error[:2000], finished_at=timezone.now()
    )


def on_section_published(sender: Any, section: Any, revision: Any, **kwargs: Any) -> None:
    if settings.INDEX_ON_PUBLISH:
        do_request_index_build(section.book, trigger="publish")


# --- Questions and answers ------------------------------------------------------------------


class AskError(ValueError):
    """A question we refuse, with a message fit to show the student."""


class RateLimited(AskError):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def check_ask(user: Any, book: Book, text: str) -> str:
    """The cleaned question text; raises AskError saying what is wrong (and when to retry)."""
    if not (user.is_authenticated and user.has_perm("accounts.ask_tutor")):
        raise AskError("Log in with a student account to ask the tutor.")
    text = " ".join(text.split())
    if not text:
        raise AskError("Type a question first.")
    if len(text) > settings.TUTOR_MAX_QUESTION_CHARS:
        raise AskError(
            f"Questions can be at most {settings.TUTOR_MAX_QUESTION_CHARS} characters (yours has {len(text)})."
        )
    window = timezone.now() - timedelta(minutes=1)
    recent = list(
        Question.objects.filter(conversation__user=user, created_at__gte=window)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    if len(recent) >= settings.TUTOR_QUESTIONS_PER_MINUTE:
        wait = max(1, int((recent[0] + timedelta(minutes=1) - timezone.now()).total_seconds()) + 1)
        raise RateLimited(f"You have asked {len(recent)} questions in the last minute. Try again in {wait} s.", wait)
    return text


@transaction.atomic
def do_ask(
    user: Any, book: Book, text: str, *, section: Section | None = None, conversation: Conversation | None = None
) -> Answer:
    """Store the question and a queued answer, then send it to a GPU worker once committed."""
    text = check_ask(user, book, text)
    if conversation is None or conversation.user_id != user.pk or conversation.book_id != book.pk:
        conversation = Conversation.objects.create(
            user=user, book=book, title=text[:117] + ("…" if len(text) > 117 else "")
        )
    question = Question.objects.create(conversation=conversation, text=text, section=section)
    answer = Answer.objects.create(question=question)
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
    transaction.on_commit(lambda: _send_to_worker(answer))
    return answer


def _send_to_worker(answer: Answer) -> None:
    """Enqueue the answer's task; when the broker cannot take it the question stays stored and the answer
    fails at once (with a retry), instead of waiting `queued` for a task that was never sent."""
    from tutor.tasks import answer as answer_task

    try:
        enqueue(answer_task, answer.pk)
    except QueueUnavailable as exc:
        logger.warning("Could not enqueue answer %s: %s", answer.pk, exc)
        do_fail_answer(answer, str(exc))


def do_ask_from(user: Any, data: Mapping[str, Any]) -> Answer:
    """do_ask for what a page form, a websocket message or an API body sent: book slug, question,
    and optionally the section being read and the conversation to continue (ids; bad ones are ignored)."""
    slug = str(data.get("book", ""))
    book = Book.objects.filter(slug=slug).first()
    if book is None:
        raise AskError(f"No book {slug!r}. Open a book before asking the tutor.")
    # Only a published section: a draft's title would reach the prompt (and maybe the answer).
    section = Section.objects.filter(book=book, pk=int_or_none(data.get("section")), published__isnull=False).first()
    conversation = Conversation.objects.filter(user=user, pk=int_or_none(data.get("conversation"))).first()
    return do_ask(user, book, str(data.get("question", "")), section=section, conversation=conversation)


def int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def do_start_answer(answer: Answer) -> None:
    Answer.objects.filter(pk=answer.pk).update(
        status=Answer.Status.GENERATING, started_at=timezone.now(), attempts=F("attempts") + 1, text="", error=""
    )


def do_stream_text(answer: Answer, text: str, *, first: bool) -> None:
    """Persist the provisional text so far (a reconnecting browser replays it)."""
    fields: dict[str, Any] = {"text": text}
    if first:
        fields["first_token_at"] = timezone.now()
    Answer.objects.filter(pk=answer.pk).update(**fields)


@transaction.atomic
def do_finish_answer(answer: Answer, result: AnswerResult, *, index_version: str) -> Answer:
    """Store the finished answer; one the confidence model flagged or withheld goes to the review queue."""
    Answer.objects.filter(pk=answer.pk).update(
        status=Answer.Status.DONE,
        text=result.text,
        raw_text=result.raw_text,
        citations=[asdict(c) for c in result.citations],
        passages=[asdict(p) for p in result.passages],
        decision=result.decision,
        confidence=result.confidence,
        reason=result.score.reason if result.score else "",
        epistemic=result.score.epistemic if result.score else None,
        head_version=result.score.head if result.score else "",
        features=result.score.features if result.score and result.score.features else None,
        model_name=result.generation.model,
        index_version=index_version,
        tokens=len(result.generation.token_ids),
        stages=result.stage_timings(),
        finished_at=timezone.now(),
    )
    answer.refresh_from_db()
    if answer.decision in ("flag", "abstain"):
        from uq.reviews import do_queue_for_review

        do_queue_for_review(answer, flagged=answer.decision == "flag", abstained=answer.decision == "abstain")
    return answer


def do_fail_answer(answer: Answer, error: str) -> None:
    Answer.objects.filter(pk=answer.pk).exclude(status=Answer.Status.DONE).update(
        status=Answer.Status.FAILED, error=error[:2000], finished_at=timezone.now()
    )


# Seconds from the answer task's soft time limit (TUTOR_ANSWER_TIMEOUT) to its hard one, when Celery kills the
# process (settings.CELERY_TASK_ANNOTATIONS adds the same), and past that before the reaper calls it dead.
HARD_LIMIT_EXTRA = 15
REAP_MARGIN = 15


def answer_hard_limit() -> int:
    """Seconds after which Celery has killed any worker process still on an answer."""
    return int(settings.TUTOR_ANSWER_TIMEOUT) + HARD_LIMIT_EXTRA


def do_reap_stale_answers() -> int:
    """Fail answers no worker will finish, and tell the students watching them.

    `generating` longer than the task's hard time limit plus a margin: its worker died (a killed process
    leaves the row as it was; the broker redelivers the message only after its visibility timeout).
    `queued` longer than TUTOR_QUEUE_TIMEOUT: its message was lost (a broker restarted without persistence)
    or no worker consumes the `gpu` queue. Runs every REAPER_INTERVAL seconds (beat, or the embedded timer),
    after each answer and when a student's socket connects. Returns how many it failed."""
    now = timezone.now()
    dead = now - timedelta(seconds=answer_hard_limit() + REAP_MARGIN)
    lost = now - timedelta(seconds=settings.TUTOR_QUEUE_TIMEOUT)
    rules = [
        (Q(status=Answer.Status.GENERATING, started_at__lt=dead), "The tutor stopped before finishing."),
        (Q(status=Answer.Status.QUEUED, created_at__lt=lost), "The tutor did not get to this question in time."),
    ]
    reaped: list[int] = []
    with transaction.atomic():
        for rule, error in rules:
            ids = list(Answer.objects.select_for_update(skip_locked=True).filter(rule).values_list("pk", flat=True))
            Answer.objects.filter(rule, pk__in=ids).update(status=Answer.Status.FAILED, error=error, finished_at=now)
            reaped += ids
        if reaped:
            transaction.on_commit(lambda: _tell_failed(reaped))
    return len(reaped)


def _tell_failed(answer_ids: list[int]) -> None:
    from tutor import events

    for pk in answer_ids:
        events.send(Answer(pk=pk), "failed", error="The tutor could not answer this question.")


@transaction.atomic
def do_retry(answer: Answer) -> Answer:
    """Ask a failed question again (a new answer to the same question text)."""
    if answer.status != Answer.Status.FAILED:
        raise AskError("Only a failed answer can be retried.")
    Answer.objects.filter(pk=answer.pk).update(
        status=Answer.Status.QUEUED, text="", error="", finished_at=None, created_at=timezone.now()
    )
    transaction.on_commit(lambda: _send_to_worker(answer))
    answer.refresh_from_db()
    return answer


# --- Feedback and notifications ---------------------------------------------------------------


def check_owns_answer(user: Any, answer: Answer) -> None:
    """Only the student who asked rates or reports an answer (anyone else gets a 404 from the views)."""
    if not (user.is_authenticated and answer.question.conversation.user_id == user.pk):
        raise AskError("That answer is not yours.")


def do_rate(user: Any, answer: Answer, rating: str) -> Feedback:
    """Thumbs up, thumbs down, or "" to take the rating back."""
    check_owns_answer(user, answer)
    if rating not in ("", *Feedback.Rating.values):
        raise AskError("Rate an answer up or down.")
    if answer.status != Answer.Status.DONE:
        raise AskError("Wait for the answer to finish before rating it.")
    feedback, _ = Feedback.objects.update_or_create(answer=answer, defaults={"rating": rating})
    return feedback


def do_report(user: Any, answer: Answer, reason: str, comment: str = "") -> Feedback:
    """The student says the answer looks wrong: kept with their reason, and the answer goes to the reviewers."""
    check_owns_answer(user, answer)
    if reason not in Feedback.Reason.values:
        raise AskError("Say what looks wrong with the answer.")
    comment = comment.strip()
    if len(comment) > 1000:
        raise AskError(f"Keep the note to 1000 characters (yours has {len(comment)}).")
    if answer.status != Answer.Status.DONE:
        raise AskError("Wait for the answer to finish before reporting it.")
    from uq.reviews import do_queue_for_review

    with transaction.atomic():
        feedback, _ = Feedback.objects.update_or_create(
            answer=answer,
            defaults={
                "reason": reason,
                "comment": comment,
                "rating": Feedback.Rating.DOWN,
                "reported_at": timezone.now(),
            },
        )
        do_queue_for_review(answer, reported=True)
    return feedback


REVIEW_TITLES = {
    ("correct", False): "A reviewer checked your answer: it is correct",
    ("wrong", False): "A reviewer checked your answer: it is wrong",
    ("wrong", True): "A reviewer corrected your answer",
}


def do_notify_review(item: Any) -> Notification:
    """Tell the student who asked about a verdict on their answer: a notification now, a live event once
    committed (channel group ``user-<id>``, so every page they have open hears it)."""
    answer = item.answer
    user_id = answer.question.conversation.user_id
    title = REVIEW_TITLES[(item.verdict, bool(item.correction))]
    notification = Notification.objects.create(user_id=user_id, answer=answer, title=title)
    from tutor import events

    transaction.on_commit(lambda: events.notify_user(user_id, "review", answer=answer.pk, notification=notification.pk))
    return notification


def do_mark_read(user: Any, *, conversation: Conversation | None = None) -> int:
    """Mark the user's notifications read (all of them, or those about one conversation); how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if conversation is not None:
        unread = unread.filter(answer__question__conversation=conversation)
    return unread.update(read_at=timezone.now())
