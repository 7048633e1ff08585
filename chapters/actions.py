"""Every change to books goes through here. check_* validate and raise; do_* change state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from chapters import bank, grading, search
from chapters.importers import BookData, ChapterData, Problem, SectionData, slugify
from chapters.models import Book, Chapter, Figure, Question, QuizAttempt, Revision, Section
from chapters.signals import section_published

Direction = Literal["up", "down"]
FIGURE_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}


def check_can_author(user: AbstractBaseUser | AnonymousUser) -> None:
    if not (user.is_authenticated and user.has_perm("accounts.author_books")):
        raise PermissionDenied("Only instructors can write books.")


def check_can_edit(user: AbstractBaseUser | AnonymousUser, book: Book) -> None:
    if not book.can_edit(user):
        raise PermissionDenied(f"You are not an author of “{book.title}”.")


def check_slug(value: str, what: str) -> str:
    slug = slugify(value)
    if not slug or slug == "untitled":
        raise ValidationError(f"The {what} needs a title with at least one letter or digit.")
    return slug[:80]


# --- Books and chapters ---------------------------------------------------------------------


@transaction.atomic
def do_create_book(owner: User, title: str, description: str = "", slug: str = "") -> Book:
    check_can_author(owner)
    slug = check_slug(slug or title, "book")
    if Book.objects.filter(slug=slug).exists():
        raise ValidationError(f"A book with the address “{slug}” exists already; choose another title or slug.")
    return Book.objects.create(owner=owner, title=title.strip(), slug=slug, description=description.strip())


def do_update_book(book: Book, title: str, description: str) -> Book:
    book.title, book.description = title.strip(), description.strip()
    book.save(update_fields=["title", "description", "updated_at"])
    return book


def do_add_editor(book: Book, username: str) -> User:
    user = User.objects.filter(username=username.strip()).first()
    if user is None:
        raise ValidationError(f"No user named “{username}”.")
    if not user.has_perm("accounts.author_books"):
        raise ValidationError(f"{user.username} is not an instructor; grant the role first.")
    book.editors.add(user)
    return user


def do_remove_editor(book: Book, user: User) -> None:
    book.editors.remove(user)


def _unique(slug: str, taken: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


@transaction.atomic
def do_create_chapter(book: Book, title: str, slug: str = "") -> Chapter:
    taken = set(book.chapters.values_list("slug", flat=True))
    slug = _unique(check_slug(slug or title, "chapter"), taken)
    position = (book.chapters.aggregate(m=Max("position"))["m"] or -1) + 1
    return Chapter.objects.create(book=book, title=title.strip(), slug=slug, position=position)


def do_rename_chapter(chapter: Chapter, title: str) -> Chapter:
    chapter.title = title.strip()
    chapter.save(update_fields=["title"])
    return chapter


@transaction.atomic
def do_move(item: Chapter | Section, direction: Direction) -> bool:
    """Swap `item` with its neighbour; False when it is already first/last."""
    siblings = item.book.chapters.all() if isinstance(item, Chapter) else item.chapter.sections.all()
    ordered = list(siblings.select_for_update().order_by("position", "pk"))
    index = next(i for i, sibling in enumerate(ordered) if sibling.pk == item.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        return False
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, sibling in enumerate(ordered):
        if sibling.position != position:
            type(sibling).objects.filter(pk=sibling.pk).update(position=position)
    return True


# --- Sections and revisions -----------------------------------------------------------------


def _free_anchor(book: Book, slug: str, exclude: Section | None = None) -> str:
    taken = set(
        Section.objects.filter(book=book).exclude(pk=getattr(exclude, "pk", None)).values_list("anchor", flat=True)
    )
    return _unique(slug, taken)


@transaction.atomic
def do_create_section(
    chapter: Chapter,
    author: User | None,
    title: str,
    body: str = "",
    objectives: list[str] | None = None,
    slug: str = "",
) -> Section:
    taken = set(chapter.sections.values_list("slug", flat=True))
    slug = _unique(check_slug(slug or title, "section"), taken)
    position = (chapter.sections.aggregate(m=Max("position"))["m"] or -1) + 1
    section = Section.objects.create(
        book=chapter.book,
        chapter=chapter,
        title=title.strip(),
        slug=slug,
        anchor=_free_anchor(chapter.book, slug),
        position=position,
    )
    Revision.objects.create(
        section=section,
        number=1,
        title=section.title,
        body=body,
        objectives=objectives or [],
        author=author,
        message="Created",
    )
    return section


@transaction.atomic
def do_save_section(
    section: Section, author: User | None, title: str, body: str, objectives: list[str], message: str = ""
) -> Revision | None:
    """Make a new revision, or return None when nothing changed."""
    section = Section.objects.select_for_update().get(pk=section.pk)
    title, body = title.strip(), body.replace("\r\n", "\n")
    objectives = [line.strip() for line in objectives if line.strip()]
    if not title:
        raise ValidationError("A section needs a title.")
    latest = section.latest_revision()
    if latest is not None and latest.same_content(title, body, objectives):
        return None
    revision = Revision.objects.create(
        section=section,
        number=(latest.number + 1) if latest else 1,
        title=title,
        body=body,
        objectives=objectives,
        author=author,
        message=message.strip()[:200],
    )
    Section.objects.filter(pk=section.pk).update(title=title)
    return revision


def do_restore_revision(section: Section, revision: Revision, author: User) -> Revision | None:
    return do_save_section(
        section,
        author,
        revision.title,
        revision.body,
        list(revision.objectives),
        f"Restored revision {revision.number}",
    )


@transaction.atomic
def do_publish_section(section: Section, revision: Revision | None = None) -> Revision:
    """Publish `revision` (the latest draft by default) and tell the retrieval index, on commit."""
    revision = revision or section.latest_revision()
    if revision is None:
        raise ValidationError("There is nothing to publish yet.")
    if section.published_id == revision.pk:
        return revision
    section.published, section.published_at = revision, timezone.now()
    section.save(update_fields=["published", "published_at"])
    search.index_section(section, revision)
    transaction.on_commit(lambda: section_published.send(sender=Section, section=section, revision=revision))
    return revision


@transaction.atomic
def do_unpublish_section(section: Section) -> None:
    section.published, section.published_at = None, None
    section.save(update_fields=["published", "published_at"])
    search.unindex_section(section)


# --- Figures --------------------------------------------------------------------------------


FIGURE_EXTENSIONS = {"png": ("png",), "jpeg": ("jpg", "jpeg"), "gif": ("gif",), "webp": ("webp",)}


def check_figure_size(size: int | None, filename: str) -> None:
    if size is not None and size > settings.FIGURE_MAX_BYTES:
        raise ValidationError(
            f"{filename} is {size // 1024} KB; figures may be at most {settings.FIGURE_MAX_BYTES // 1024} KB."
        )


def check_figure(data: bytes, filename: str) -> str:
    """The image's MIME type, judged by its content (not its name); raises with a reason.

    Refused: other formats (SVG can carry script), a name whose extension says another format, and
    images whose pixels (all frames) exceed FIGURE_MAX_PIXELS, which a few kilobytes can declare and
    every reader's browser would then have to decode."""
    from io import BytesIO

    from PIL import Image, UnidentifiedImageError

    check_figure_size(len(data), filename)
    try:
        with Image.open(BytesIO(data)) as image:
            kind = (image.format or "").lower()
            pixels = image.width * image.height * getattr(image, "n_frames", 1)
            image.verify()
    except Image.DecompressionBombError:
        pixels = settings.FIGURE_MAX_PIXELS + 1
        kind = "bomb"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(f"{filename} is not a PNG, JPEG, GIF or WebP image.") from None
    if pixels > settings.FIGURE_MAX_PIXELS:
        raise ValidationError(
            f"{filename} has more than {settings.FIGURE_MAX_PIXELS // 1_000_000} million pixels; scale it down."
        )
    if kind not in FIGURE_TYPES:
        raise ValidationError(f"{filename} is a {kind.upper() or 'unknown'} image; use PNG, JPEG, GIF or WebP.")
    extension = filename.rpartition(".")[2].lower()
    if extension not in FIGURE_EXTENSIONS[kind]:
        raise ValidationError(f"{filename} holds a {kind.upper()} image; name it .{FIGURE_EXTENSIONS[kind][0]}.")
    return FIGURE_TYPES[kind]


