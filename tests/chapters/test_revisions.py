"""Sections change only through revisions; students see only what was published."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from chapters import actions
from chapters.models import Book, Section
from chapters.signals import section_published

pytestmark = pytest.mark.django_db


def section_of(book: Book, slug: str) -> Section:
    return book.sections.get(slug=slug)


def test_every_save_makes_a_revision_with_author_and_message(book: Book, instructor: User) -> None:
    section = section_of(book, "aliasing")
    revision = actions.do_save_section(section, instructor, "Aliasing", "New text.", [], "Tightened the wording")
    assert revision is not None
    assert (revision.number, revision.author, revision.message) == (2, instructor, "Tightened the wording")
    assert list(section.revisions.values_list("number", flat=True)) == [2, 1]


def test_saving_unchanged_content_makes_no_revision(book: Book, instructor: User) -> None:
    section = section_of(book, "aliasing")
    latest = section.latest_revision()
    assert actions.do_save_section(section, instructor, latest.title, latest.body, latest.objectives) is None
    assert section.revisions.count() == 1


def test_a_saved_draft_does_not_reach_students_until_published(book: Book, instructor: User) -> None:
    section = section_of(book, "aliasing")
    actions.do_save_section(section, instructor, "Aliasing, revised", "Changed.", [])
    section.refresh_from_db()
    assert section.published.number == 1
    actions.do_publish_section(section)
    section.refresh_from_db()
    assert section.published.number == 2


def test_publishing_announces_the_section_once_after_commit(
    book: Book, instructor: User, django_capture_on_commit_callbacks: object
) -> None:
    heard: list[tuple[str, int]] = []

    def listener(sender: object, section: Section, revision: object, **kwargs: object) -> None:
        heard.append((section.slug, revision.number))  # type: ignore[attr-defined]

    section_published.connect(listener)
    try:
        section = section_of(book, "reconstruction")
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            actions.do_publish_section(section)
            assert heard == []  # nothing before the commit
            actions.do_publish_section(section)  # publishing the same revision again is a no-op
    finally:
        section_published.disconnect(listener)
    assert heard == [("reconstruction", 1)]


def test_restoring_an_old_revision_makes_a_new_one_with_its_content(book: Book, instructor: User) -> None:
    section = section_of(book, "aliasing")
    first = section.latest_revision()
    actions.do_save_section(section, instructor, "Aliasing", "Rewritten.", [])
    restored = actions.do_restore_revision(section, first, instructor)
    assert restored is not None
    assert (restored.number, restored.body, restored.message) == (3, first.body, "Restored revision 1")


def test_a_section_needs_a_title(book: Book, instructor: User) -> None:
    with pytest.raises(ValidationError, match="needs a title"):
        actions.do_save_section(section_of(book, "aliasing"), instructor, "   ", "x", [])


def test_anchors_stay_unique_in_the_book(book: Book, instructor: User) -> None:
    second = actions.do_create_chapter(book, "Sampling again")
    clash = actions.do_create_section(second, instructor, "Aliasing")
    assert clash.slug == "aliasing"
    assert clash.anchor == "aliasing-2"


def test_chapters_and_sections_move_up_and_down(book: Book, instructor: User) -> None:
    chapter = book.chapters.get()
    slugs = lambda: list(chapter.sections.values_list("slug", flat=True))  # noqa: E731
    assert slugs() == ["the-sampling-theorem", "aliasing", "reconstruction"]
    assert actions.do_move(section_of(book, "reconstruction"), "up")
    assert slugs() == ["the-sampling-theorem", "reconstruction", "aliasing"]
    assert not actions.do_move(section_of(book, "the-sampling-theorem"), "up")
    later = actions.do_create_chapter(book, "Quantization")
    assert actions.do_move(later, "up")
    assert list(book.chapters.values_list("slug", flat=True)) == ["quantization", "sampling"]


def test_otto_cannot_edit_ines_book_but_can_once_added(book: Book, other_instructor: User) -> None:
    assert not book.can_edit(other_instructor)
    actions.do_add_editor(book, "otto")
    assert book.can_edit(other_instructor)


def test_only_instructors_can_be_added_as_authors(book: Book, student: User) -> None:
    with pytest.raises(ValidationError, match="alice is not an instructor"):
        actions.do_add_editor(book, "alice")
    with pytest.raises(ValidationError, match="No user named"):
        actions.do_add_editor(book, "nobody")


def test_a_student_cannot_create_a_book(student: User) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.do_create_book(student, "Mine")


def test_book_slugs_are_unique_with_a_clear_message(book: Book, instructor: User) -> None:
    with pytest.raises(ValidationError, match="“signals” exists already"):
        actions.do_create_book(instructor, "Signals", slug="signals")
