from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import perm_required
from chapters.markdown import render_markdown
from tutor.rendering import answer_anchor_prefix, correction_html
from uq import actions, evaluation, reviews
from uq.forms import QueueFilter, VerdictForm
from uq.models import Example, Head, ReviewItem, TrainingRun

QUEUE_PAGE_SIZE = 25


def queue_items() -> QuerySet[ReviewItem]:
    return ReviewItem.objects.select_related(
        "answer__question__conversation__user",
        "answer__question__section__chapter",
        "book",
        "chapter",
        "reviewer",
        "answer__feedback",
    )


@perm_required("accounts.review_answers")
@require_GET
def review(request: HttpRequest) -> HttpResponse:
    """The queue: flagged, withheld and reported answers, filtered, sorted and paged (htmx swaps the results)."""
    form = QueueFilter(request.GET or None)
    errors = [] if not form.is_bound or form.is_valid() else [e for errs in form.errors.values() for e in errs]
    items = form.apply(queue_items()) if form.is_bound and not errors else QueueFilter().apply(queue_items())
    page = Paginator(items, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page:
        item.student = reviews.student_name(item, request.user)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "errors": errors,
        "page": page,
        "query": query.urlencode(),
        "waiting": ReviewItem.objects.filter(status=ReviewItem.Status.OPEN).count(),
    }
    template = "uq/review.html#results" if request.htmx and not request.htmx.boosted else "uq/review.html"
    return render(request, template, context)


def _item_or_404(pk: int) -> ReviewItem:
    return get_object_or_404(queue_items(), pk=pk)


def _next_open(item: ReviewItem, query: str) -> ReviewItem | None:
    """The next waiting item after ``item`` in the order the queue (with these filters) shows."""
    form = QueueFilter(QueryDict(query))
    form.is_valid()
    items = form.apply(queue_items()).filter(status=ReviewItem.Status.OPEN).exclude(pk=item.pk)
    return items.first()


@perm_required("accounts.review_answers")
@require_GET
def review_item(request: HttpRequest, pk: int) -> HttpResponse:
    """One queued answer with everything needed to judge it: what was asked and read, what the tutor was shown,
    what it said, and why the confidence model doubted it."""
    item = _item_or_404(pk)
    reviews.do_open_review(item, request.user)
    query = request.GET.get("q", "")
    return render(request, "uq/review_item.html", _item_context(request, item, VerdictForm(), query))


def _item_context(request: HttpRequest, item: ReviewItem, form: VerdictForm, query: str) -> dict[str, Any]:
    answer = item.answer
    return {
        "item": item,
        "answer": answer,
        "question": answer.question,
        "student": reviews.student_name(item, request.user),
        "passages": answer.passages,
        "signals": reviews.signal_readings(answer),
        "answer_html": mark_safe(render_markdown(answer.text, anchor_prefix=answer_anchor_prefix(answer.pk)).html),  # noqa: S308
        "correction_html": correction_html(item),
        "form": form,
        "query": query,
        "next_item": _next_open(item, query) if item.status == ReviewItem.Status.REVIEWED else None,
        "events": item.events.select_related("actor")[:20],
    }


@perm_required("accounts.review_answers")
@require_POST
def review_verdict(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark an item correct, wrong, or wrong with a correction; then on to the next waiting item."""
    item = _item_or_404(pk)
    form = VerdictForm(request.POST)
    query = request.POST.get("q", "")
    from_list = request.POST.get("from") == "list"
    if form.is_valid():
        try:
            reviews.do_review(
                item, request.user, verdict=form.cleaned_data["verdict"], correction=form.cleaned_data["correction"]
            )
        except reviews.ReviewError as exc:
            if request.htmx and from_list:
                item.refresh_from_db()
                return _list_row(request, item, error=str(exc))
            messages.error(request, str(exc))
            status = 409 if isinstance(exc, reviews.ReviewConflict) else 400
            item.refresh_from_db()
            return render(request, "uq/review_item.html", _item_context(request, item, form, query), status=status)
    else:
        errors = " ".join(e for errs in form.errors.values() for e in errs)
        if request.htmx and from_list:
            return _list_row(request, item, error=errors)
        return render(request, "uq/review_item.html", _item_context(request, item, form, query), status=400)
    if request.htmx and from_list:
        return _list_row(request, item)
    messages.success(request, f"Marked {item.verdict}. The student has been told.")
    if from_list:
        return HttpResponseRedirect(f"{reverse('uq:review')}?{query}")
    following = _next_open(item, query)
    if following is None:
        return HttpResponseRedirect(f"{reverse('uq:review')}?{query}")
    return HttpResponseRedirect(f"{reverse('uq:review_item', args=[following.pk])}?{urlencode({'q': query})}")


def _list_row(request: HttpRequest, item: ReviewItem, error: str = "") -> HttpResponse:
    item = _item_or_404(item.pk)
    item.student = reviews.student_name(item, request.user)  # type: ignore[attr-defined]
    return render(request, "uq/review.html#row", {"item": item, "row_error": error, "query": request.POST.get("q", "")})


@perm_required("accounts.review_answers")
@require_POST
def review_preview(request: HttpRequest) -> HttpResponse:
    """The correction as the student will see it (htmx, while the reviewer types)."""
    text = request.POST.get("correction", "")[: reviews.MAX_CORRECTION_CHARS]
    html = mark_safe(render_markdown(text, anchor_prefix="review-preview-").html)  # noqa: S308 - sanitised
    return render(request, "uq/review_item.html#preview", {"correction_html": html})


@perm_required("accounts.review_answers", "accounts.view_analytics")
def confidence(request: HttpRequest) -> HttpResponse:
    """The confidence model: the active head, its thresholds and its latest evaluation against the baselines."""
    generator = actions.generator_name()
    heads = list(Head.objects.filter(generator=generator).defer("blob")[:20])
    active = next((h for h in heads if h.active), None)
    report = (active.metrics or {}).get("evaluation") if active else None
    columns = evaluation.COLUMNS
    rows = []
    if report:
        for name, row in report["methods"].items():
            rows.append((name, evaluation.cells(row)))
    # The SVGs are written by uq.plots from numbers, with every label escaped.
    svgs = {k: mark_safe(v) for k, v in (report or {}).get("svg", {}).items()}  # noqa: S308
    labels = dict(
        Example.objects.filter(generator=generator)
        .values_list("source")
        .annotate(n=Count("pk"))
        .values_list("source", "n")
    )
    return render(
        request,
        "uq/confidence.html",
        {
            "generator": generator,
            "heads": heads,
            "active": active,
            "report": report,
            "columns": columns,
            "rows": rows,
            "svgs": svgs,
            "run": TrainingRun.objects.first(),
            "labels": labels,
            "refit_every": settings.UQ_MIN_NEW_LABELS,
        },
    )


@perm_required("uq.add_trainingrun")
@require_POST
def train(request: HttpRequest) -> HttpResponse:
    """Staff start train_uq on the `gpu` queue (answers the whole bank: an hour or more on a CPU)."""
    try:
        run = actions.do_start_training(activate=request.POST.get("activate") == "1")
    except actions.TrainingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Training run {run.pk} queued; this page shows its progress.")
    return HttpResponseRedirect(reverse("uq:confidence"))
