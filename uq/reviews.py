"""The review queue's actions: what enters it, what a reviewer may see, and what a verdict does.

An answer enters the queue when the confidence model flags or withholds it, or when the student who asked
reports it. A reviewer's verdict closes the item once — a second reviewer who was looking at the same item is
told who got there first — becomes a label for the confidence model (``uq.actions.do_record_verdict``), and
reaches the student as a note under the answer and a notification, live when they are online.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from uq.models import ReviewEvent, ReviewItem

MAX_CORRECTION_CHARS = 10_000


class ReviewError(ValueError):
    """A verdict we refuse, with a message fit to show the reviewer."""


class ReviewConflict(ReviewError):
    """Another reviewer judged the item first."""


def pseudonym(user_id: int) -> str:
    """A stable name for a student that says nothing about who they are (keyed by SECRET_KEY)."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"pseudonym:{user_id}".encode(), hashlib.sha256).hexdigest()
    return f"Student {digest[:6].upper()}"


def student_name(item: ReviewItem, viewer: Any) -> str:
    """The asker's user name for the book's own instructors, a pseudonym for every other reviewer."""
    student = item.answer.question.conversation.user
    return student.username if item.book.can_edit(viewer) else pseudonym(student.pk)


def check_can_review(user: Any) -> None:
    if not (user.is_authenticated and user.has_perm("accounts.review_answers")):
        raise PermissionDenied("Only reviewers work the review queue.")


def do_queue_for_review(
    answer: Any, *, flagged: bool = False, abstained: bool = False, reported: bool = False
) -> ReviewItem:
    """Put ``answer`` in the queue (or add a reason to its item). A reviewed item stays closed: a later report
    is only logged, since its verdict already reached the student."""
    reasons = {"flagged": flagged, "abstained": abstained, "reported": reported}
    with transaction.atomic():
        question = answer.question
        section = question.section
        item, created = ReviewItem.objects.select_for_update().get_or_create(
            answer=answer,
            defaults={
                "book_id": question.conversation.book_id,
                "chapter_id": section.chapter_id if section is not None else None,
                **reasons,
            },
        )
        if not created:
            changed = {name: True for name, present in reasons.items() if present and not getattr(item, name)}
            if changed and item.status == ReviewItem.Status.OPEN:
                ReviewItem.objects.filter(pk=item.pk).update(**changed)
                for name in changed:
                    setattr(item, name, True)
        ReviewEvent.objects.create(
            item=item, action=ReviewEvent.Action.QUEUED, detail={"reasons": [k for k, v in reasons.items() if v]}
        )
    return item


def do_open_review(item: ReviewItem, reviewer: Any) -> None:
    """A reviewer looked at an item: logged, like every review action."""
    check_can_review(reviewer)
    ReviewEvent.objects.create(item=item, actor=reviewer, action=ReviewEvent.Action.OPENED)


def check_verdict(verdict: str, correction: str) -> str:
    """The cleaned correction; raises ReviewError saying what is wrong with the verdict."""
    if verdict not in ReviewItem.Verdict.values:
        raise ReviewError("Choose correct or wrong.")
    correction = correction.strip()
    if correction and verdict != ReviewItem.Verdict.WRONG:
        raise ReviewError("A correction goes with a wrong verdict; mark the answer wrong to send one.")
    if len(correction) > MAX_CORRECTION_CHARS:
        raise ReviewError(
            f"Corrections can be at most {MAX_CORRECTION_CHARS} characters (yours has {len(correction)})."
        )
    return correction


def do_review(item: ReviewItem, reviewer: Any, *, verdict: str, correction: str = "") -> ReviewItem:
    """Close ``item`` with ``verdict`` ("correct" or "wrong", the latter optionally with a Markdown correction).

    One verdict per item: the update only applies to an open item, so of two reviewers submitting at once one
    wins and the other gets ReviewConflict naming the winner (and the refusal is logged). The verdict becomes a
    label, a notification for the student, and — once committed — a live event on the student's channel group
    and a task that teaches the confidence model."""
    check_can_review(reviewer)
    correction = check_verdict(verdict, correction)
    from tutor.actions import do_notify_review
    from uq.actions import do_record_verdict

    with transaction.atomic():
        closed = ReviewItem.objects.filter(pk=item.pk, status=ReviewItem.Status.OPEN).update(
            status=ReviewItem.Status.REVIEWED,
            verdict=verdict,
            correction=correction,
            reviewer=reviewer,
            reviewed_at=timezone.now(),
        )
        if closed:
            item.refresh_from_db()
            example = do_record_verdict(item.answer, correct=verdict == ReviewItem.Verdict.CORRECT)
            if example is not None:
                ReviewItem.objects.filter(pk=item.pk).update(example=example)
                item.example = example
            ReviewEvent.objects.create(
                item=item,
                actor=reviewer,
                action=ReviewEvent.Action.VERDICT,
                detail={"verdict": verdict, "correction": correction, "label": example.pk if example else None},
            )
            do_notify_review(item)
            return item
    item.refresh_from_db()
    ReviewEvent.objects.create(
        item=item, actor=reviewer, action=ReviewEvent.Action.REFUSED, detail={"verdict": verdict}
    )
    who = (
        "You" if item.reviewer_id == reviewer.pk else (item.reviewer.username if item.reviewer else "Another reviewer")
    )
    when = timezone.localtime(item.reviewed_at).strftime("%H:%M") if item.reviewed_at else "earlier"
    raise ReviewConflict(f"{who} already marked this answer {item.verdict} at {when}; your verdict was not saved.")


def signal_readings(answer: Any) -> list[Any]:
    """The confidence model's inputs for ``answer`` beside what correct training answers typically show, the
    most unusual first (``uq.policy.readings``); empty for an unscored answer."""
    from uq import policy
    from uq.features import Features
    from uq.models import Head

    if not answer.features:
        return []
    signals = Features.from_bytes(bytes(answer.features)).named_stats()
    if answer.epistemic is not None:
        signals["epistemic"] = float(answer.epistemic)
    record = Head.objects.filter(version=answer.head_version).only("reference").first()
    reference = {name: (float(pair[0]), float(pair[1])) for name, pair in (record.reference if record else {}).items()}
    return policy.readings(signals, reference)
