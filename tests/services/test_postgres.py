from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def test_the_suite_runs_on_postgresql() -> None:
    assert connection.vendor == "postgresql"


def test_every_migration_is_applied_and_none_is_missing() -> None:
    call_command("migrate", "--check", verbosity=0)  # exits non-zero on unapplied migrations
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_migrating_creates_the_role_groups() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {"student", "instructor", "reviewer"}
