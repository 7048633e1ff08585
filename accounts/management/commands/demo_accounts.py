from __future__ import annotations

import os
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.actions import do_create_user, do_grant_role

# username -> roles; "admin" is also staff and superuser.
DEMO_USERS: dict[str, tuple[str, ...]] = {
    "student": ("student",),
    "instructor": ("instructor",),
    "reviewer": ("reviewer",),
    "admin": ("instructor", "reviewer"),
}


def demo_password() -> str:
    """DEMO_PASSWORD from the environment, else one generated once per checkout under var/."""
    if os.environ.get("DEMO_PASSWORD"):
        return os.environ["DEMO_PASSWORD"]
    path = settings.VAR_DIR / "demo-password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(9))
        path.chmod(0o600)
    return path.read_text().strip()


class Command(BaseCommand):
    help = "Create (or reset) one demo account per role and print their credentials."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="allow with DEBUG off")

    @transaction.atomic
    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("demo accounts are for local use; with DEBUG off pass --force")
        password = demo_password()
        for username, roles in DEMO_USERS.items():
            user = User.objects.filter(username=username).first()
            if user is None:
                user = do_create_user(username, password, role=roles[0])
            else:
                user.set_password(password)
            for role in roles:
                do_grant_role(user, role)
            user.is_staff = user.is_superuser = username == "admin"
            user.save()
        self.stdout.write("Demo accounts (username / password):")
        for username, roles in DEMO_USERS.items():
            extra = " + staff admin" if username == "admin" else ""
            self.stdout.write(f"  {username:<11} {password}   ({', '.join(roles)}{extra})")
