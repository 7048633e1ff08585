"""The confidence app reuses the tutor's stage: the book indexed with the real embedder, a scripted generator."""

from tests.tutor.conftest import tutor  # noqa: F401
