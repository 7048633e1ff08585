from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.roles import sync_roles_after_migrate

        post_migrate.connect(sync_roles_after_migrate, sender=self)
        # The admin's login is a second door to the same accounts: the same throttle guards it.
        from django.contrib import admin

        from accounts.forms import AdminLoginForm

        admin.site.login_form = AdminLoginForm
