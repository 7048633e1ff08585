"""The browser suite: Debian's Chromium, driven by Playwright, against one real Daphne process.

`make test-browser` runs it. The site is built once per session (tests/browser/server.py says what it
is and why). Every test gets a fresh browser context; `journey.step(...)` saves a screenshot under
artifacts/browser/<test>/, runs axe-core on the page and fails on any console error, uncaught page error
or server error so far — and the same check runs once more when the test ends.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

from tests.browser.pages import Journey, Problems
from tests.browser.server import ROOT, Site

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Debian's Chromium runs here as root (hence no sandbox); the rest keep it off the closed network,
# which it would otherwise keep trying to reach for updates, sync and field trials.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
ARTIFACTS = ROOT / "artifacts" / "browser"
MODEL_CACHE = Path(os.environ.get("TEXTBOOK_MODEL_CACHE", Path.home() / ".cache" / "smart-textbook"))
VIEWPORT = {"width": 1400, "height": 900}  # wide enough for the reader's three columns


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The bundled book, imported, published and indexed, served by Daphne (about a minute to build)."""
    from tutor.generation import ensure_converted

    model = ensure_converted(MODEL_CACHE / "smollm2-135m-instruct")  # ~30 s once per machine
    served = Site(var_dir=tmp_path_factory.mktemp("site"), generator_model=model)
    served.build()
    served.start()
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test-browser` installs Debian's chromium package")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """This test's screenshot folder, emptied first: artifacts/browser/<module>/<test>/."""
    folder = ARTIFACTS / Path(request.node.path).stem / request.node.name.replace("/", "-")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def new_page(chromium: Browser, site: Site, artifacts: Path) -> Iterator[Callable[..., Journey]]:
    """Opens a page in a fresh context (options as for `Browser.new_context`) and returns its Journey.

    Each page's console errors, uncaught errors and new server errors are watched from the start; the test
    fails at its next step, or at its end, on any of them."""
    contexts: list[BrowserContext] = []
    journeys: list[Journey] = []

    def open_page(**options: object) -> Journey:
        context = chromium.new_context(base_url=site.base_url, viewport=VIEWPORT, **options)  # type: ignore[arg-type]
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        prefix = f"{len(journeys) + 1}-" if journeys else ""
        javascript = bool(options.get("java_script_enabled", True))
        journey = Journey(page, artifacts, Problems.watch(page, site.log), prefix=prefix, javascript=javascript)
        journeys.append(journey)
        return journey

    yield open_page
    try:
        for journey in journeys:
            journey.problems.assert_none()
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def journey(new_page: Callable[..., Journey]) -> Journey:
    """One page with JavaScript, watched for errors, that takes a screenshot and runs axe at each step."""
    return new_page()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A journey waits on the real model; on two busy cores one answer has taken over two minutes.
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(600))
