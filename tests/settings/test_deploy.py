"""Settings as a deployment sees them: a fresh process with only the environment it is given."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "textbook.example.edu",
    "DATABASE_URL": "postgres://textbook@127.0.0.1:5432/textbook",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "TASKS_MODE", "REDIS_URL"}}
    clean.update({"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "textbook.settings", **env})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_values(tmp_path: Path) -> None:
    """Clean by fixing, not by silencing: no check is silenced (a deployment that must silence one says why)."""
    result = manage("check", "--deploy", "--fail-level", "INFO", env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("name", "value", "check"),
    [
        ("SECURE_HSTS_SECONDS", "0", "security.W004"),
        ("SECURE_SSL_REDIRECT", "0", "security.W008"),
        ("ALLOWED_HOSTS", "", "security.W020"),
    ],
)
def test_check_deploy_would_see_a_weakened_setting(tmp_path: Path, name: str, value: str, check: str) -> None:
    """The clean result above is not vacuous: the same command flags each of these."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION, name: value}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert check in result.stderr


def production_settings(tmp_path: Path, *names: str, **env: str) -> dict[str, object]:
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {list(names)!r}}}))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "TASKS_MODE", "REDIS_URL"}}
    clean.update({"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "textbook.settings", **PRODUCTION, **env})
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=clean, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_production_cookies_are_secure_http_only_and_same_site(tmp_path: Path) -> None:
    values = production_settings(
        tmp_path,
        *("SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "SESSION_COOKIE_AGE"),
        *("CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY", "CSRF_COOKIE_SAMESITE", "SESSION_COOKIE_NAME"),
        *("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_CONTENT_TYPE_NOSNIFF", "X_FRAME_OPTIONS", "DEBUG"),
    )
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_AGE": 14 * 24 * 3600,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "sessionid",
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "X_FRAME_OPTIONS": "DENY",
        "DEBUG": False,
    }


def test_a_deployment_can_choose_the_cookie_names_and_the_session_age(tmp_path: Path) -> None:
    env = {
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "SESSION_COOKIE_AGE": "3600",
    }
    values = production_settings(tmp_path, "SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME", "SESSION_COOKIE_AGE", **env)
    assert values == {
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "SESSION_COOKIE_AGE": 3600,
    }


def test_debug_off_without_a_secret_key_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
        ("TASKS_MODE", "cron", "TASKS_MODE='cron' must be one of: celery, thread, eager"),
        ("DATABASE_CONN_MAX_AGE", "forever", "DATABASE_CONN_MAX_AGE='forever' is not an integer"),
        ("UQ_TARGET_RISK", "2", "UQ_TARGET_RISK=2.0 must lie in [0.001, 0.999]"),
    ],
)
def test_a_bad_value_stops_start_up_with_its_name(tmp_path: Path, name: str, value: str, message: str) -> None:
    result = manage("check", env={**PRODUCTION, name: value}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert message in result.stderr


def test_debug_without_a_key_makes_one_per_checkout_and_keeps_it(tmp_path: Path) -> None:
    for _ in range(2):
        result = manage("check", env={"DEBUG": "1"}, tmp_path=tmp_path)
        assert result.returncode == 0, result.stderr
    key_file = tmp_path / "dev-secret-key"
    assert len(key_file.read_text()) >= 50
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_without_redis_the_site_runs_embedded(tmp_path: Path) -> None:
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.TASKS_MODE, s.CHANNEL_LAYERS['default']['BACKEND'], s.DATABASES['default']['ENGINE'])"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"TASKS_MODE", "REDIS_URL", "DATABASE_URL"}}
    clean.update({"DEBUG": "1", "VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "textbook.settings"})
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=clean, capture_output=True, text=True)
    assert out.stdout.split() == [
        "thread",
        "textbook.channel_layers.ThreadSafeInMemoryChannelLayer",
        "django.db.backends.sqlite3",
    ], out.stderr
