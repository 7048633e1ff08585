from __future__ import annotations

from django.urls import path

from tutor.consumers import NotificationConsumer, TutorConsumer

websocket_urlpatterns = [
    path("ws/tutor/", TutorConsumer.as_asgi()),
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]
