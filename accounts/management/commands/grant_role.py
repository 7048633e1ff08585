from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actions import RoleError, do_grant_role, do_revoke_role
from accounts.roles import ROLES, roles_of


class Command(BaseCommand):
    help = "Give a user a role (student, instructor, reviewer), or take it away with --revoke."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("role", help=f"one of: {', '.join(ROLES)}")
        parser.add_argument("--revoke", action="store_true", help="remove the role instead")

    def handle(self, *args: Any, username: str, role: str, revoke: bool, **options: Any) -> None:
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None
        try:
            changed = do_revoke_role(user, role) if revoke else do_grant_role(user, role)
        except RoleError as exc:
            raise CommandError(str(exc)) from None
        verb = "no longer has" if revoke else "now has"
        if not changed:
            verb = "did not have" if revoke else "already had"
        self.stdout.write(f"{username} {verb} the {role} role (roles: {', '.join(roles_of(user)) or 'none'})")
