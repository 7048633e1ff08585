"""What instructors use: their books, the section editor with live preview, history, figures, import."""

from __future__ import annotations

import difflib
import io
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import perm_required
from chapters import actions
from chapters.archives import Limits, UnsafeArchive, unpack
from chapters.exporters import write_book
from chapters.forms import (
    BookForm,
    BookSettingsForm,
    EditorForm,
    FigureForm,
    ImportForm,
    QuestionForm,
    SectionForm,
    TitleForm,
)
from chapters.importers import BookImportError, Problem, read_book
from chapters.models import Book, Chapter, Revision, Section
from chapters.rendering import render_body

author_required = perm_required("accounts.author_books")


def editable_book(request: HttpRequest, book_slug: str) -> Book:
    book = get_object_or_404(Book, slug=book_slug)
    actions.check_can_edit(request.user, book)
    return book


def editable_section(request: HttpRequest, pk: int) -> Section:
    section = get_object_or_404(Section.objects.select_related("book", "chapter"), pk=pk)
    actions.check_can_edit(request.user, section.book)
    return section


def _error(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


@author_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    books = Book.objects.all() if user.is_superuser else Book.objects.filter(Q(owner=user) | Q(editors=user))
    context = {"books": books.distinct().order_by("title"), "book_form": BookForm(), "import_form": ImportForm()}
    return render(request, "chapters/author/dashboard.html", context)


@author_required
@require_POST
def book_create(request: HttpRequest) -> HttpResponse:
    form = BookForm(request.POST)
    if form.is_valid():
        try:
            book = actions.do_create_book(request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Created “{book.title}”. Add a chapter to begin.")
            return redirect("chapters:author_book", book.slug)
    return render(
        request,
        "chapters/author/dashboard.html",
        {"books": [], "book_form": form, "import_form": ImportForm()},
        status=400,
    )


@author_required
@require_http_methods(["GET", "POST"])
def book_manage(request: HttpRequest, book_slug: str) -> HttpResponse:
    book = editable_book(request, book_slug)
    settings_form = BookSettingsForm(
        request.POST or None, initial={"title": book.title, "description": book.description}
    )
    if request.method == "POST" and settings_form.is_valid():
        actions.do_update_book(book, **settings_form.cleaned_data)
        messages.success(request, "Saved the book's settings.")
        return redirect("chapters:author_book", book.slug)
    sections = Section.objects.annotate(latest_number=Max("revisions__number")).select_related("published")
    chapters = book.chapters.prefetch_related(Prefetch("sections", queryset=sections))
    context = {
        "book": book,
        "chapters": chapters,
        "settings_form": settings_form,
        "chapter_form": TitleForm(),
        "editor_form": EditorForm(),
    }
    return render(request, "chapters/author/book.html", context)


@author_required
@require_POST
def book_editors(request: HttpRequest, book_slug: str) -> HttpResponse:
    book = editable_book(request, book_slug)
    if request.user.pk != book.owner_id and not request.user.is_superuser:
        raise PermissionDenied("Only the book's owner chooses its authors.")
    if remove := request.POST.get("remove"):
        book.editors.remove(*book.editors.filter(username=remove))
        messages.success(request, f"{remove} can no longer edit this book.")
    else:
        form = EditorForm(request.POST)
        if form.is_valid():
            try:
                user = actions.do_add_editor(book, form.cleaned_data["username"])
                messages.success(request, f"{user.username} can now edit this book.")
            except ValidationError as exc:
                _error(request, exc)
    return redirect("chapters:author_book", book.slug)


@author_required
@require_POST
def chapter_create(request: HttpRequest, book_slug: str) -> HttpResponse:
    book = editable_book(request, book_slug)
    form = TitleForm(request.POST)
    if form.is_valid():
        try:
            chapter = actions.do_create_chapter(book, form.cleaned_data["title"])
            messages.success(request, f"Added chapter “{chapter.title}”.")
        except ValidationError as exc:
            _error(request, exc)
    else:
        messages.error(request, "A chapter needs a title.")
    return redirect("chapters:author_book", book.slug)


@author_required
@require_POST
def chapter_update(request: HttpRequest, pk: int) -> HttpResponse:
    chapter = get_object_or_404(Chapter.objects.select_related("book"), pk=pk)
    actions.check_can_edit(request.user, chapter.book)
    if direction := request.POST.get("move"):
        if direction in ("up", "down"):
            actions.do_move(chapter, direction)  # type: ignore[arg-type]
    else:
        form = TitleForm(request.POST)
        if form.is_valid():
            actions.do_rename_chapter(chapter, form.cleaned_data["title"])
    return redirect(reverse("chapters:author_book", args=[chapter.book.slug]) + f"#chapter-{chapter.pk}")


@author_required
@require_POST
def section_create(request: HttpRequest, pk: int) -> HttpResponse:
    chapter = get_object_or_404(Chapter.objects.select_related("book"), pk=pk)
    actions.check_can_edit(request.user, chapter.book)
    form = TitleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A section needs a title.")
        return redirect("chapters:author_book", chapter.book.slug)
    try:
        section = actions.do_create_section(chapter, request.user, form.cleaned_data["title"])  # type: ignore[arg-type]
    except ValidationError as exc:
        _error(request, exc)
        return redirect("chapters:author_book", chapter.book.slug)
    return redirect("chapters:section_edit", section.pk)


@author_required
@require_http_methods(["GET", "POST"])
def section_edit(request: HttpRequest, pk: int) -> HttpResponse:
    section = editable_section(request, pk)
    latest = section.latest_revision()
    initial = {"title": latest.title, "body": latest.body, "objectives": "\n".join(latest.objectives)} if latest else {}
    form = SectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            revision = actions.do_save_section(
                section,
                request.user,
                form.cleaned_data["title"],
                form.cleaned_data["body"],  # type: ignore[arg-type]
                form.objective_list(),
                form.cleaned_data["message"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if revision is None:
                messages.info(request, "Nothing changed, so no new revision was made.")
            else:
                messages.success(request, f"Saved revision {revision.number}. Students see it once you publish.")
            if "publish" in request.POST:
                published = actions.do_publish_section(section)
                messages.success(request, f"Published revision {published.number}.")
            return redirect("chapters:section_edit", section.pk)
    body = form["body"].value() or ""
    context = {
        "section": section,
        "book": section.book,
        "form": form,
        "latest": latest,
        "preview": render_body(section.book, body),
    }
    return render(request, "chapters/author/section_edit.html", context, status=400 if form.errors else 200)


@author_required
@require_POST
def section_preview(request: HttpRequest, pk: int) -> HttpResponse:
    section = editable_section(request, pk)
    html = render_body(section.book, request.POST.get("body", ""))
    return render(request, "chapters/author/section_edit.html#preview", {"preview": html})


@author_required
@require_POST
def section_action(request: HttpRequest, pk: int) -> HttpResponse:
    section = editable_section(request, pk)
    action = request.POST.get("action")
    if action in ("up", "down"):
        actions.do_move(section, action)  # type: ignore[arg-type]
        return redirect(reverse("chapters:author_book", args=[section.book.slug]) + f"#chapter-{section.chapter_id}")
    if action == "publish":
        revision = actions.do_publish_section(section)
        messages.success(request, f"Published “{revision.title}” (revision {revision.number}).")
    elif action == "unpublish":
        actions.do_unpublish_section(section)
        messages.success(request, f"“{section.title}” is no longer visible to students.")
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("chapters:section_edit", section.pk)


@author_required
@require_GET
def section_history(request: HttpRequest, pk: int) -> HttpResponse:
    section = editable_section(request, pk)
    revisions = section.revisions.select_related("author")
    return render(
        request, "chapters/author/history.html", {"section": section, "book": section.book, "revisions": revisions}
    )


def revision_diff(old: Revision | None, new: Revision) -> list[tuple[str, str]]:
    """Unified diff lines of title, objectives and body, tagged add/del/hunk/context for styling."""

    def lines(rev: Revision | None) -> list[str]:
        if rev is None:
            return []
        return [f"# {rev.title}", *(f"- objective: {o}" for o in rev.objectives), "", *rev.body.splitlines()]

    kind = {"+": "add", "-": "del", "@": "hunk"}
    diff = difflib.unified_diff(lines(old), lines(new), lineterm="", n=3)
    return [(kind.get(line[:1], "context"), line) for line in list(diff)[2:]]


@author_required
@require_GET
def revision_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    section = editable_section(request, pk)
    revision = get_object_or_404(section.revisions, number=number)
    previous = section.revisions.filter(number__lt=number).first()
    context = {
        "section": section,
        "book": section.book,
        "revision": revision,
        "previous": previous,
        "diff": revision_diff(previous, revision),
        "is_latest": revision.number == section.latest_revision().number,  # type: ignore[union-attr]
    }
    return render(request, "chapters/author/revision.html", context)


@author_required
@require_POST
def revision_restore(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    section = editable_section(request, pk)
    revision = get_object_or_404(section.revisions, number=number)
    new = actions.do_restore_revision(section, revision, request.user)  # type: ignore[arg-type]
    if new is None:
        messages.info(request, f"Revision {number} is already the current draft.")
    else:
        messages.success(request, f"Restored revision {number} as revision {new.number} (a draft; publish to show it).")
    return redirect("chapters:section_edit", section.pk)


@author_required
@require_GET
def section_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """The latest draft, exactly as the reader will show it once published."""
    section = editable_section(request, pk)
    latest = section.latest_revision()
    context = {
        "book": section.book,
        "section": section,
        "chapter": section.chapter,
        "revision": latest,
        "html": render_body(section.book, latest.body if latest else ""),
        "outline": [],
        "is_draft": True,
        "can_edit": True,
    }
    return render(request, "chapters/section.html", context)


@author_required
@require_http_methods(["GET", "POST"])
def figures(request: HttpRequest, book_slug: str) -> HttpResponse:
    book = editable_book(request, book_slug)
    form = FigureForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            figure = actions.do_upload_figure(book, request.user, form.cleaned_data["image"], form.cleaned_data["name"])  # type: ignore[arg-type]
        except ValidationError as exc:
            form.add_error("image", exc)
        else:
            messages.success(request, f"Uploaded {figure.name}. Reference it as ![description]({figure.reference}).")
            return redirect("chapters:author_figures", book.slug)
    status = 400 if form.errors else 200
    return render(
        request,
        "chapters/author/figures.html",
        {"book": book, "form": form, "figures": book.figures.all()},
        status=status,
    )


@author_required
@require_POST
def import_zip(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("chapters:author")
    archive = form.cleaned_data["archive"]
    try:
        report = import_archive(request.user, archive, publish=form.cleaned_data["publish"])  # type: ignore[arg-type]
    except zipfile.BadZipFile:
        messages.error(request, f"Nothing was imported: {archive.name} is not a zip file, or it is damaged.")
        return redirect("chapters:author")
    except (BookImportError, UnsafeArchive, ValidationError, PermissionDenied) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, f"Nothing was imported: {text}")
        return redirect("chapters:author")
    return render(request, "chapters/author/import_report.html", {"report": report, "book": report.book})


def import_archive(user: object, archive: object, *, publish: bool) -> actions.ImportReport:
    """Unpack a zip safely into a temporary folder (chapters.archives) and import it (one transaction)."""
    limits = Limits(settings.IMPORT_MAX_FILES, settings.IMPORT_MAX_UNPACKED_BYTES, settings.IMPORT_MAX_RATIO)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve()
        skipped = unpack(archive, root, limits)  # type: ignore[arg-type]
        folder = _content_root(root)
        data = read_book(folder)
        prefix = f"{folder.relative_to(root).as_posix()}/" if folder != root else ""
        data.problems += [
            Problem(name.removeprefix(prefix), 1, "an archive inside the zip: not unpacked, not imported")
            for name in skipped
        ]
        return actions.do_import_book(user, data, lambda name: data.assets[name].read_bytes(), publish=publish)  # type: ignore[arg-type]


def _content_root(root: Path) -> Path:
    """A zip of a folder usually holds that one folder; import what is inside it."""
    entries = [p for p in root.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else root


@author_required
@require_GET
def export_zip(request: HttpRequest, book_slug: str) -> HttpResponse:
    book = editable_book(request, book_slug)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / book.slug
        data = actions.export_book_data(book)
        write_book(data, folder, lambda name: Path(data.assets[name]).read_bytes())
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    bundle.write(path, path.relative_to(folder.parent))
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{book.slug}.zip"'
    return response


def section_choices(book: Book) -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        (chapter.title, [(f"{chapter.slug}/{s.slug}", s.title) for s in chapter.sections.all()])
        for chapter in book.chapters.prefetch_related("sections")
    ]


@author_required
@require_GET
def question_list(request: HttpRequest, book_slug: str) -> HttpResponse:
    book = editable_book(request, book_slug)
    questions = book.questions.prefetch_related("sections__chapter").annotate(
        attempts_count=Count("attempts"), right_count=Count("attempts", filter=Q(attempts__correct=True))
    )
    return render(request, "chapters/author/questions.html", {"book": book, "questions": questions})


@author_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, book_slug: str, pk: int | None = None) -> HttpResponse:
    book = editable_book(request, book_slug)
    question = get_object_or_404(book.questions, pk=pk) if pk else None
    # A new question may arrive prefilled (?text=…&type=…&sections=chapter/section), e.g. from a content gap.
    initial = QuestionForm.initial_from(question) if question else QuestionForm.initial_from_query(request.GET)
    form = QuestionForm(request.POST or None, initial=initial, section_choices=section_choices(book))
    if request.method == "POST" and form.is_valid():
        try:
            saved = actions.do_save_question(book, question, form.question_data())
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"Saved question {saved.key}.")
            return redirect("chapters:question_list", book.slug)
    context = {"book": book, "question": question, "form": form}
    return render(request, "chapters/author/question_edit.html", context, status=400 if form.errors else 200)
