"""The suite's own tripwires: a console error, an uncaught error or an axe finding would fail a journey."""

from __future__ import annotations

import pytest

from tests.browser.pages import Journey, axe_violations

pytestmark = pytest.mark.browser


def test_console_errors_and_uncaught_errors_are_caught(journey: Journey) -> None:
    page = journey.page
    page.goto("/")
    page.evaluate("() => console.error('boom from the test')")
    page.evaluate("() => setTimeout(() => { throw new Error('uncaught from the test'); })")
    page.wait_for_timeout(200)
    found = journey.problems.found()
    assert any("boom from the test" in line for line in found)
    assert any("uncaught from the test" in line for line in found)
    with pytest.raises(AssertionError, match="reported errors"):
        journey.step("with-errors", axe=False)
    journey.problems.messages.clear()  # provoked on purpose; the fixture's final check stays for the rest


def test_axe_reports_a_serious_violation(journey: Journey) -> None:
    page = journey.page
    page.goto("/")
    page.evaluate("() => document.querySelector('main').insertAdjacentHTML('beforeend', '<a href=\"/\"></a>')")
    assert "link-name" in {violation["id"] for violation in axe_violations(page)}
