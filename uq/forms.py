from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from chapters.models import Book, Chapter
from uq.models import ReviewItem
from uq.reviews import MAX_CORRECTION_CHARS

REASONS = {"flagged": Q(flagged=True), "withheld": Q(abstained=True), "reported": Q(reported=True)}
SORTS = {
    "oldest": ("created_at", "pk"),
    "newest": ("-created_at", "-pk"),
    "least-confident": ("answer__confidence", "created_at"),
    "most-confident": ("-answer__confidence", "created_at"),
}


class QueueFilter(forms.Form):
    """The review queue's filters, read from the query string; every field is optional."""

    status = forms.ChoiceField(
        choices=[("open", "Waiting"), ("reviewed", "Reviewed"), ("all", "All")], required=False, initial="open"
    )
    book = forms.ModelChoiceField(Book.objects.all(), to_field_name="slug", required=False, empty_label="All books")
    chapter = forms.ModelChoiceField(Chapter.objects.select_related("book"), required=False, empty_label="All chapters")
    reason = forms.ChoiceField(
        choices=[("", "Any reason"), ("flagged", "Flagged"), ("withheld", "Withheld"), ("reported", "Reported")],
        required=False,
    )
    decision = forms.ChoiceField(
        choices=[("", "Any decision"), ("answer", "Shown"), ("flag", "Flagged"), ("abstain", "Withheld"),
                 ("unscored", "Unscored")],
        required=False,
    )  # fmt: skip
    min_confidence = forms.FloatField(min_value=0, max_value=1, required=False, label="Confidence from")
    max_confidence = forms.FloatField(min_value=0, max_value=1, required=False, label="to")
    since = forms.DateField(required=False, label="Queued from", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="until", widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(
        choices=[("oldest", "Oldest first"), ("newest", "Newest first"), ("least-confident", "Least confident first"),
                 ("most-confident", "Most confident first")],
        required=False, initial="oldest",
    )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("min_confidence"), data.get("max_confidence")
        if low is not None and high is not None and low > high:
            raise forms.ValidationError("The confidence range is empty: its lower end is above its upper end.")
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("The date range is empty: it ends before it starts.")
        return data

    def apply(self, items: QuerySet[ReviewItem]) -> QuerySet[ReviewItem]:
        """``items`` filtered and sorted as asked; call after ``is_valid()`` (invalid fields are ignored)."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        status = data.get("status") or "open"
        if status != "all":
            items = items.filter(status=status)
        if data.get("book"):
            items = items.filter(book=data["book"])
        if data.get("chapter"):
            items = items.filter(chapter=data["chapter"])
        if data.get("reason"):
            items = items.filter(REASONS[data["reason"]])
        if data.get("decision"):
            items = items.filter(answer__decision=data["decision"])
        if data.get("min_confidence") is not None:
            items = items.filter(answer__confidence__gte=data["min_confidence"])
        if data.get("max_confidence") is not None:
            items = items.filter(answer__confidence__lte=data["max_confidence"])
        if data.get("since"):
            items = items.filter(created_at__date__gte=data["since"])
        if data.get("until"):
            items = items.filter(created_at__date__lte=data["until"])
        return items.order_by(*SORTS[data.get("sort") or "oldest"])


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(choices=ReviewItem.Verdict.choices)
    correction = forms.CharField(
        required=False,
        max_length=MAX_CORRECTION_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Markdown with $…$ math. Sent to the student under the answer when you mark it wrong.",
    )
