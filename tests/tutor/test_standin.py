"""The stand-in generator: fast and deterministic for tests and load benchmarks, and never on by accident."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings

from chapters.models import Book
from tests.tutor.fakes import FakeGenerator
from tutor import actions, backends, checks
from tutor.prompting import NOT_COVERED, build_messages, verify_citations
from tutor.standin import FILLER, StandinGenerator, StandinOptions, parse_spec, reply_to
from tutor.types import Passage

ROOT = Path(__file__).resolve().parents[2]
REAL_GENERATOR = backends.generator  # the `tutor` fixture swaps it for the fake; these tests want the real choice
PASSAGES = [
    Passage(1, "1-0", 1, "The sampling theorem", "Sampling", "the-sampling-theorem", "Sample above $2B$.", 0.9),
    Passage(2, "2-0", 2, "Aliasing", "Sampling", "aliasing", "A tone folds to $|f_0 - k f_s|$.", 0.7),
]


def messages(question: str = "How fast must I sample?") -> list[dict[str, str]]:
    return build_messages(question, PASSAGES)


def test_it_cites_and_names_the_passages_it_was_given() -> None:
    generation = StandinGenerator().generate(messages())
    text, citations, removed = verify_citations(generation.text, PASSAGES)
    assert [c.number for c in citations] == [1, 2] and removed == []
    assert text.startswith("The section The sampling theorem covers this [1]. The section Aliasing covers this [2].")
    assert FILLER.split()[0] in text  # and says what it is


def test_without_passages_it_says_the_book_does_not_cover_it() -> None:
    assert reply_to([{"role": "user", "content": "Question: hi?"}], tokens=48) == NOT_COVERED


def test_it_streams_every_word_and_the_pieces_make_the_text() -> None:
    pieces: list[str] = []
    generation = StandinGenerator(StandinOptions(delay=0, tokens=30)).generate(messages(), on_text=pieces.append)
    assert "".join(pieces) == generation.text
    assert len(pieces) == len(generation.token_ids) == 30
    assert generation.stopped == "eos" and generation.model == "standin"


def test_the_per_token_arrays_have_the_real_generators_shapes() -> None:
    generation = StandinGenerator(StandinOptions(delay=0, tokens=20, hidden_size=12)).generate(messages())
    assert generation.logprobs.shape == generation.entropies.shape == generation.certainties.shape == (20,)
    assert generation.hidden.shape == (20, 12)
    assert {a.dtype for a in (generation.logprobs, generation.hidden)} == {np.dtype(np.float32)}
    assert (generation.logprobs <= 0).all() and (generation.entropies > 0).all()


def test_the_same_prompt_gets_the_same_answer_and_numbers() -> None:
    generator = StandinGenerator(StandinOptions(delay=0))
    first, again, other = (generator.generate(messages(q)) for q in ("Why?", "Why?", "Why not?"))
    assert first.text == again.text and first.token_ids == again.token_ids
    assert np.array_equal(first.hidden, again.hidden) and np.array_equal(first.logprobs, again.logprobs)
    assert not np.array_equal(first.hidden, other.hidden)


def test_it_stops_at_max_new_tokens() -> None:
    generation = StandinGenerator(StandinOptions(delay=0, tokens=48)).generate(messages(), max_new_tokens=5)
    assert len(generation.token_ids) == 5 and generation.stopped == "length"


def test_it_stops_when_asked_to() -> None:
    pieces: list[str] = []
    generation = StandinGenerator(StandinOptions(delay=0)).generate(
        messages(), on_text=pieces.append, should_stop=lambda: len(pieces) >= 3
    )
    assert generation.stopped == "cancelled" and len(generation.token_ids) == 3


def test_it_waits_the_configured_delay_before_each_token() -> None:
    waits: list[float] = []
    generator = StandinGenerator(StandinOptions(delay=0.02, tokens=10), sleep=waits.append)
    generator.generate(messages())
    assert waits == [0.02] * 10


def test_a_batch_gives_one_generation_per_prompt_and_sample() -> None:
    generations = StandinGenerator(StandinOptions(delay=0)).generate_batch(
        [messages("a?"), messages("b?")], samples=2, sample_max_new_tokens=4
    )
    assert [len(g.token_ids) for g in generations] == [48, 4, 4, 48, 4, 4]


@pytest.mark.parametrize(
    ("spec", "options"),
    [
        ("on", StandinOptions()),
        ("1", StandinOptions()),
        ("delay_ms=50", StandinOptions(delay=0.05)),
        ("delay_ms=0, tokens=200, hidden=16", StandinOptions(delay=0.0, tokens=200, hidden_size=16)),
        ("load_ms=6000", StandinOptions(load=6.0)),
    ],
)
def test_its_setting_reads_on_or_options(spec: str, options: StandinOptions) -> None:
    assert parse_spec(spec) == options


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("fast", "unknown option 'fast'"),
        ("delay_ms=soon", "delay_ms='soon' is not a number"),
        ("tokens=0", "tokens=0 is out of range"),
        ("delay_ms=-1", "delay_ms=-1 is out of range"),
        ("load_ms=-5", "load_ms=-5 is out of range"),
    ],
)
def test_a_bad_setting_says_which_option_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_spec(spec)


def test_it_takes_as_long_to_load_as_it_is_told() -> None:
    slept: list[float] = []
    StandinGenerator(StandinOptions(load=6.0), sleep=slept.append)
    StandinGenerator(StandinOptions(), sleep=slept.append)
    assert slept == [6.0]


@pytest.fixture
def real_generator_choice(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(backends, "generator", REAL_GENERATOR)
    REAL_GENERATOR.cache_clear()
    yield
    REAL_GENERATOR.cache_clear()


@pytest.mark.django_db(transaction=True)
def test_alice_is_answered_by_the_stand_in_through_the_whole_worker_path(
    tutor: FakeGenerator, real_generator_choice: None, book: Book, student: User, settings: Settings
) -> None:
    settings.GENERATOR_STANDIN, settings.ALLOW_STANDIN_GENERATOR = "delay_ms=0,tokens=24", True  # tests run DEBUG off
    answer = actions.do_ask(student, book, "How fast must I sample?")
    answer.refresh_from_db()
    assert answer.status == "done" and answer.model_name == "standin"
    assert answer.tokens == 24 and answer.citations and answer.citations[0]["number"] == 1
    assert not tutor.calls  # the fake was not asked: the setting chose the stand-in


def test_the_stand_in_is_refused_with_debug_off(real_generator_choice: None, settings: Settings) -> None:
    settings.DEBUG, settings.GENERATOR_STANDIN = False, "on"
    with pytest.raises(ImproperlyConfigured, match="ALLOW_STANDIN_GENERATOR=1"):
        backends.generator()


def test_the_stand_in_runs_with_debug_off_only_when_allowed(real_generator_choice: None, settings: Settings) -> None:
    settings.DEBUG, settings.GENERATOR_STANDIN, settings.ALLOW_STANDIN_GENERATOR = False, "on", True
    assert isinstance(backends.generator(), StandinGenerator)


def test_the_system_check_stops_a_production_process_that_would_refuse_every_answer(settings: Settings) -> None:
    settings.DEBUG, settings.GENERATOR_STANDIN = False, "on"
    assert [error.id for error in checks.check_standin_generator()] == ["tutor.E001"]
    settings.GENERATOR_STANDIN = "tokens=many"
    assert "tutor.E002" in [error.id for error in checks.check_standin_generator()]


def test_check_deploy_fails_whenever_the_stand_in_is_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "TASKS_MODE"}}
    env.update(
        DEBUG="0", SECRET_KEY="x" * 60, ALLOWED_HOSTS="textbook.example.edu", VAR_DIR=str(tmp_path),
        GENERATOR_STANDIN="on", ALLOW_STANDIN_GENERATOR="1", DJANGO_SETTINGS_MODULE="textbook.settings",
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "tutor.E003" in result.stderr
