"""import_book / export_book on the database: one transaction, updates in place, fixed point."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from chapters.actions import do_import_book, export_book_data
from chapters.importers import read_book
from chapters.models import Book, Revision

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"
COURSES = ["mkdocs_course", "jupyterbook_course", "plain_folder"]


def import_folder(folder: Path, owner: str = "ines", *args: str) -> str:
    out = io.StringIO()
    call_command("import_book", str(folder), "--owner", owner, *args, stdout=out)
    return out.getvalue()


def shape(book: Book) -> list[tuple[str, str, list[tuple[str, str, str, list[str]]]]]:
    data = export_book_data(book)
    return [
        (c.title, c.slug, [(s.title, s.slug, s.body.strip(), s.objectives) for s in c.sections]) for c in data.chapters
    ]


@pytest.mark.parametrize("course", COURSES)
def test_a_course_folder_imports_as_a_book(instructor: User, course: str) -> None:
    data = read_book(FIXTURES / course)
    out = import_folder(FIXTURES / course)
    book = Book.objects.get(slug=data.slug)
    assert f"Created “{book.title}”" in out
    assert book.chapters.count() == len(data.chapters)
    assert book.sections.count() == sum(len(c.sections) for c in data.chapters)
    assert not book.sections.filter(published__isnull=False).exists()  # drafts unless --publish
    for problem in data.problems:
        assert str(problem) in out


def test_reimporting_updates_in_place_with_new_revisions_only_where_text_changed(
    instructor: User, tmp_path: Path
) -> None:
    import shutil

    folder = tmp_path / "course"
    shutil.copytree(FIXTURES / "plain_folder", folder)
    import_folder(folder, "ines", "--publish")
    book = Book.objects.get()
    sections, revisions = book.sections.count(), Revision.objects.count()
    first = sorted(folder.glob("*.md"))[0]
    first.write_text(first.read_text() + "\nOne more sentence about filters.\n")
    out = import_folder(folder, "ines", "--publish")
    assert "Updated" in out and "1 updated" in out
    assert (Book.objects.count(), book.sections.count()) == (1, sections)
    assert Revision.objects.count() == revisions + 1


def test_a_failing_import_leaves_nothing_behind(instructor: User, monkeypatch: pytest.MonkeyPatch) -> None:
    from chapters import actions

    calls = {"n": 0}
    real = actions.do_create_section

    def flaky(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(actions, "do_create_section", flaky)
    data = read_book(FIXTURES / "mkdocs_course")
    with pytest.raises(RuntimeError):
        do_import_book(instructor, data, lambda name: data.assets[name].read_bytes())
    assert not Book.objects.exists()


def test_otto_cannot_overwrite_ines_book_by_importing_the_same_slug(instructor: User, other_instructor: User) -> None:
    import_folder(FIXTURES / "plain_folder")
    with pytest.raises(CommandError, match="nothing was imported: You are not an author"):
        import_folder(FIXTURES / "plain_folder", "otto")


def test_import_reports_bad_arguments_clearly(instructor: User, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no user named 'zed'"):
        import_folder(FIXTURES / "plain_folder", "zed")
    with pytest.raises(CommandError, match="is not a folder"):
        import_folder(tmp_path / "missing")
    with pytest.raises(CommandError, match="nothing was imported"):
        import_folder(tmp_path)  # an empty folder


@pytest.mark.parametrize("course", COURSES)
def test_import_export_import_is_a_fixed_point(instructor: User, tmp_path: Path, course: str) -> None:
    import_folder(FIXTURES / course)
    book = Book.objects.get()
    before = shape(book)
    call_command("export_book", book.slug, str(tmp_path / "out"), stdout=io.StringIO())
    out = import_folder(tmp_path / "out")
    assert "0 new sections" in out and "0 updated" in out
    assert shape(Book.objects.get()) == before
    exported = sorted(p.name for p in (tmp_path / "out").glob("figures/*"))
    assert exported == sorted(book.figures.values_list("name", flat=True))


def test_export_refuses_a_folder_that_is_not_empty(book: Book, tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("keep me")
    with pytest.raises(CommandError, match="not empty"):
        call_command("export_book", "signals", str(tmp_path))


def zip_of(folder: Path, prefix: str = "course/") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                bundle.write(path, prefix + str(path.relative_to(folder)))
    return buffer.getvalue()


def test_ines_uploads_a_zip_and_sees_the_report(client: Client, instructor: User) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(instructor)
    upload = SimpleUploadedFile("course.zip", zip_of(FIXTURES / "mkdocs_course"), "application/zip")
    response = client.post("/author/import/", {"archive": upload, "publish": "on"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Imported" in html and "What could not be converted" in html
    assert Book.objects.get().sections.filter(published__isnull=False).exists()


@pytest.mark.parametrize(
    ("member", "content", "message"),
    [
        ("../../evil.md", b"# Evil\n", "unsafe path"),
        ("notes.txt", b"no markdown here", "Nothing was imported"),
    ],
)
def test_a_bad_zip_imports_nothing_and_says_why(
    client: Client, instructor: User, member: str, content: bytes, message: str
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr(member, content)
    client.force_login(instructor)
    response = client.post("/author/import/", {"archive": SimpleUploadedFile("x.zip", buffer.getvalue())}, follow=True)
    assert message in response.content.decode()
    assert not Book.objects.exists()


def test_a_file_that_is_not_a_zip_is_refused(client: Client, instructor: User) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(instructor)
    response = client.post("/author/import/", {"archive": SimpleUploadedFile("x.zip", b"plain text")}, follow=True)
    assert "Nothing was imported" in response.content.decode()


def test_questions_are_imported_with_their_sections_and_updated_in_place(instructor: User, tmp_path: Path) -> None:
    import shutil

    from chapters.models import Question

    folder = tmp_path / "course"
    shutil.copytree(FIXTURES / "mkdocs_course", folder)
    out = import_folder(folder)
    data = read_book(folder)
    assert Question.objects.count() == len(data.questions) > 0
    for question in data.questions:
        stored = Question.objects.get(key=question.id)
        assert sorted(s.slug for s in stored.sections.all()) == sorted(question.sections)
    assert f"{len(data.questions)} new and 0 updated questions" in out
    again = import_folder(folder)
    assert "0 new and 0 updated questions" in again
    assert Question.objects.count() == len(data.questions)