def figure_name(filename: str) -> str:
    stem, _, ext = filename.rpartition(".")
    return f"{slugify(stem or ext)[:100]}.{slugify(ext)}" if stem else slugify(filename)


@transaction.atomic
def do_upload_figure(book: Book, user: User | None, upload: UploadedFile | ContentFile, name: str = "") -> Figure:
    name = figure_name(name or upload.name or "figure.png")
    check_figure_size(upload.size, name)  # before reading a huge upload into memory
    data = upload.read()
    content_type = check_figure(data, name)
    figure = Figure.objects.filter(book=book, name=name).first() or Figure(book=book, name=name)
    if figure.pk:
        figure.image.delete(save=False)
    figure.content_type, figure.uploaded_by = content_type, user
    figure.image.save(name, ContentFile(data), save=False)
    figure.save()
    Book.objects.filter(pk=book.pk).update(figures_version=F("figures_version") + 1)
    return figure


# --- Import and export ----------------------------------------------------------------------


@dataclass
class ImportReport:
    book: Book
    created_book: bool
    chapters_created: int = 0
    sections_created: int = 0
    sections_updated: int = 0
    sections_unchanged: int = 0
    sections_published: int = 0
    figures: int = 0
    questions_created: int = 0
    questions_updated: int = 0
    left_alone: list[str] = field(default_factory=list)  # sections in the database but not in the import
    problems: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        verb = "Created" if self.created_book else "Updated"
        return (
            f"{verb} “{self.book.title}” ({self.book.slug}): {self.chapters_created} new chapters, "
            f"{self.sections_created} new sections, {self.sections_updated} updated, "
            f"{self.sections_unchanged} unchanged, "
            f"{self.sections_published} published, {self.figures} figures, "
            f"{self.questions_created} new and {self.questions_updated} updated questions; "
            f"{len(self.problems)} problems."
        )


