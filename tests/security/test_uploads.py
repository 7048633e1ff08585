"""What an upload may put on the server: figures are images by their content, within size and pixel caps,
named for what they are; a course zip unpacks only inside its own folder, within caps, or not at all."""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import Settings

from chapters.actions import do_upload_figure
from chapters.archives import Limits, UnsafeArchive, unpack
from chapters.models import Book, Figure
from tests.images import image_bytes, png_bytes

# --- figures -----------------------------------------------------------------------------------------------


def png_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes of valid PNG that declares `width` × `height` pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("bomb.png", png_claiming(20_000, 20_000), "more than 40 million pixels"),
        ("wide.png", png_claiming(8_000, 6_000), "more than 40 million pixels"),
        ("plot.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "is not a PNG, JPEG, GIF or WebP"),
        ("page.png", b"<!doctype html><script>alert(1)</script>", "is not a PNG, JPEG, GIF or WebP"),
        ("plot.html", png_bytes(), "holds a PNG image; name it .png"),
        ("plot.jpg", png_bytes(), "holds a PNG image; name it .png"),
        ("photo.gif", image_bytes("JPEG"), "holds a JPEG image; name it .jpg"),
        ("anim.bmp", image_bytes("BMP"), "is a BMP image; use PNG, JPEG, GIF or WebP"),
    ],
)
def test_a_figure_that_is_not_what_it_says_is_refused(book: Book, filename: str, content: bytes, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        do_upload_figure(book, None, SimpleUploadedFile(filename, content))
    assert not Figure.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filename", "kind"),
    [("a.png", "PNG"), ("b.jpg", "JPEG"), ("c.jpeg", "JPEG"), ("d.gif", "GIF"), ("e.webp", "WEBP")],
)
def test_real_images_named_for_what_they_are_upload(book: Book, filename: str, kind: str) -> None:
    assert do_upload_figure(book, None, SimpleUploadedFile(filename, image_bytes(kind))).name == filename


class Unread(SimpleUploadedFile):
    def read(self, *args: object) -> bytes:
        raise AssertionError("a figure over the cap must be refused before it is read")


@pytest.mark.django_db
def test_an_oversized_figure_is_refused_before_it_is_read(book: Book, settings: Settings) -> None:
    upload = Unread("huge.png", b"")
    upload.size = settings.FIGURE_MAX_BYTES + 1
    with pytest.raises(ValidationError, match="figures may be at most"):
        do_upload_figure(book, None, upload)


@pytest.mark.django_db
def test_a_png_with_html_inside_is_served_as_an_image_that_cannot_run(client: Client, book: Book) -> None:
    polyglot = png_bytes() + b"<html><script>alert(1)</script></html>"
    figure = do_upload_figure(book, None, SimpleUploadedFile("plot.png", polyglot))
    response = client.get(figure.get_absolute_url())
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'"


@pytest.mark.django_db
def test_a_figure_name_cannot_reach_outside_the_books_folder(book: Book) -> None:
    figure = do_upload_figure(book, None, SimpleUploadedFile("x.png", png_bytes()), "../../../etc/evil.png")
    assert "/" not in figure.name and figure.image.name.startswith("books/signals/figures/")


# --- the zip itself (chapters.archives, pure) ----------------------------------------------------------------


def zip_of(*members: tuple[str | zipfile.ZipInfo, bytes], compression: int = zipfile.ZIP_DEFLATED) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as bundle:
        for name, content in members:
            bundle.writestr(name, content)
    buffer.seek(0)
    return buffer


def symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


PAGE = ("course/intro.md", b"# Intro\n\nHello.\n")


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (("../../evil.md", b"x"), "unsafe path"),
        (("course/../../evil.md", b"x"), "unsafe path"),
        (("/etc/cron.d/evil", b"x"), "unsafe path"),
        (("C:/evil.md", b"x"), "unsafe path"),
        (("..\\..\\evil.md", b"x"), "unsafe path"),
        (("course\\notes.md", b"x"), "unsafe path"),
        (symlink("course/link", "/etc/passwd"), "symbolic link"),
        (symlink("course/up", "../.."), "symbolic link"),
        pytest.param(("course/intro.md", b"again"), "twice", marks=pytest.mark.filterwarnings("ignore:Duplicate name")),
        (("course/intro.md/inner.md", b"x"), "inside a file"),
    ],
)
def test_an_unsafe_member_refuses_the_whole_zip_and_writes_nothing(
    tmp_path: Path, member: tuple[str | zipfile.ZipInfo, bytes], message: str
) -> None:
    folder = tmp_path / "unpacked"
    folder.mkdir()
    with pytest.raises(UnsafeArchive, match=message):
        unpack(zip_of(PAGE, member), folder)
    assert not any(folder.iterdir())
    assert not (tmp_path / "evil.md").exists()


