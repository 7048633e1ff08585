"""Celery tasks of the analytics app: thin adapters over analytics.gaps."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from analytics.models import GapReport


@shared_task
def find_gaps(report_id: int) -> int:
    """Group a book's unanswered questions by meaning (queue `default`: it embeds them); returns the group count."""
    from analytics import gapfinding

    report = GapReport.objects.select_related("book").get(pk=report_id)
    GapReport.objects.filter(pk=report.pk).update(status=GapReport.Status.RUNNING)
    try:
        questions, clusters = gapfinding.clusters_for(report.book)
    except Exception as exc:
        GapReport.objects.filter(pk=report.pk).update(
            status=GapReport.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=timezone.now()
        )
        raise
    GapReport.objects.filter(pk=report.pk).update(
        status=GapReport.Status.DONE, questions=questions, clusters=clusters, finished_at=timezone.now()
    )
    return len(clusters)
