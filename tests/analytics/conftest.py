"""Analytics reads the answers the review queue's stage stores."""

from tests.review.conftest import queue  # noqa: F401
