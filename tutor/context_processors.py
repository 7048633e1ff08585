from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tutor.models import Notification


def notifications(request: HttpRequest) -> dict[str, Any]:
    """How many unread notifications the signed-in user has, for the navigation."""
    if not request.user.is_authenticated:
        return {}
    return {"unread_notifications": Notification.objects.filter(user=request.user, read_at__isnull=True).count()}
