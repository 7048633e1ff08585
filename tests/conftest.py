"""Personas: alice is a student, bob another student, ines the instructor, rita the reviewer,
and sam runs the site (staff). Each test meets only the people it needs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings

from chapters.models import Book
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Settings) -> None:
    # Tests are not about key stretching; PBKDF2's 1M rounds would dominate the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _forget_cached_pages() -> Iterator[None]:
    # Rendered sections are cached by revision id, and a rolled-back test frees its ids for the next
    # one, which would then read the other test's HTML. Only the in-process cache: with Redis (the
    # services suite) the same database holds Celery's queues.
    yield
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


@pytest.fixture
def student(db: None) -> User:
    return UserFactory(username="alice", roles=["student"])


@pytest.fixture
def other_student(db: None) -> User:
    return UserFactory(username="bob", roles=["student"])


@pytest.fixture
def instructor(db: None) -> User:
    return UserFactory(username="ines", roles=["instructor"])


@pytest.fixture
def reviewer(db: None) -> User:
    return UserFactory(username="rita", roles=["reviewer"])


@pytest.fixture
def staff(db: None) -> User:
    return UserFactory(username="sam", roles=[], is_staff=True, is_superuser=True)


@pytest.fixture
def other_instructor(db: None) -> User:
    return UserFactory(username="otto", roles=["instructor"])


SAMPLING_BODY = """The sampling theorem says a signal with no energy above $B$ Hz is fixed by samples taken at
$f_s > 2B$.

$$x(t) = \\sum_{n} x[n]\\,\\mathrm{sinc}(f_s t - n)$$

```demo aliasing
f0 = 7000
fs = 8000
```
"""


@pytest.fixture
def book(instructor: User) -> Book:
    """Ines's book: one chapter, two published sections and one draft."""
    from chapters import actions

    book = actions.do_create_book(instructor, "Signals and Systems", "A first course.", slug="signals")
    chapter = actions.do_create_chapter(book, "Sampling")
    theorem = actions.do_create_section(
        chapter, instructor, "The sampling theorem", SAMPLING_BODY, ["State the theorem"]
    )
    aliasing = actions.do_create_section(chapter, instructor, "Aliasing", "A tone at $f_0$ appears at $|f_0 - k f_s|$.")
    actions.do_create_section(chapter, instructor, "Reconstruction", "Not ready for students.")
    actions.do_publish_section(theorem)
    actions.do_publish_section(aliasing)
    return book


# The persona set. Alice (student) owns the objects the matrix tests; Bob is the other student.
PERSONAS = ("anonymous", "student", "other_student", "instructor", "other_instructor", "reviewer", "staff")


@pytest.fixture(params=PERSONAS)
def persona(request: pytest.FixtureRequest) -> tuple[str, User | None]:
    """Each persona in turn, as (name, user or None for anonymous)."""
    name = request.param
    return name, None if name == "anonymous" else request.getfixturevalue(name)
