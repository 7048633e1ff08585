"""The failed-login count lives in Redis, so a second web process refuses what the first one counted."""

from __future__ import annotations

import secrets
import subprocess
import sys

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from tests.factories import UserFactory
from tests.services.conftest import ROOT, service_env

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

CHECK = (
    "import sys, django; django.setup()\n"
    "from accounts.actions import LoginThrottled, check_login_allowed\n"
    "try:\n"
    "    check_login_allowed(sys.argv[1], sys.argv[2])\n"
    "    print('allowed')\n"
    "except LoginThrottled as exc:\n"
    "    print('refused', exc.retry_after)\n"
)
LIMITS = {"LOGIN_MAX_FAILURES": "3", "LOGIN_FAILURE_WINDOW": "600"}


def other_process_says(username: str, address: str) -> str:
    env = service_env(DJANGO_SETTINGS_MODULE="textbook.settings", DEBUG="1", **LIMITS)
    command = [sys.executable, "-c", CHECK, username, address]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_failures_counted_by_one_process_are_refused_by_another(settings: Settings) -> None:
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    settings.LOGIN_MAX_FAILURES, settings.LOGIN_FAILURE_WINDOW = 3, 600
    username, address = f"alice-{secrets.token_hex(3)}", f"10.9.8.{secrets.randbelow(250)}"  # fresh counts
    UserFactory(username=username)
    assert other_process_says(username, address) == "allowed"
    for _ in range(3):
        Client(REMOTE_ADDR=address).post("/accounts/login/", {"username": username, "password": "guess"})
    verdict, wait = other_process_says(username, address).split()
    assert verdict == "refused" and 0 < int(wait) <= 601
