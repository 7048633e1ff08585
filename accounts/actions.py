"""Every change to accounts and roles goes through here (views and commands call these)."""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db import transaction

from accounts.roles import DEFAULT_ROLE, ROLES


class RoleError(ValueError):
    pass


def check_role(role: str) -> Group:
    if role not in ROLES:
        raise RoleError(f"unknown role {role!r}; roles are: {', '.join(ROLES)}")
    return Group.objects.get(name=role)


@transaction.atomic
def do_create_user(username: str, password: str, *, email: str = "", role: str = DEFAULT_ROLE) -> User:
    group = check_role(role)
    user = User.objects.create_user(username=username, email=email, password=password)
    user.groups.add(group)
    return user


def do_grant_role(user: User, role: str) -> bool:
    """Add `role` to `user`; returns False if they already had it."""
    group = check_role(role)
    if user.groups.filter(pk=group.pk).exists():
        return False
    user.groups.add(group)
    return True


def do_revoke_role(user: User, role: str) -> bool:
    """Remove `role` from `user`; returns False if they did not have it."""
    group = check_role(role)
    if not user.groups.filter(pk=group.pk).exists():
        return False
    user.groups.remove(group)
    return True


def _hash(key: str) -> str:
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def do_issue_api_token(user: User) -> str:
    """A new API token for `user` (replacing any old one); returns it — it is not stored in clear."""
    import secrets

    from accounts.models import ApiToken

    key = "tb_" + secrets.token_urlsafe(32)
    ApiToken.objects.filter(user=user).delete()
    ApiToken.objects.create(user=user, key_hash=_hash(key), prefix=key[:8])
    return key


def do_revoke_api_token(user: User) -> None:
    from accounts.models import ApiToken

    ApiToken.objects.filter(user=user).delete()


def user_for_token(key: str) -> User | None:
    from django.utils import timezone

    from accounts.models import ApiToken

    token = ApiToken.objects.select_related("user").filter(key_hash=_hash(key)).first()
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user
