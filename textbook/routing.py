from __future__ import annotations

from django.urls import path

from textbook.consumers import EchoConsumer
from tutor.routing import websocket_urlpatterns as tutor_routes

websocket_urlpatterns = [
    path("ws/echo/", EchoConsumer.as_asgi()),
    *tutor_routes,
]
