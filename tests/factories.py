from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth.models import User

from accounts.actions import do_grant_role

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    """A user with roles: UserFactory(username="alice", roles=["instructor"])."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.edu")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        self.save()
        for role in extracted if extracted is not None else ["student"]:
            do_grant_role(self, role)
