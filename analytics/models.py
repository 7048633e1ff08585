from __future__ import annotations

from django.db import models


class GapReport(models.Model):
    """One run of the content-gap finder over a book's unanswered questions (``analytics.tasks.find_gaps``)."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    book = models.ForeignKey("chapters.Book", on_delete=models.CASCADE, related_name="gap_reports")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    questions = models.PositiveIntegerField(default=0)  # unanswered questions it grouped
    # [{size, cohesion, section_id, section_title, section_url, similarity, covered, questions: [text], answers: [id]}]
    clusters = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"gaps in {self.book} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
