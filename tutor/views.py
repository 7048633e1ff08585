from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import perm_required
from chapters.actions import check_can_edit
from chapters.models import Book
from tutor.actions import AskError, do_ask_from, do_mark_read, do_rate, do_report, do_request_index_build
from tutor.models import Answer, Conversation, Notification
from tutor.retrieval import current_version


@perm_required("accounts.author_books")
@require_http_methods(["GET", "POST"])
def index_status(request: HttpRequest, book_slug: str) -> HttpResponse:
    """The book's search index: its version and the latest build, polled by htmx while one runs."""
    book = get_object_or_404(Book, slug=book_slug)
    check_can_edit(request.user, book)
    if request.method == "POST":
        do_request_index_build(book, trigger="manual")
    version = current_version(settings.INDEX_DIR / book.slug)
    context = {"book": book, "build": book.index_builds.first(), "version": version}
    return render(request, "tutor/index_status.html" if request.htmx else "tutor/index_page.html", context)


@require_POST
def ask(request: HttpRequest) -> HttpResponse:
    """The tutor without JavaScript: ask, then read the answer on the conversation page."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        answer = do_ask_from(request.user, request.POST)
    except AskError as exc:
        messages.error(request, str(exc))
        back = request.headers.get("Referer", "")
        safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})
        return redirect(back if safe else "chapters:library")
    return redirect("tutor:conversation", answer.question.conversation_id)


@login_required
@require_GET
def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Conversation.objects.select_related("book"), pk=pk, user=request.user)
    questions = list(
        item.questions.select_related("answer__feedback", "answer__review__reviewer", "answer__review__book", "section")
    )
    do_mark_read(request.user, conversation=item)  # opening it is reading what reviewers said about its answers
    context = {"conversation": item, "book": item.book, "history": questions, "section": None,
               "max_chars": settings.TUTOR_MAX_QUESTION_CHARS}  # fmt: skip
    return render(request, "tutor/conversation.html", context)


@login_required
@require_GET
def conversations(request: HttpRequest) -> HttpResponse:
    items = (
        Conversation.objects.filter(user=request.user)
        .select_related("book")
        .annotate(
            asked=Count("questions", distinct=True),
            reviewed=Count("questions", filter=Q(questions__answer__review__status="reviewed"), distinct=True),
            unread=Count(
                "questions__answer__notifications",
                filter=Q(questions__answer__notifications__read_at__isnull=True),
                distinct=True,
            ),
        )
    )
    return render(request, "tutor/conversations.html", {"conversations": items})


@login_required
@require_POST
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """Thumbs up or down, or a report, on one of the student's own answers (htmx swaps the controls)."""
    answer = get_object_or_404(
        Answer.objects.select_related("question__conversation", "feedback"),
        pk=pk,
        question__conversation__user=request.user,
    )
    error = ""
    try:
        if request.POST.get("report"):
            do_report(request.user, answer, request.POST.get("reason", ""), request.POST.get("comment", ""))
        else:
            do_rate(request.user, answer, request.POST.get("rating", ""))
    except AskError as exc:
        error = str(exc)
    if request.htmx:
        answer = Answer.objects.select_related("feedback").get(pk=answer.pk)
        return render(request, "tutor/fragments.html#feedback", {"answer": answer, "error": error})
    if error:
        messages.error(request, error)
    elif request.POST.get("report"):
        messages.success(request, "Thanks: a reviewer will look at this answer.")
    return redirect(f"{reverse('tutor:conversation', args=[answer.question.conversation_id])}#exchange-{answer.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    """The student's notifications, newest first; POST marks them all read."""
    if request.method == "POST":
        do_mark_read(request.user)
        return redirect("tutor:notifications")
    items = Notification.objects.filter(user=request.user).select_related("answer__question")[:100]
    return render(request, "tutor/notifications.html", {"notifications": items})
