from __future__ import annotations

from django.db import models


class Capability(models.Model):  # noqa: DJ008 (no rows, so nothing to print)
    """Holds the site-wide permissions that roles grant; it has no table of its own.

    Views check these (`user.has_perm("accounts.review_answers")`), never group names, so a
    deployment can compose roles differently in the admin.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("ask_tutor", "Can ask the tutor"),
            ("author_books", "Can write and publish books they own"),
            ("view_analytics", "Can see analytics of books they own"),
            ("review_answers", "Can review flagged and abstained answers"),
        ]


class ApiToken(models.Model):
    """A personal token for the JSON API; only its hash is kept, the token is shown once."""

    user = models.OneToOneField("auth.User", on_delete=models.CASCADE, related_name="api_token")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)  # shown on the account page to tell tokens apart
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} {self.prefix}…"
