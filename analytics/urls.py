from __future__ import annotations

from django.urls import path

from analytics import views

app_name = "analytics"
urlpatterns = [
    path("analytics/", views.index, name="index"),
    path("analytics/<slug:slug>/", views.book, name="book"),
    path("analytics/<slug:slug>/gaps/", views.gaps, name="gaps"),
    path("analytics/<slug:slug>/gaps/<int:report>/<int:number>/section/", views.gap_section, name="gap_section"),
    path("analytics/<slug:slug>/<str:table>.csv", views.export, name="export"),
]
