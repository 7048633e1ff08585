from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chapters.actions import do_import_book
from chapters.importers import BookImportError, read_book


class Command(BaseCommand):
    help = "Import a folder of course notes (MkDocs, Jupyter Book, Markdown, notebooks) as a book, or update it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--owner", required=True, help="username of the instructor who owns (or edits) the book")
        parser.add_argument("--publish", action="store_true", help="publish every imported section")

    def handle(self, *args: Any, folder: Path, owner: str, publish: bool, **options: Any) -> None:
        user = User.objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"no user named {owner!r}")
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder")
        try:
            data = read_book(folder)
            self.stdout.write(f"Read {len(data.chapters)} chapters from {folder}; writing to the database…")
            report = do_import_book(user, data, lambda name: data.assets[name].read_bytes(), publish=publish)
        except BookImportError as exc:
            raise CommandError(f"nothing was imported: {exc}") from None
        except (ValidationError, PermissionDenied) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise CommandError(f"nothing was imported: {text}") from None
        self.stdout.write(self.style.SUCCESS(report.summary()))
        for problem in report.problems:
            self.stdout.write(self.style.WARNING(f"  {problem}"))
        for slug in report.left_alone:
            self.stdout.write(f"  not in the import, left unchanged: {slug}")
