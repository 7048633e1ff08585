"""Celery tasks of the confidence app: thin adapters over uq.collect and uq.actions."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from uq import actions
from uq.models import Head, TrainingRun


@shared_task
def refit_head(head_id: int) -> str:
    """Refit a head on the labels gathered since (queue `gpu`: it loads torch); returns the new version, or ""
    when the refit waits for the head's own training answers (the reason is kept on the head)."""
    record = Head.objects.get(pk=head_id)
    try:
        return actions.do_refit_head(record).version
    except actions.RefitWaiting as waiting:
        Head.objects.filter(pk=record.pk).update(online={**record.online, "refit_waiting": str(waiting)})
        return ""


@shared_task
def learn_from_verdict(example_id: int) -> str:
    """Move the active head's threshold by one reviewer label and count it toward a refit (queue `default`:
    no weights are loaded); returns the head's version, or "" when its generator has no active head."""
    from uq.models import Example

    example = Example.objects.select_related("answer").get(pk=example_id)
    record = actions.do_learn_from_verdict(example)
    return record.version if record is not None else ""


@shared_task
def train(run_id: int) -> str:
    """train_uq as a task (queue `gpu`): collect answers, then fit, calibrate and save a head; the run's
    stage and done/total show its progress."""
    from chapters.models import Book
    from chapters.models import Question as BankQuestion
    from uq import collect

    run = TrainingRun.objects.get(pk=run_id)
    # A run outlasts the broker's visibility timeout on a CPU (about 70 minutes), so Redis may hand the task out
    # a second time while the first is still working: only the delivery that finds the run queued does it.
    started = TrainingRun.objects.filter(pk=run.pk, status=TrainingRun.Status.QUEUED).update(
        status=TrainingRun.Status.RUNNING, stage="collecting"
    )
    if not started:
        return ""
    try:
        book = Book.objects.get(pk=run.options["book"])
        questions = list(BankQuestion.objects.filter(book=book).order_by("pk"))
        collect.collect(
            book,
            questions,
            progress=lambda done, total: TrainingRun.objects.filter(pk=run.pk).update(done=done, total=total),
        )
        TrainingRun.objects.filter(pk=run.pk).update(stage="fitting")
        head = actions.do_train_head(activate=bool(run.options.get("activate")), log=lambda line: None)
    except Exception as exc:
        TrainingRun.objects.filter(pk=run.pk).update(
            status=TrainingRun.Status.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
        )
        raise
    TrainingRun.objects.filter(pk=run.pk).update(status=TrainingRun.Status.DONE, head=head, finished_at=timezone.now())
    return head.version
