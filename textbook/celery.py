"""The Celery app. Workers: `celery -A textbook worker -Q gpu` (models) and `-Q default`."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "textbook.settings")

app = Celery("textbook")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["textbook"])
