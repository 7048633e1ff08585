from __future__ import annotations

from django.contrib import admin

from analytics.models import GapReport
from uq.admin import ReadOnlyAdmin


@admin.register(GapReport)
class GapReportAdmin(ReadOnlyAdmin):
    """Reports are made by the gap finder (the analytics page starts it); staff read them here."""

    list_display = ("book", "status", "questions", "created_at", "finished_at")
    list_filter = ("status", "book")
