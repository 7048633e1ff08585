from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from accounts.decorators import perm_required
from uq import actions, evaluation
from uq.models import Head, TrainingRun


@perm_required("accounts.review_answers")
def review(request: HttpRequest) -> HttpResponse:
    return render(request, "uq/review.html")


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