@transaction.atomic
def do_import_book(
    user: User, data: BookData, read_asset: Callable[[str], bytes], *, publish: bool = False
) -> ImportReport:
    """Create or update a book from imported data, all or nothing. Matching is by slug."""
    check_can_author(user)
    book = Book.objects.select_for_update().filter(slug=data.slug).first()
    report = ImportReport(book=book or Book(), created_book=book is None, problems=list(data.problems))
    if book is None:
        book = do_create_book(user, data.title, data.description, slug=data.slug)
    else:
        check_can_edit(user, book)
        do_update_book(book, data.title, data.description or book.description)
    report.book = book
    for name in sorted(data.assets):
        try:
            do_upload_figure(book, user, ContentFile(read_asset(name)), name.removeprefix("figures/"))
            report.figures += 1
        except ValidationError as exc:
            report.problems.append(Problem(name, 1, " ".join(exc.messages)))
    seen: set[int] = set()
    for position, chapter_data in enumerate(data.chapters):
        chapter = _import_chapter(book, chapter_data, position, report)
        for section_position, section_data in enumerate(chapter_data.sections):
            section = _import_section(chapter, section_data, section_position, user, report)
            seen.add(section.pk)
            if publish and section.published_id != section.latest_revision().pk:  # type: ignore[union-attr]
                do_publish_section(section)
                report.sections_published += 1
    for section in book.sections.exclude(pk__in=seen).select_related("chapter"):
        report.left_alone.append(f"{section.chapter.slug}/{section.slug}")
    _import_questions(book, data.questions, report)
    return report


def _import_questions(book: Book, questions: list[bank.QuestionData], report: ImportReport) -> None:
    sections = {(s.chapter.slug, s.slug): s for s in book.sections.select_related("chapter")}
    for position, data in enumerate(questions):
        question = book.questions.filter(key=data.id).first()
        created = question is None
        question = question or Question(book=book, key=data.id)
        changed = _copy_question_fields(question, data, position)
        if created or changed:
            question.save()
            report.questions_created += created
            report.questions_updated += not created
        wanted = [sections[(data.chapter, slug)] for slug in data.sections if (data.chapter, slug) in sections]
        if {s.pk for s in question.sections.all()} != {s.pk for s in wanted}:
            question.sections.set(wanted)
            report.questions_updated += not (created or changed)


def _import_chapter(book: Book, data: ChapterData, position: int, report: ImportReport) -> Chapter:
    chapter = book.chapters.filter(slug=data.slug).first()
    if chapter is None:
        chapter = do_create_chapter(book, data.title, data.slug)
        report.chapters_created += 1
    Chapter.objects.filter(pk=chapter.pk).update(title=data.title, position=position)
    return chapter


