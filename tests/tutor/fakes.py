"""A stand-in generator for unit tests of the tutor flow (the real one is tested in test_generation)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class FakeGenerator:
    """Streams a scripted answer in pieces; records the messages it was given."""

    name = "fake-generator"
    hidden_size = 8

    def __init__(self, answer: str = "Sample faster than twice the bandwidth [1].", *, fail: bool = False) -> None:
        self.answer, self.fail = answer, fail
        self.calls: list[list[dict[str, str]]] = []

    def generate(
        self, messages: list[dict[str, str]], *, on_text: Callable[[str], None] | None = None, **kwargs: object
    ):  # type: ignore[no-untyped-def]
        from tutor.generation import Generation

        self.calls.append(messages)
        if self.fail:
            raise RuntimeError("the GPU caught fire")
        words = self.answer.split(" ")
        for i, word in enumerate(words):
            if on_text:
                on_text(word if i == 0 else " " + word)
        n = len(words)
        return Generation(
            text=self.answer, token_ids=list(range(n)), logprobs=np.full(n, -0.1, np.float32),
            entropies=np.full(n, 0.5, np.float32), certainties=np.full(n, 2.0, np.float32), hidden=np.zeros((n, self.hidden_size), np.float32),
            prompt_tokens=100, time_to_first_token=0.01, total_time=0.05, tokens_per_second=100.0,
            model=self.name, stopped="eos",
        )  # fmt: skip

    def generate_batch(self, batch, *, samples: int = 0, **kwargs: object):  # type: ignore[no-untyped-def]
        return [self.generate(messages) for messages in batch for _ in range(1 + samples)]
