from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from textbook import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("", include("chapters.urls")),
    path("", include("uq.urls")),
    path("", include("analytics.urls")),
    path("", include("tutor.urls")),
]
