from __future__ import annotations

from django.urls import path

from uq import views

app_name = "uq"
urlpatterns = [
    path("review/", views.review, name="review"),
    path("confidence/", views.confidence, name="confidence"),
    path("confidence/train/", views.train, name="train"),
]
