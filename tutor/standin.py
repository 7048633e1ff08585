"""A stand-in for the language model, for tests and load benchmarks only: fast, deterministic, never a model.

Pure: the standard library and numpy. ``StandinGenerator`` fits ``tutor.types.TextGenerator`` and
``BatchGenerator``. It streams a reply through ``on_text`` one word at a time (a word is its "token"), waiting
``delay`` seconds before each (a GPU's decode pace, without a GPU), honours ``max_new_tokens`` and
``should_stop``, and returns a ``Generation`` whose per-token arrays have the real generator's shapes ([T] and
[T, H]), seeded by the prompt so that the same prompt always gets the same numbers. The reply names and cites
the numbered passages of the prompt, so citation checking, storing and scoring run as they do for the model.

``tutor.backends`` loads it when the setting ``GENERATOR_STANDIN`` is set (``parse_spec`` reads its options);
it refuses with DEBUG off unless ``ALLOW_STANDIN_GENERATOR`` is set, and ``check --deploy`` reports it as an
error (``tutor.checks``): a student must never get canned text by accident.
"""

from __future__ import annotations

import re
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tutor.generation import Generation, tokens_per_second
from tutor.prompting import CLOSE_PASSAGES, NOT_COVERED, OPEN_PASSAGES

__all__ = ["NAME", "REFUSED", "StandinGenerator", "StandinOptions", "parse_spec", "reply_to"]

NAME = "standin"
FILLER = "This is a stand-in reply for tests and load benchmarks, not an answer from a language model."
_HEADER = re.compile(r"^\[(\d+)\] (.+?)(?: \([^()]*\))?$", re.MULTILINE)  # "[n] Title (Chapter)"
REFUSED = (
    "GENERATOR_STANDIN replaces the language model with canned text for tests and load benchmarks; it is "
    "refused with DEBUG off unless ALLOW_STANDIN_GENERATOR=1 says so"
)
_ON = frozenset({"1", "on", "true", "yes"})

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class StandinOptions:
    """What ``GENERATOR_STANDIN`` can set: seconds per token, reply length in tokens, hidden size, and the
    seconds it takes to load (a model's load, without a model)."""

    delay: float = 0.015
    tokens: int = 48
    hidden_size: int = 8
    load: float = 0.0


def parse_spec(spec: str) -> StandinOptions:
    """``"on"`` (or 1/true/yes) for the defaults, or ``"delay_ms=15,tokens=48,hidden=8,load_ms=0"`` with any
    of the four. Raises ValueError naming the option that is unknown or out of range."""
    spec = spec.strip()
    if spec.lower() in _ON:
        return StandinOptions()
    values: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key, _, raw = item.partition("=")
        key = key.strip()
        if key not in ("delay_ms", "tokens", "hidden", "load_ms"):
            raise ValueError(f"unknown option {key!r} (use delay_ms, tokens, hidden, load_ms; or 'on')")
        milliseconds = key.endswith("_ms")
        try:
            value = float(raw) if milliseconds else int(raw)
        except ValueError:
            raise ValueError(f"{key}={raw.strip()!r} is not a number") from None
        if value < (0 if milliseconds else 1) or value != value:
            raise ValueError(f"{key}={raw.strip()} is out of range")
        values[key] = value
    if not values:
        raise ValueError("empty; use 'on' or options like delay_ms=15,tokens=48")
    defaults = StandinOptions()
    return StandinOptions(
        delay=values.get("delay_ms", defaults.delay * 1000) / 1000,
        tokens=int(values.get("tokens", defaults.tokens)),
        hidden_size=int(values.get("hidden", defaults.hidden_size)),
        load=values.get("load_ms", defaults.load * 1000) / 1000,
    )


def reply_to(messages: Sequence[dict[str, str]], tokens: int) -> str:
    """The stand-in's reply to chat ``messages``: one sentence naming and citing each numbered passage of the
    last message, then the filler sentence, repeated or cut to ``tokens`` words. Without passages it is
    ``prompting.NOT_COVERED``, as the model is told to answer."""
    prompt = messages[-1]["content"] if messages else ""
    start, end = prompt.find(OPEN_PASSAGES), prompt.rfind(CLOSE_PASSAGES)
    block = prompt[start + len(OPEN_PASSAGES) : end] if 0 <= start < end else ""
    cited = [f"The section {title.strip()} covers this [{number}]." for number, title in _HEADER.findall(block)]
    if not cited:
        return NOT_COVERED
    sentences = [*cited, FILLER]
    words: list[str] = []
    while len(words) < tokens:
        words.extend(sentences[0].split())
        sentences.append(sentences.pop(0))
    return " ".join(words[:tokens])


