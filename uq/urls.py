from __future__ import annotations

from django.urls import path

from uq import views

app_name = "uq"
urlpatterns = [
    path("review/", views.review, name="review"),
    path("review/<int:pk>/", views.review_item, name="review_item"),
    path("review/<int:pk>/verdict/", views.review_verdict, name="review_verdict"),
    path("review/preview/", views.review_preview, name="review_preview"),
    path("confidence/", views.confidence, name="confidence"),
    path("confidence/train/", views.train, name="train"),
]
