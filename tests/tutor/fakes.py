"""A scripted generator for unit tests of the tutor flow (the real one is tested in test_generation).

It is the test stand-in (tutor/standin.py) with a fixed answer, no delay and constant token statistics, plus
what unit tests ask of a fake: the messages it was given, and a switch that makes it fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tutor.generation import Generation
from tutor.standin import StandinGenerator, StandinOptions


class FakeGenerator(StandinGenerator):
    """Streams a scripted answer word by word; records the messages it was given."""

    name = "fake-generator"

    def __init__(self, answer: str = "Sample faster than twice the bandwidth [1].", *, fail: bool = False) -> None:
        super().__init__(StandinOptions(delay=0.0, tokens=len(answer.split()), hidden_size=8))
        self.answer, self.fail = answer, fail
        self.calls: list[list[dict[str, str]]] = []

    def reply(self, messages: Sequence[dict[str, str]]) -> str:
        return self.answer

    def token_arrays(self, seed: int, n: int) -> tuple[Any, Any, Any, Any]:
        return (
            np.full(n, -0.1, np.float32),
            np.full(n, 0.5, np.float32),
            np.full(n, 2.0, np.float32),
            np.zeros((n, self.hidden_size), np.float32),
        )

    def generate(self, messages: list[dict[str, str]], **kwargs: Any) -> Generation:
        self.calls.append(messages)
        if self.fail:
            raise RuntimeError("the GPU caught fire")
        return super().generate(messages, **kwargs)
