"""What students read: the library, a book's contents, the section reader, search, demos."""

from __future__ import annotations

import re
from itertools import groupby

from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from chapters import actions, demos, search
from chapters.models import Book, Chapter, Figure, Question, Section
from chapters.rendering import demo_context, revision_html


def tutor_panel(request: HttpRequest, book: Book, section: Section) -> dict[str, object]:
    from django.conf import settings

    from tutor.models import Conversation

    conversation = None
    if request.user.is_authenticated:
        conversation = Conversation.objects.filter(user=request.user, book=book).first()
    history = []
    if conversation is not None:
        history = list(conversation.questions.select_related("answer").order_by("-created_at")[:3])[::-1]
    return {"conversation": conversation, "history": history, "max_chars": settings.TUTOR_MAX_QUESTION_CHARS}


QUIZ_TYPES = (Question.Type.NUMERIC, Question.Type.CHOICE, Question.Type.SHORT)


def published_sections(book: Book) -> QuerySet[Section]:
    return (
        Section.objects.filter(book=book, published__isnull=False)
        .select_related("book", "chapter", "published")  # each outline link's URL names its book
        .order_by("chapter__position", "chapter__pk", "position", "pk")
    )


def outline(sections: list[Section]) -> list[tuple[Chapter, list[Section]]]:
    return [(chapter, list(items)) for chapter, items in groupby(sections, key=lambda s: s.chapter)]


@require_GET
def library(request: HttpRequest) -> HttpResponse:
    books = (
        Book.objects.annotate(published_count=Count("sections", filter=Q(sections__published__isnull=False)))
        .filter(published_count__gt=0)
        .order_by("title")
    )
    return render(request, "chapters/library.html", {"books": books})


@require_GET
def book_contents(request: HttpRequest, book_slug: str) -> HttpResponse:
    book = get_object_or_404(Book, slug=book_slug)
    sections = list(published_sections(book))
    if not sections and not book.can_edit(request.user):
        raise Http404("No such book")
    context = {"book": book, "outline": outline(sections), "can_edit": book.can_edit(request.user)}
    return render(request, "chapters/book.html", context)


@require_GET
def section_reader(request: HttpRequest, book_slug: str, chapter_slug: str, section_slug: str) -> HttpResponse:
    book = get_object_or_404(Book, slug=book_slug)
    sections = list(published_sections(book))
    index = next((i for i, s in enumerate(sections) if s.chapter.slug == chapter_slug and s.slug == section_slug), None)
    if index is None:
        raise Http404("No such published section")
    section = sections[index]
    context = {
        "book": book,
        "section": section,
        "chapter": section.chapter,
        "revision": section.published,
        "html": revision_html(section.published),  # type: ignore[arg-type]
        "outline": outline(sections),
        "previous": sections[index - 1] if index > 0 else None,
        "next": sections[index + 1] if index + 1 < len(sections) else None,
        "can_edit": book.can_edit(request.user),
        "questions": section.questions.all(),
        **tutor_panel(request, book, section),
    }
    return render(request, "chapters/section.html", context)


@require_POST
def quiz_answer(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(Question.objects.select_related("book"), pk=pk, type__in=QUIZ_TYPES)
    section = question.sections.filter(published__isnull=False).select_related("book", "chapter").first()
    if section is None and not question.book.can_edit(request.user):
        raise Http404("No such question")
    answer = request.POST.get("answer", "")
    if question.type == Question.Type.CHOICE and answer.isdigit() and int(answer) < len(question.choices):
        answer = question.choices[int(answer)]
    verdict = actions.do_answer_quiz(request.user, question, answer)
    context = {"question": question, "verdict": verdict, "answer": answer, "section": section}
    template = "chapters/quiz.html#result" if request.htmx else "chapters/quiz_result.html"
    return render(request, template, context)


@require_GET
def figure(request: HttpRequest, book_slug: str, name: str) -> FileResponse:
    item = get_object_or_404(Figure.objects.select_related("book"), book__slug=book_slug, name=name)
    if not (published_sections(item.book).exists() or item.book.can_edit(request.user)):
        raise Http404("No such figure")
    response = FileResponse(item.image.open("rb"), content_type=item.content_type)
    response["Cache-Control"] = "public, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[: search.MAX_QUERY_CHARS]
    book = Book.objects.filter(slug=request.GET.get("book", "")).first()
    mode = "meaning" if request.GET.get("mode") == "meaning" else "words"
    context: dict[str, object] = {"query": query, "book": book, "mode": mode, "hits": [], "passages": []}
    context["too_short"] = bool(query) and not search.query_words(query)
    if query and mode == "words":
        context["hits"] = search.search(query, book=book)
    elif query and not context["too_short"]:
        from tutor.search import SemanticSearchUnavailable, search_by_meaning

        books = [book] if book else list(Book.objects.filter(sections__published__isnull=False).distinct())
        try:
            context["passages"] = search_by_meaning(query, books)
        except SemanticSearchUnavailable as exc:
            context["unavailable"] = str(exc)
    template = "chapters/search.html#results" if request.htmx else "chapters/search.html"
    return render(request, template, context)


@require_GET
def demo(request: HttpRequest, name: str) -> HttpResponse:
    if name not in demos.DEMOS:
        raise Http404("No such demo")
    try:
        values, error = demos.parse_query(name, request.GET), ""
    except demos.DemoError as exc:
        values, error = {**request.GET.dict()}, str(exc)
    uid = re.sub(r"[^a-z0-9-]", "", request.GET.get("uid", "").lower())[:80] or f"demo-{name}"
    context = demo_context(name, values, uid=uid, error=error)  # type: ignore[arg-type]
    template = "chapters/demo.html#figure" if request.htmx else "chapters/demo_page.html"
    return render(request, template, context, status=400 if error and not request.htmx else 200)


@require_GET
@cache_control(public=True, max_age=86400)
def demo_svg(request: HttpRequest, name: str) -> HttpResponse:
    if name not in demos.DEMOS:
        raise Http404("No such demo")
    try:
        result = demos.render(name, demos.parse_query(name, request.GET))
    except demos.DemoError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(result.svg, content_type="image/svg+xml")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
