from __future__ import annotations

from django.urls import path

from chapters import author_views, views

app_name = "chapters"
urlpatterns = [
    path("", views.library, name="library"),
    path("search/", views.search_page, name="search"),
    path("quiz/<int:pk>/", views.quiz_answer, name="quiz_answer"),
    path("demos/<slug:name>/", views.demo, name="demo"),
    path("demos/<slug:name>.svg", views.demo_svg, name="demo_svg"),
    path("books/<slug:book_slug>/", views.book_contents, name="book"),
    path("books/<slug:book_slug>/figures/<str:name>", views.figure, name="figure"),
    path("books/<slug:book_slug>/<slug:chapter_slug>/<slug:section_slug>/", views.section_reader, name="section"),
    path("author/", author_views.dashboard, name="author"),
    path("author/books/new/", author_views.book_create, name="book_create"),
    path("author/import/", author_views.import_zip, name="import"),
    path("author/books/<slug:book_slug>/", author_views.book_manage, name="author_book"),
    path("author/books/<slug:book_slug>/authors/", author_views.book_editors, name="book_editors"),
    path("author/books/<slug:book_slug>/chapters/new/", author_views.chapter_create, name="chapter_create"),
    path("author/books/<slug:book_slug>/figures/", author_views.figures, name="author_figures"),
    path("author/books/<slug:book_slug>/export.zip", author_views.export_zip, name="export"),
    path("author/books/<slug:book_slug>/questions/", author_views.question_list, name="question_list"),
    path("author/books/<slug:book_slug>/questions/new/", author_views.question_edit, name="question_new"),
    path("author/books/<slug:book_slug>/questions/<int:pk>/", author_views.question_edit, name="question_edit"),
    path("author/chapters/<int:pk>/", author_views.chapter_update, name="chapter_update"),
    path("author/chapters/<int:pk>/sections/new/", author_views.section_create, name="section_create"),
    path("author/sections/<int:pk>/", author_views.section_edit, name="section_edit"),
    path("author/sections/<int:pk>/preview/", author_views.section_preview, name="section_preview"),
    path("author/sections/<int:pk>/draft/", author_views.section_draft, name="section_draft"),
    path("author/sections/<int:pk>/action/", author_views.section_action, name="section_action"),
    path("author/sections/<int:pk>/history/", author_views.section_history, name="section_history"),
    path("author/sections/<int:pk>/revisions/<int:number>/", author_views.revision_detail, name="revision"),
    path(
        "author/sections/<int:pk>/revisions/<int:number>/restore/",
        author_views.revision_restore,
        name="revision_restore",
    ),
]
