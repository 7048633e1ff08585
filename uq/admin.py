from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from uq import actions
from uq.models import Example, Head, ReviewEvent, ReviewItem, TrainingRun


@admin.register(Head)
class HeadAdmin(admin.ModelAdmin):
    list_display = ("version", "kind", "generator", "active", "created_at")
    list_filter = ("generator", "kind", "active")
    exclude = ("blob",)
    readonly_fields = ("version", "kind", "generator", "embedder", "data_hash", "active", "created_at")
    actions = ("activate",)

    @admin.action(description="Activate (score this generator's answers with it)")
    def activate(self, request: HttpRequest, queryset: QuerySet[Head]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one head to activate.", messages.ERROR)
            return
        head = actions.do_activate_head(queryset.get())
        self.message_user(request, f"{head} is now scoring answers of {head.generator}.", messages.SUCCESS)


@admin.register(Example)
class ExampleAdmin(admin.ModelAdmin):
    list_display = ("question_text", "label", "split", "source", "out_of_scope", "generator")
    list_filter = ("source", "split", "label", "out_of_scope", "generator")
    search_fields = ("question_text", "answer_text")
    exclude = ("features",)
    raw_id_fields = ("bank_question", "answer")


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "status", "stage", "done", "total", "created_at", "finished_at")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit records: staff read them; nobody edits or deletes them here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ReviewItem)
class ReviewItemAdmin(ReadOnlyAdmin):
    list_display = ("pk", "book", "status", "verdict", "flagged", "abstained", "reported", "reviewer", "created_at")
    list_filter = ("status", "verdict", "flagged", "abstained", "reported", "book")
    raw_id_fields = ("answer", "example")


@admin.register(ReviewEvent)
class ReviewEventAdmin(ReadOnlyAdmin):
    """Who did what in the review queue, and when (every open, verdict and refused verdict)."""

    list_display = ("created_at", "actor", "action", "item", "detail")
    list_filter = ("action", "actor")
    date_hierarchy = "created_at"
