"""`make audit`: the pinned requirements against PyPI's vulnerability data (scripts/audit.py)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def audit_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit", ROOT / "scripts" / "audit.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_test_runs_the_audit() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "test: install lint audit" in makefile
    assert "scripts/audit.py requirements.txt requirements-dev.txt" in makefile


def test_without_pypi_the_audit_fails_loudly_and_says_nothing_was_checked(tmp_path: Path) -> None:
    env = {**os.environ, "AUDIT_PYPI_URL": "http://127.0.0.1:9/pypi"}  # the discard port: refused at once
    result = subprocess.run(
        [sys.executable, "scripts/audit.py", "requirements.txt"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "cannot reach PyPI's JSON API" in result.stderr and "NOTHING WAS AUDITED" in result.stderr


def test_pins_are_read_through_nested_requirement_files(tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text("Django==5.2.19\ncelery[redis]==5.5.3\n# a comment\n")
    (tmp_path / "dev.txt").write_text("-r base.txt\npytest==9.2.0 ; python_version >= '3.11'\n")
    assert audit_module().pins([tmp_path / "dev.txt"]) == {"django": "5.2.19", "celery": "5.5.3", "pytest": "9.2.0"}


PROJECT = {
    "info": {"version": "2.0"},
    "vulnerabilities": [
        {"id": "PYSEC-0000-1", "fixed_in": ["2.1"], "withdrawn": None},
        {"id": "PYSEC-0000-2", "fixed_in": [], "withdrawn": "2026-01-01T00:00:00"},
    ],
}


@pytest.fixture
def fake_pypi() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            known = self.path == "/pypi/widget/json"
            body = json.dumps(PROJECT).encode() if known else b"{}"
            self.send_response(200 if known else 404)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/pypi"
    server.shutdown()


def test_a_pin_at_the_latest_release_is_checked_against_the_project_data(
    fake_pypi: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit = audit_module()
    monkeypatch.setattr(audit, "PYPI", fake_pypi)
    found = audit.latest_release_vulnerabilities("widget", "2.0")
    assert [v["id"] for v in found] == ["PYSEC-0000-1"]  # the withdrawn advisory does not count
    assert audit.latest_release_vulnerabilities("widget", "1.9") is None  # an older pin: unknown, not clean
    assert audit.latest_release_vulnerabilities("gadget", "1.0") is None