class StandinGenerator:
    """A ``TextGenerator`` that writes ``reply_to`` its prompt at ``delay`` seconds per word (see the module)."""

    name = NAME

    def __init__(self, options: StandinOptions | None = None, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.options = options or StandinOptions()
        self.hidden_size = self.options.hidden_size
        self._sleep = sleep
        if self.options.load:
            sleep(self.options.load)

    def reply(self, messages: Sequence[dict[str, str]]) -> str:
        return reply_to(messages, self.options.tokens)

    def token_arrays(self, seed: int, n: int) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """(log-probs [n], entropies [n], self-certainties [n], hidden [n, H]) drawn from ``seed``: plausible
        ranges (log-probs ≤ 0, entropies and certainties in nats) so scoring sees ordinary numbers."""
        rng = np.random.default_rng(seed)
        logprobs = -rng.gamma(1.0, 0.4, n)
        entropies = rng.uniform(0.1, 3.0, n)
        certainties = rng.uniform(0.5, 6.0, n)
        hidden = rng.standard_normal((n, self.hidden_size))
        as32 = np.float32
        return logprobs.astype(as32), entropies.astype(as32), certainties.astype(as32), hidden.astype(as32)

    def generate(
        self,
        messages: list[dict[str, str]],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int | None = None,
        on_text: Callable[[str], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        repetition_penalty: float = 1.0,
    ) -> Generation:
        """Stream the reply word by word; ``stopped`` is "eos" at its end, "length" at ``max_new_tokens``,
        "cancelled" when ``should_stop()`` turns true. Sampling options are accepted and ignored."""
        if max_new_tokens < 0:
            raise ValueError("max_new_tokens must be >= 0")
        started = time.perf_counter()
        words = self.reply(messages).split(" ")
        pieces: list[str] = []
        stopped, first_at = "eos", None
        for i, word in enumerate(words):
            if len(pieces) >= max_new_tokens:
                stopped = "length"
                break
            if should_stop is not None and should_stop():
                stopped = "cancelled"
                break
            if self.options.delay:
                self._sleep(self.options.delay)
            piece = word if i == 0 else " " + word
            pieces.append(piece)
            if on_text is not None:
                on_text(piece)
            if first_at is None:
                first_at = time.perf_counter() - started
        total = time.perf_counter() - started
        text = "".join(pieces)
        prompt = "\n".join(message.get("content", "") for message in messages)
        logprobs, entropies, certainties, hidden = self.token_arrays(zlib.crc32(prompt.encode()), len(pieces))
        ttft = first_at if first_at is not None else total
        return Generation(
            text=text,
            token_ids=[zlib.crc32(piece.encode()) % 50_000 for piece in pieces],
            logprobs=logprobs,
            entropies=entropies,
            certainties=certainties,
            hidden=hidden,
            prompt_tokens=len(prompt.split()),
            time_to_first_token=ttft,
            total_time=total,
            tokens_per_second=tokens_per_second(len(pieces), total, ttft),
            model=self.name,
            stopped=stopped,
        )

    def generate_batch(
        self,
        batch: Sequence[list[dict[str, str]]],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int | None = None,
        samples: int = 0,
        sample_temperature: float = 1.0,
        sample_max_new_tokens: int | None = None,
    ) -> list[Generation]:
        """``1 + samples`` generations per conversation, in order (the samples are the same reply, shorter
        when ``sample_max_new_tokens`` says so): a stand-in has nothing to sample."""
        sample_cap = max_new_tokens if sample_max_new_tokens is None else min(sample_max_new_tokens, max_new_tokens)
        return [
            self.generate(messages, max_new_tokens=max_new_tokens if copy == 0 else sample_cap)
            for messages in batch
            for copy in range(1 + samples)
        ]
