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


# --- Failed logins (shared by every web process through the cache: Redis in production) -------------


class LoginThrottled(Exception):
    """Too many failed logins for a username or from an address; `retry_after` in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _failure_keys(username: str, address: str) -> list[tuple[str, int, str]]:
    """(cache key, limit, what the message calls it) for the username and the client address."""
    from django.conf import settings

    return [
        (f"login-failures:user:{_hash(username.strip().lower())}", settings.LOGIN_MAX_FAILURES, "this account"),
        (f"login-failures:ip:{_hash(address)}", settings.LOGIN_MAX_FAILURES_PER_ADDRESS, "your network address"),
    ]


def _in_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{(seconds + 59) // 60} minutes"


def check_login_allowed(username: str, address: str) -> None:
    """Raise LoginThrottled while the username or the address has used up its failed logins."""
    import time

    from django.conf import settings
    from django.core.cache import cache

    for key, limit, what in _failure_keys(username, address):
        if (cache.get(key) or 0) >= limit:
            since = cache.get(f"{key}:since") or time.time()
            wait = max(1, int(since + settings.LOGIN_FAILURE_WINDOW - time.time()) + 1)
            raise LoginThrottled(f"Too many failed logins for {what}. Try again in {_in_words(wait)}.", wait)


def do_record_failed_login(username: str, address: str) -> None:
    """Count one failure against the username and the address; each count lives one window from its first."""
    import time

    from django.conf import settings
    from django.core.cache import cache

    window = settings.LOGIN_FAILURE_WINDOW
    for key, _, _ in _failure_keys(username, address):
        if cache.add(key, 0, window):  # the first failure of a window starts its clock
            cache.set(f"{key}:since", time.time(), window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr: this failure starts a new window
            cache.set(key, 1, window)
            cache.set(f"{key}:since", time.time(), window)


def do_forget_failed_logins(username: str) -> None:
    """A successful login clears its username's count. Not the address's: an attacker with an account
    of their own could otherwise reset it between guesses at someone else's password."""
    from django.core.cache import cache

    key = _failure_keys(username, "")[0][0]
    cache.delete_many([key, f"{key}:since"])