def test_a_zip_bomb_is_refused_by_its_ratio(tmp_path: Path) -> None:
    with pytest.raises(UnsafeArchive, match="looks like a zip bomb"):
        unpack(zip_of(PAGE, ("course/zeros.md", b"\0" * (20 << 20))), tmp_path)
    assert not any(tmp_path.iterdir())


def test_a_zip_is_refused_by_its_unpacked_size_and_its_file_count(tmp_path: Path) -> None:
    big = zip_of(PAGE, ("course/data.md", b"x" * 3000), compression=zipfile.ZIP_STORED)
    with pytest.raises(UnsafeArchive, match="unpacks to"):
        unpack(big, tmp_path, Limits(max_bytes=2048))
    many = zip_of(*[(f"course/{n}.md", b"x") for n in range(11)])
    with pytest.raises(UnsafeArchive, match="holds 11 files; at most 10"):
        unpack(many, tmp_path, Limits(max_files=10))


def test_a_member_that_lies_about_its_size_is_cut_off(tmp_path: Path) -> None:
    """The claimed size is what the caps count; a member that inflates past it must not get further."""
    buffer = zip_of(PAGE, ("course/liar.md", b"y" * 100_000))
    data = bytearray(buffer.getvalue())
    # Rewrite the uncompressed size claimed by the central directory entry of the second member to 10 bytes.
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 10)
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises((UnsafeArchive, zipfile.BadZipFile)):
        unpack(io.BytesIO(bytes(data)), folder)
    liar = folder / "course" / "liar.md"
    assert not liar.exists() or liar.stat().st_size <= 10


def test_an_encrypted_member_is_refused(tmp_path: Path) -> None:
    buffer = zip_of(PAGE)
    data = bytearray(buffer.getvalue())
    for offset, flag in ((0, 6), (data.rfind(b"PK\x01\x02"), 8)):  # local and central "encrypted" flag bit
        struct.pack_into("<H", data, offset + flag, 1)
    with pytest.raises(UnsafeArchive, match="encrypted"):
        unpack(io.BytesIO(bytes(data)), tmp_path)


def test_nested_archives_are_skipped_not_unpacked(tmp_path: Path) -> None:
    inner = zip_of(("bomb.md", b"\0" * 1000)).getvalue()
    skipped = unpack(zip_of(PAGE, ("course/more.zip", inner), ("course/hidden.md", inner)), tmp_path)
    assert skipped == ["course/more.zip", "course/hidden.md"]
    assert sorted(p.name for p in (tmp_path / "course").iterdir()) == ["intro.md"]


def test_a_file_that_is_not_a_zip_says_so(tmp_path: Path) -> None:
    with pytest.raises(zipfile.BadZipFile):
        unpack(io.BytesIO(b"%PDF-1.7 not a zip at all"), tmp_path)


# --- the upload, end to end ---------------------------------------------------------------------------------


def upload(client: Client, buffer: io.BytesIO, name: str = "course.zip") -> str:
    response = client.post("/author/import/", {"archive": SimpleUploadedFile(name, buffer.getvalue())}, follow=True)
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("buffer", "message"),
    [
        (zip_of(PAGE, ("../../evil.md", b"x")), "unsafe path"),
        (zip_of(PAGE, symlink("course/link", "/etc")), "symbolic link"),
        (zip_of(PAGE, ("course/zeros.md", b"\0" * (20 << 20))), "zip bomb"),
        (io.BytesIO(b"%PDF-1.7 renamed to .zip"), "course.zip is not a zip file, or it is damaged"),
    ],
)
def test_a_refused_zip_imports_nothing_and_says_why(
    client: Client, instructor: User, buffer: io.BytesIO, message: str
) -> None:
    client.force_login(instructor)
    html = upload(client, buffer)
    assert "Nothing was imported" in html and message in html
    assert not Book.objects.exists()


@pytest.mark.django_db
def test_a_nested_archive_is_named_in_the_report(client: Client, instructor: User) -> None:
    client.force_login(instructor)
    html = upload(client, zip_of(PAGE, ("course/extra/slides.zip", zip_of(PAGE).getvalue())))
    assert "extra/slides.zip" in html and "not unpacked" in html
    assert Book.objects.get().sections.exists()


@pytest.mark.django_db
def test_the_caps_are_settings(client: Client, instructor: User, settings: Settings) -> None:
    settings.IMPORT_MAX_FILES = 1
    client.force_login(instructor)
    assert "at most 1 are imported" in upload(client, zip_of(PAGE, ("course/two.md", b"# Two\n")))
    assert not Book.objects.exists()
