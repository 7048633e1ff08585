from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from uq import actions

DEFAULT = Path(__file__).resolve().parents[2] / "heads" / "smollm2-135m-instruct.npz"


class Command(BaseCommand):
    help = (
        "Install a confidence head exported by train_uq --export (default: the one shipped for the default "
        "generator) and activate it if its generator has no active head. Installing twice changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default=str(DEFAULT))
        parser.add_argument("--no-activate", action="store_true")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        source = Path(path)
        if not source.exists() or not source.with_suffix(".json").exists():
            raise CommandError(f"{source} (and {source.with_suffix('.json').name} beside it) not found")
        record, created = actions.do_install_head(source, activate=not options["no_activate"])
        state = "installed" if created else "already installed"
        self.stdout.write(
            f"{state}: head {record.version} ({record.kind}) for {record.generator}; active: {record.active}"
        )
