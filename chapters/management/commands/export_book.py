from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chapters.actions import export_book_data
from chapters.exporters import write_book
from chapters.models import Book


class Command(BaseCommand):
    help = "Write a book's current drafts as a folder that import_book reads back unchanged."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("folder", type=Path)

    def handle(self, *args: Any, slug: str, folder: Path, **options: Any) -> None:
        book = Book.objects.filter(slug=slug).first()
        if book is None:
            raise CommandError(f"no book with slug {slug!r}")
        if folder.exists() and any(folder.iterdir()):
            raise CommandError(f"{folder} is not empty; export into a new or empty folder")
        data = export_book_data(book)
        write_book(data, folder, lambda name: Path(data.assets[name]).read_bytes())
        sections = sum(len(chapter.sections) for chapter in data.chapters)
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(data.chapters)} chapters, {sections} sections to {folder}"))
