from __future__ import annotations

from django.db import models


class Example(models.Model):
    """One labelled answer: what the confidence model learns from.

    Labels come from the question bank's graders (source "auto") or from a reviewer's verdict ("review").
    The split is by bank question (every answer to one question lands in the same split), so no question
    is both learnt from and tested on."""

    class Source(models.TextChoices):
        AUTO = "auto"
        REVIEW = "review"

    class Split(models.TextChoices):
        TRAIN = "train"
        CALIBRATION = "calibration"
        TEST = "test"

    bank_question = models.ForeignKey(
        "chapters.Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="uq_examples"
    )
    answer = models.ForeignKey(
        "tutor.Answer", null=True, blank=True, on_delete=models.SET_NULL, related_name="uq_examples"
    )  # the student's answer a verdict was given on
    question_text = models.TextField()
    answer_text = models.TextField(blank=True)
    features = models.BinaryField()  # uq.features.Features.to_bytes()
    label = models.BooleanField()  # True: the answer is correct
    out_of_scope = models.BooleanField(default=False)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.AUTO)
    split = models.CharField(max_length=12, choices=Split.choices, default=Split.TRAIN)
    sample = models.PositiveSmallIntegerField(default=0)  # 0: the greedy answer; 1..: sampled answers
    grade_reason = models.CharField(max_length=300, blank=True)
    extra = models.JSONField(default=dict, blank=True)  # e.g. the semantic-entropy baseline's value and cost
    generator = models.CharField(max_length=120)
    embedder = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["generator", "split"])]

    def __str__(self) -> str:
        return f"{'✓' if self.label else '✗'} {self.question_text[:60]}"


class Head(models.Model):
    """A trained confidence model: weights, reducer, thresholds, metrics and where it came from.

    Workers score with the active head of their generator; activating one is an admin action."""

    version = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=40)  # vbll-disc | vbll-gen | logistic
    generator = models.CharField(max_length=120)
    embedder = models.CharField(max_length=200)
    blob = models.BinaryField()  # uq.head.save_head(...)
    thresholds = models.JSONField(default=dict)  # uq.calibration.Thresholds.to_dict()
    online = models.JSONField(default=dict)  # uq.calibration.OnlineState as a dict, updated by verdicts
    reference = models.JSONField(default=dict)  # per-signal (low, typical) values for the reasons
    metrics = models.JSONField(default=dict)
    provenance = models.JSONField(default=dict)  # command, settings, data hash, counts
    data_hash = models.CharField(max_length=64)
    active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["generator"], condition=models.Q(active=True), name="one_active_head_per_generator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.version}{' (active)' if self.active else ''}"


class TrainingRun(models.Model):
    """One run of train_uq (command or Celery task), so its progress can be watched."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=40, blank=True)  # collecting | fitting | calibrating
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    options = models.JSONField(default=dict)
    head = models.ForeignKey(Head, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"training run {self.pk} ({self.status})"


class ReviewItem(models.Model):
    """An answer in the reviewers' queue: flagged or withheld by the confidence model, or reported by the
    student who asked. A verdict closes it, becomes a label (``example``) and reaches the student."""

    class Status(models.TextChoices):
        OPEN = "open"
        REVIEWED = "reviewed"

    class Verdict(models.TextChoices):
        CORRECT = "correct"
        WRONG = "wrong"

    answer = models.OneToOneField("tutor.Answer", on_delete=models.CASCADE, related_name="review")
    book = models.ForeignKey("chapters.Book", on_delete=models.CASCADE, related_name="review_items")
    chapter = models.ForeignKey(
        "chapters.Chapter", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )  # of the section the student was reading, for the queue's filter
    flagged = models.BooleanField(default=False)
    abstained = models.BooleanField(default=False)
    reported = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    verdict = models.CharField(max_length=10, choices=Verdict.choices, blank=True)
    correction = models.TextField(blank=True)  # Markdown with math, shown to the student under the answer
    reviewer = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews_done"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    example = models.ForeignKey(Example, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"]), models.Index(fields=["book", "status"])]

    def __str__(self) -> str:
        return f"review of {self.answer} ({self.status})"

    @property
    def reasons(self) -> list[str]:
        """Why it is in the queue, in the words the queue shows."""
        named = (("flagged", self.flagged), ("withheld", self.abstained), ("reported", self.reported))
        return [name for name, present in named if present]


class ReviewEvent(models.Model):
    """The audit log of the queue: who opened or judged which item, when, and what they decided."""

    class Action(models.TextChoices):
        QUEUED = "queued"
        OPENED = "opened"
        VERDICT = "verdict"
        REFUSED = "refused"  # a verdict that came after another reviewer's

    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.actor or 'system'} {self.action} {self.item_id} at {self.created_at:%Y-%m-%d %H:%M}"
