from __future__ import annotations

from django.urls import path

from tutor import api, views

app_name = "tutor"
urlpatterns = [
    path("author/books/<slug:book_slug>/index/", views.index_status, name="index_status"),
    path("tutor/ask/", views.ask, name="ask"),
    path("tutor/conversations/", views.conversations, name="conversations"),
    path("tutor/conversations/<int:pk>/", views.conversation, name="conversation"),
    path("tutor/answers/<int:pk>/feedback/", views.feedback, name="feedback"),
    path("notifications/", views.notifications, name="notifications"),
    path("api/v1/ask", api.ask, name="api_ask"),
    path("api/v1/answers/<int:pk>", api.answer, name="api_answer"),
    path("api/v1/books", api.books, name="api_books"),
    path("api/v1/books/<slug:slug>", api.book, name="api_book"),
]
