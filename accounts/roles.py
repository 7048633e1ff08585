"""The three roles of the site, as Django groups with permissions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission

ROLES: dict[str, tuple[str, ...]] = {
    "student": ("ask_tutor",),
    "instructor": ("ask_tutor", "author_books", "view_analytics"),
    "reviewer": ("ask_tutor", "review_answers"),
}
DEFAULT_ROLE = "student"


def sync_roles() -> None:
    """Create the role groups and give each exactly its permissions (idempotent)."""
    for role, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)
        group.permissions.set(perms)


def sync_roles_after_migrate(**kwargs: Any) -> None:
    sync_roles()


def roles_of(user: AbstractBaseUser | AnonymousUser) -> list[str]:
    if not user.is_authenticated:
        return []
    names = set(user.groups.values_list("name", flat=True))  # type: ignore[union-attr]
    return [role for role in ROLES if role in names]
