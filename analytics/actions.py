"""Changes the analytics app makes: queue a content-gap report, and turn a gap into a draft section."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from analytics.models import GapReport
from chapters.models import Book, Chapter, Section

MIN_GAP_QUESTIONS = 2


class GapError(ValueError):
    """Why a gap cannot be used, in words for the page."""


def check_can_see_analytics(user: Any, book: Book) -> None:
    """Instructors see the analytics of the books they write (staff see every book's)."""
    from django.core.exceptions import PermissionDenied

    if not (user.is_authenticated and user.has_perm("accounts.view_analytics") and book.can_edit(user)):
        raise PermissionDenied("Only the book's own instructors see its analytics.")


@transaction.atomic
def do_request_gap_report(book: Book, user: Any) -> GapReport:
    """Queue the gap finder for ``book``; a report still waiting absorbs new requests."""
    waiting = GapReport.objects.select_for_update().filter(book=book, status__in=["queued", "running"]).first()
    if waiting is not None:
        return waiting
    report = GapReport.objects.create(book=book, requested_by=user)
    from analytics.tasks import find_gaps
    from textbook.queue import enqueue

    transaction.on_commit(lambda: enqueue(find_gaps, report.pk))
    return report


def gap_of(report: GapReport, number: int) -> dict[str, Any]:
    if report.status != GapReport.Status.DONE or not 0 <= number < len(report.clusters):
        raise GapError("That group of questions is no longer in the latest report.")
    cluster: dict[str, Any] = report.clusters[number]
    return cluster


def draft_body(cluster: dict[str, Any]) -> str:
    """The stub a new section starts from: what students asked, for the instructor to answer in prose."""
    asked = "\n".join(f"    - {question}" for question in cluster["questions"])
    return (
        '!!! note "Drafted from students\' questions"\n'
        f"    Students asked the tutor {cluster['size']} questions like these, and the book did not answer them:\n\n"
        f"{asked}\n\n"
        "Write the section here; students see nothing until you publish it.\n"
    )


def do_draft_section_from_gap(report: GapReport, number: int, user: Any) -> Section:
    """A new draft section (unpublished) in the chapter of the gap's nearest section, or the book's last chapter."""
    from chapters.actions import do_create_section

    cluster = gap_of(report, number)
    book = report.book
    nearest = Section.objects.filter(book=book, pk=cluster.get("section_id")).select_related("chapter").first()
    chapter = (
        nearest.chapter if nearest is not None else Chapter.objects.filter(book=book).order_by("-position").first()
    )
    if chapter is None:
        raise GapError("The book has no chapter to put a new section in; add one first.")
    title = cluster["questions"][0].rstrip("?").strip()
    title = f"Draft: {title[:90]}{'…' if len(title) > 90 else ''}"
    return do_create_section(chapter, user, title, draft_body(cluster))
