from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.roles import roles_of


def roles(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's role names, for the navigation badge."""
    return {"user_roles": roles_of(request.user)}
