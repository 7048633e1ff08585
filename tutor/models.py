from __future__ import annotations

from django.db import models

from chapters.models import Book


class IndexBuild(models.Model):
    """One (re)build of a book's retrieval index: what the instructor watches, and its history."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        UNCHANGED = "unchanged"
        FAILED = "failed"

    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="index_builds")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=20, default="manual")  # publish | manual | command
    total = models.PositiveIntegerField(default=0)  # chunks in the new index
    embedded = models.PositiveIntegerField(default=0)  # chunks that needed new embeddings
    done = models.PositiveIntegerField(default=0)  # embedded so far
    version = models.CharField(max_length=80, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.book} index build {self.pk} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if self.status in (self.Status.DONE, self.Status.UNCHANGED):
            return 100
        return int(100 * self.done / self.embedded) if self.embedded else 0


class Conversation(models.Model):
    """A student's thread of questions about one book."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="conversations")
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="conversations")
    title = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """What a student asked, kept before anything else happens (persist first, then enqueue)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField()
    section = models.ForeignKey(
        "chapters.Section", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )  # what the student was reading
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "student question"

    def __str__(self) -> str:
        return self.text[:80]


class Answer(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        GENERATING = "generating"
        SCORED = "scored"
        DONE = "done"
        FAILED = "failed"

    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="answer")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    text = models.TextField(blank=True)  # persisted as it streams; verified citations once done
    raw_text = models.TextField(blank=True)
    citations = models.JSONField(default=list, blank=True)  # [{number, section_id, section_title, anchor}]
    passages = models.JSONField(default=list, blank=True)  # what the model was shown
    decision = models.CharField(max_length=12, blank=True)  # answer | flag | abstain | unscored
    confidence = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)  # why the confidence model flagged or abstained
    epistemic = models.FloatField(null=True, blank=True)
    head_version = models.CharField(max_length=40, blank=True)  # the uq.Head that scored it
    features = models.BinaryField(null=True, blank=True, editable=False)  # what it scored, for later labels
    error = models.TextField(blank=True)
    model_name = models.CharField(max_length=120, blank=True)
    index_version = models.CharField(max_length=80, blank=True)
    tokens = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    stages = models.JSONField(default=dict, blank=True)  # the worker's own timings: AnswerResult.stage_timings()
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    first_token_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"answer {self.pk} ({self.status})"

    @property
    def group(self) -> str:
        """The channel group its events go to."""
        return f"answer-{self.pk}"

    @property
    def withheld(self) -> bool:
        """The confidence model abstained: the student sees the abstention message, never the text."""
        return self.decision == "abstain"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    def timings(self) -> dict[str, float | None]:
        def seconds(start: object, end: object) -> float | None:
            return None if start is None or end is None else round((end - start).total_seconds(), 3)  # type: ignore[operator]

        return {
            "queue_wait_s": seconds(self.created_at, self.started_at),
            "time_to_first_token_s": seconds(self.created_at, self.first_token_at),
            "total_s": seconds(self.created_at, self.finished_at),
            **{name: value for name, value in (self.stages or {}).items() if name.endswith("_s")},
        }


class Feedback(models.Model):
    """What the student who asked thinks of an answer: a thumbs up or down and, when it looks wrong, a report
    (which puts the answer in the reviewers' queue)."""

    class Rating(models.TextChoices):
        UP = "up", "Helpful"
        DOWN = "down", "Not helpful"

    class Reason(models.TextChoices):
        WRONG = "wrong", "It looks wrong"
        SOURCES = "sources", "The cited sections do not say this"
        OFF_TOPIC = "off_topic", "It does not answer my question"
        UNCLEAR = "unclear", "It is hard to follow"
        OTHER = "other", "Something else"

    answer = models.OneToOneField(Answer, on_delete=models.CASCADE, related_name="feedback")
    rating = models.CharField(max_length=4, choices=Rating.choices, blank=True)
    reason = models.CharField(max_length=12, choices=Reason.choices, blank=True)
    comment = models.TextField(blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"feedback on {self.answer}: {self.rating or 'no rating'}{', reported' if self.reported_at else ''}"

    @property
    def reported(self) -> bool:
        return self.reported_at is not None


class Notification(models.Model):
    """Something a student should see: a reviewer's verdict or correction on one of their answers."""

    class Kind(models.TextChoices):
        REVIEW = "review"

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.REVIEW)
    answer = models.ForeignKey(Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user}: {self.title}"

    @property
    def unread(self) -> bool:
        return self.read_at is None
