from __future__ import annotations

import csv
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import perm_required
from analytics import actions, charts, queries, summaries
from analytics.models import GapReport
from chapters.models import Book
from uq import metrics, plots
from uq.actions import generator_name
from uq.models import Head, ReviewItem


def _book(request: HttpRequest, slug: str) -> Book:
    book = get_object_or_404(Book, slug=slug)
    actions.check_can_see_analytics(request.user, book)
    return book


def _target_risk() -> float:
    head = Head.objects.filter(generator=generator_name(), active=True).only("thresholds").first()
    return float(head.thresholds.get("alpha", settings.UQ_TARGET_RISK)) if head else settings.UQ_TARGET_RISK


@perm_required("accounts.view_analytics")
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The books whose analytics this instructor may see."""
    books = Book.objects.all()
    if not request.user.is_superuser:
        books = books.filter(Q(owner=request.user) | Q(editors=request.user)).distinct()
    rows = [(book, queries.overview(book)) for book in books]
    return render(request, "analytics/index.html", {"rows": rows})


@perm_required("accounts.view_analytics")
@require_GET
def book(request: HttpRequest, slug: str) -> HttpResponse:
    """Where students of one book struggle, how the tutor is doing, and what the book is missing."""
    item = _book(request, slug)
    sections = queries.section_stats(item)
    activity = queries.activity(item, sections)
    calibration = queries.calibration(item)
    alpha = _target_risk()
    context: dict[str, Any] = {
        "book": item,
        "overview": queries.overview(item),
        "sections": [row for row in sections if row.active],
        "quiet": sum(1 for row in sections if not row.active and row.published and row.section_id is not None),
        "activity": activity,
        "heat": zip([f"{r.chapter} › {r.title}" if r.chapter else r.title for r in activity.rows], activity.counts,
                    strict=True),
        "accuracy": queries.reviewed_accuracy(item),
        "alpha": alpha,
        "calibration": calibration,
        "report": GapReport.objects.filter(book=item).first(),
    }  # fmt: skip
    context["svgs"] = _svgs(activity, calibration, alpha)
    return render(request, "analytics/book.html", context)


def _svgs(activity: queries.Activity, calibration: queries.Calibration, alpha: float) -> dict[str, Any]:
    """The dashboard's charts; every label in them is escaped by the chart builders."""
    svgs: dict[str, str] = {}
    if activity.rows:
        svgs["heatmap"] = charts.heatmap_svg(
            [f"{r.chapter} › {r.title}" if r.chapter else r.title for r in activity.rows],
            activity.labels,
            activity.counts,
            title="Questions asked, by section",
            desc=f"Questions students asked the tutor per section and {activity.granularity}.",
        )
        svgs["decisions"] = charts.stacked_bars_svg(
            activity.labels,
            {queries.DECISION_WORDS[d]: v for d, v in activity.decisions.items()},
            title="What the tutor did with each question",
            desc=f"Answers shown, flagged, withheld and unscored per {activity.granularity}.",
            colours={queries.DECISION_WORDS[d]: c for d, c in charts.DECISION_COLOURS.items()},
        )
    if len(calibration) >= 2:
        bins = metrics.reliability(calibration.confidence, calibration.correct, bins=10)
        svgs["reliability"] = plots.reliability_svg(
            {"reviewed answers": bins}, title="Confidence against reviewers' verdicts"
        )
        trajectory = summaries.ece_trajectory(calibration.confidence, calibration.correct)
        if trajectory:
            svgs["ece"] = charts.line_svg(
                [(float(k), e) for k, e in trajectory],
                title="Calibration error as verdicts arrive",
                desc="Expected calibration error of the confidence among the first k reviewed answers.",
                x_title="reviewed answers",
                y_title="ECE",
                y_max=max(0.3, max(e for _, e in trajectory)),
            )
    return {name: mark_safe(svg) for name, svg in svgs.items()}  # noqa: S308 - built from escaped labels and numbers


CSV_TABLES = ("sections", "activity", "reviews", "gaps")


@perm_required("accounts.view_analytics")
@require_GET
def export(request: HttpRequest, slug: str, table: str) -> HttpResponse:
    """The dashboard's tables as CSV (no student is named in any of them)."""
    item = _book(request, slug)
    if table not in CSV_TABLES:
        raise Http404("No such table.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{item.slug}-{table}.csv"'
    writer = csv.writer(response)
    for row in _table(item, table):
        writer.writerow(row)
    return response


def _table(book: Book, table: str) -> list[list[Any]]:
    if table == "sections":
        rows: list[list[Any]] = [["chapter", "section", "asked", "flagged", "withheld", "reported", "reviewed",
                                  "reviewed_wrong", "quiz_attempts", "quiz_wrong"]]  # fmt: skip
        for r in queries.section_stats(book):
            rows.append([r.chapter, r.title, r.asked, r.flagged, r.withheld, r.reported, r.reviewed,
                         r.reviewed_wrong, r.quiz_attempts, r.quiz_wrong])  # fmt: skip
        return rows
    if table == "activity":
        activity = queries.activity(book, queries.section_stats(book))
        rows = [[activity.granularity, *queries.DECISIONS]]
        for j, start in enumerate(activity.periods):
            rows.append([start.isoformat(), *(activity.decisions[d][j] for d in queries.DECISIONS)])
        return rows
    if table == "reviews":
        rows = [["reviewed_at", "decision", "confidence", "verdict", "corrected", "reasons"]]
        reviewed = ReviewItem.objects.filter(book=book, status=ReviewItem.Status.REVIEWED).select_related("answer")
        for item in reviewed.order_by("reviewed_at", "pk"):
            rows.append([item.reviewed_at.isoformat() if item.reviewed_at else "", item.answer.decision,
                         item.answer.confidence, item.verdict, int(bool(item.correction)), " ".join(item.reasons)])  # fmt: skip
        return rows
    report = GapReport.objects.filter(book=book, status=GapReport.Status.DONE).first()
    rows = [["group", "size", "nearest_section", "similarity", "covered", "question"]]
    for n, cluster in enumerate(report.clusters if report else []):
        for question in cluster["questions"]:
            rows.append([n + 1, cluster["size"], cluster["section_title"], cluster["similarity"],
                         int(cluster["covered"]), question])  # fmt: skip
    return rows


@perm_required("accounts.view_analytics")
@require_http_methods(["GET", "POST"])
def gaps(request: HttpRequest, slug: str) -> HttpResponse:
    """POST: look for content gaps now (a task on the `default` queue). GET (htmx): the gaps panel, polled while
    a report is being made."""
    item = _book(request, slug)
    if request.method == "POST":
        actions.do_request_gap_report(item, request.user)
        if not request.htmx:
            messages.success(request, "Looking for gaps; this page shows the result when it is ready.")
            return redirect("analytics:book", item.slug)
    report = GapReport.objects.filter(book=item).first()
    return render(request, "analytics/book.html#gaps", {"book": item, "report": report})


@perm_required("accounts.view_analytics")
@require_POST
def gap_section(request: HttpRequest, slug: str, report: int, number: int) -> HttpResponse:
    """Turn one group of unanswered questions into a draft section and open it in the editor."""
    item = _book(request, slug)
    found = get_object_or_404(GapReport, pk=report, book=item)
    try:
        section = actions.do_draft_section_from_gap(found, number, request.user)
    except actions.GapError as exc:
        messages.error(request, str(exc))
        return redirect("analytics:book", item.slug)
    messages.success(
        request, f"Drafted “{section.title}” in {section.chapter.title}; it stays a draft until you publish it."
    )
    return redirect("chapters:section_edit", section.pk)
