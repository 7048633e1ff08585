from __future__ import annotations

from django.contrib import admin

from analytics.models import GapReport


@admin.register(GapReport)
class GapReportAdmin(admin.ModelAdmin):
    list_display = ("book", "status", "questions", "created_at", "finished_at")
    list_filter = ("status", "book")
    readonly_fields = ("book", "status", "questions", "clusters", "error", "requested_by", "created_at", "finished_at")