def _import_section(chapter: Chapter, data: SectionData, position: int, user: User, report: ImportReport) -> Section:
    section = chapter.sections.filter(slug=data.slug).first()
    if section is None:
        section = do_create_section(chapter, user, data.title, data.body, data.objectives, slug=data.slug)
        Revision.objects.filter(section=section).update(message="Imported")
        report.sections_created += 1
    elif do_save_section(section, user, data.title, data.body, data.objectives, "Imported"):
        report.sections_updated += 1
    else:
        report.sections_unchanged += 1
    Section.objects.filter(pk=section.pk).update(position=position)
    section.refresh_from_db()
    return section


def export_book_data(book: Book) -> BookData:
    """The book's current drafts as import data (what `export_book` writes)."""
    chapters = []
    for chapter in book.chapters.prefetch_related("sections__revisions"):
        sections = []
        for section in chapter.sections.all():
            latest = section.latest_revision()
            if latest is not None:
                sections.append(SectionData(latest.title, section.slug, latest.body, list(latest.objectives)))
        chapters.append(ChapterData(chapter.title, chapter.slug, sections))
    assets = {figure.reference: Path(figure.image.path) for figure in book.figures.all()}
    questions = [question_data(q) for q in book.questions.prefetch_related("sections__chapter")]
    return BookData(book.title, book.slug, book.description, chapters, assets, [], questions)


# --- Question bank --------------------------------------------------------------------------

QUESTION_FIELDS = (
    "type", "text", "difficulty", "answer", "unit", "tolerance", "check", "choices", "accepted", "keywords",
    "explanation", "category",
)  # fmt: skip
MODEL_FIELD = {"check": "formula"}  # `check` would hide Model.check()


def _model_field(name: str) -> str:
    return MODEL_FIELD.get(name, name)


def _copy_question_fields(question: Question, data: bank.QuestionData, position: int) -> bool:
    """Copy `data` onto `question`; True when anything changed."""
    changed = question.position != position
    question.position = position
    for name in QUESTION_FIELDS:
        value = getattr(data, name)
        if getattr(question, _model_field(name)) != value:
            setattr(question, _model_field(name), value)
            changed = True
    return changed


def question_data(question: Question) -> bank.QuestionData:
    """The pure form of a question, as graders and the exporter take it."""
    sections = list(question.sections.select_related("chapter"))
    return bank.QuestionData(
        id=question.key,
        type=question.type,
        text=question.text,
        chapter=sections[0].chapter.slug if sections else "",
        sections=[s.slug for s in sections],
        **{name: getattr(question, _model_field(name)) for name in QUESTION_FIELDS if name not in ("type", "text")},
    )


def check_question(data: bank.QuestionData, book: Book) -> list[str]:
    """Schema problems, plus whether the graders accept the reference answer."""
    slugs = set(book.sections.filter(chapter__slug=data.chapter).values_list("slug", flat=True))
    errors = bank.validate(data, slugs)
    if not errors and not data.out_of_scope:
        reference = grading.reference_answer(data)
        verdict = grading.grade(data, reference)
        if not verdict.correct:
            errors.append(f"the grader does not accept the reference answer {reference!r}: {verdict.reason}")
    return errors


@transaction.atomic
def do_save_question(book: Book, question: Question | None, data: bank.QuestionData) -> Question:
    errors = check_question(data, book)
    if errors:
        raise ValidationError(errors)
    if book.questions.filter(key=data.id).exclude(pk=getattr(question, "pk", None)).exists():
        raise ValidationError(f"Another question of this book already has the id “{data.id}”.")
    question = question or Question(book=book, position=book.questions.count())
    question.key = data.id
    _copy_question_fields(question, data, question.position)
    question.save()
    question.sections.set(book.sections.filter(chapter__slug=data.chapter, slug__in=data.sections))
    return question


def do_answer_quiz(user: AbstractBaseUser | AnonymousUser, question: Question, answer: str) -> grading.Grade:
    """Grade a quiz answer; a signed-in student's attempt is kept (it shows where students struggle)."""
    answer = answer.strip()[:500]
    if not answer:
        return grading.Grade(False, "Type an answer first.")
    verdict = grading.grade(question_data(question), answer)
    if user.is_authenticated:
        QuizAttempt.objects.create(user=user, question=question, answer=answer, correct=verdict.correct)
    return verdict
