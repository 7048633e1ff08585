"""Audit the pinned requirements for known vulnerabilities: `make audit` (and so `make test`) runs this.

pip-audit checks each pin against PyPI's vulnerability data for that release
(``/pypi/<name>/<version>/json``). Some PyPI mirrors serve only the project document
(``/pypi/<name>/json``), whose vulnerabilities are those of the latest release; pip-audit then skips
the pin. For a pin that *is* the latest release this script reads the project document instead,
which is exact. A pin that neither can check is named as not audited (with AUDIT_STRICT=1 that
fails the audit). Any known vulnerability fails it, with the versions that fix it; so does a PyPI
that cannot be reached at all, loudly, since then nothing was checked.

Usage: python scripts/audit.py requirements.txt requirements-dev.txt
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

PYPI = os.environ.get("AUDIT_PYPI_URL", "https://pypi.org/pypi")
TIMEOUT = 30
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#]+)")


def fail(message: str, code: int = 1) -> None:
    print(f"audit: {message}", file=sys.stderr)
    sys.exit(code)


def pins(paths: list[Path]) -> dict[str, str]:
    """name → version of every `name==version` line, following `-r other.txt`."""
    found: dict[str, str] = {}
    for path in paths:
        for line in path.read_text().splitlines():
            line = line.strip()
            if line.startswith(("-r ", "--requirement ")):
                found |= pins([path.parent / line.split(maxsplit=1)[1]])
            elif match := PIN.match(line):
                found[canonical(match[1])] = match[2]
    return found


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def fetch(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 - a fixed https URL
        return dict(json.load(response))


def check_pypi_reachable() -> None:
    url = f"{PYPI}/pip/json"
    try:
        fetch(url)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        fail(
            f"cannot reach PyPI's JSON API ({url}): {exc}.\n"
            "audit: the audit checks every pinned package against PyPI's vulnerability data and needs it; "
            "NOTHING WAS AUDITED. Check the network (or AUDIT_PYPI_URL) and run `make audit` again.",
            code=2,
        )


def run_pip_audit(paths: list[Path]) -> list[dict[str, Any]]:
    command = [sys.executable, "-m", "pip_audit", "--no-deps", "--disable-pip", "--progress-spinner", "off"]
    command += ["--format", "json"]
    for path in paths:
        command += ["-r", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1200)  # noqa: S603 - our own tool
    try:
        report = json.loads(result.stdout)
    except ValueError:
        fail(f"pip-audit failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    return list(report["dependencies"])


def latest_release_vulnerabilities(name: str, version: str) -> list[dict[str, Any]] | None:
    """The project document's vulnerabilities when `version` is the latest release, else None (unknown)."""
    try:
        project = fetch(f"{PYPI}/{name}/json")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise
    if project["info"]["version"] != version:
        return None
    return [v for v in project.get("vulnerabilities") or [] if not v.get("withdrawn")]


def main(arguments: list[str]) -> None:
    paths = [Path(argument) for argument in arguments] or [Path("requirements.txt"), Path("requirements-dev.txt")]
    wanted = pins(paths)
    check_pypi_reachable()
    vulnerable: list[str] = []
    skipped: dict[str, str] = {}
    audited_by_release = 0
    for dependency in run_pip_audit(paths):
        name = canonical(dependency["name"])
        if "skip_reason" in dependency:
            if name in wanted:
                skipped[name] = wanted[name]
            continue
        audited_by_release += 1
        for vuln in dependency.get("vulns", []):
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
            vulnerable.append(f"{name}=={dependency['version']}: {vuln['id']} (fixed in {fixes})")
    with ThreadPoolExecutor(max_workers=8) as pool:
        latest = dict(
            zip(skipped, pool.map(lambda item: latest_release_vulnerabilities(*item), skipped.items()), strict=True)
        )
    unaudited = sorted(f"{name}=={skipped[name]}" for name, vulns in latest.items() if vulns is None)
    for name, vulns in latest.items():
        for vuln in vulns or []:
            fixes = ", ".join(vuln.get("fixed_in") or []) or "no fixed release yet"
            vulnerable.append(f"{name}=={skipped[name]}: {vuln['id']} (fixed in {fixes})")
    by_project = sum(1 for vulns in latest.values() if vulns is not None)
    print(
        f"audit: {len(wanted)} pinned packages; {audited_by_release} checked by pip-audit against their release's "
        f"vulnerability data, {by_project} (the latest release) against PyPI's project data, "
        f"{len(unaudited)} not auditable from this PyPI."
    )
    if unaudited:
        print(
            "audit: WARNING: this PyPI serves no per-release vulnerability data, and these pins are not the latest "
            "release, so no known vulnerability could be looked up for them:\n  " + "\n  ".join(unaudited)
        )
    if vulnerable:
        fail("known vulnerabilities in pinned packages (upgrade the pins):\n  " + "\n  ".join(sorted(vulnerable)))
    if unaudited and os.environ.get("AUDIT_STRICT") == "1":
        fail(f"AUDIT_STRICT=1 and {len(unaudited)} pins could not be audited.")
    print("audit: no known vulnerabilities in what could be checked.")


if __name__ == "__main__":
    main(sys.argv[1:])
