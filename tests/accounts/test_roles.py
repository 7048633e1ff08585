from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.roles import ROLES, roles_of, sync_roles

pytestmark = pytest.mark.django_db


def test_migrations_leave_one_group_per_role_with_exactly_its_permissions() -> None:
    for role, codenames in ROLES.items():
        group = Group.objects.get(name=role)
        assert sorted(group.permissions.values_list("codename", flat=True)) == sorted(codenames)


def test_sync_roles_repairs_a_group_edited_by_hand() -> None:
    reviewer = Group.objects.get(name="reviewer")
    reviewer.permissions.clear()
    sync_roles()
    assert reviewer.permissions.filter(codename="review_answers").exists()


def test_grant_role_gives_bob_the_reviewer_role(other_student: User, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("grant_role", "bob", "reviewer")
    assert roles_of(other_student) == ["student", "reviewer"]
    assert User.objects.get(username="bob").has_perm("accounts.review_answers")
    assert "bob now has the reviewer role" in capsys.readouterr().out


def test_grant_role_twice_says_so(instructor: User, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("grant_role", "ines", "instructor")
    assert "ines already had the instructor role" in capsys.readouterr().out


def test_revoke_takes_the_role_away(reviewer: User) -> None:
    call_command("grant_role", "rita", "reviewer", "--revoke")
    assert not User.objects.get(username="rita").has_perm("accounts.review_answers")


def test_unknown_user_and_unknown_role_are_clear_errors(student: User) -> None:
    with pytest.raises(CommandError, match="no user named 'zed'"):
        call_command("grant_role", "zed", "reviewer")
    with pytest.raises(CommandError, match="unknown role 'wizard'; roles are: student, instructor, reviewer"):
        call_command("grant_role", "alice", "wizard")


def test_demo_accounts_create_one_user_per_role_and_print_them(
    settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.DEBUG = True
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-for-tests")
    call_command("demo_accounts")
    call_command("demo_accounts")  # idempotent: resets, does not duplicate
    out = capsys.readouterr().out
    assert "instructor  demo-pass-for-tests" in out
    assert roles_of(User.objects.get(username="reviewer")) == ["reviewer"]
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert User.objects.get(username="student").check_password("demo-pass-for-tests")


def test_demo_accounts_refuse_to_run_in_production(settings: SettingsWrapper) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="demo accounts are for local use"):
        call_command("demo_accounts")
    assert not User.objects.filter(username="admin").exists()
