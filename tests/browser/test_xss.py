"""Hostile text in a tutor answer or in chapter Markdown is shown as text in Chromium: nothing in it runs.

Each payload, if it ran, would set `window.__xss`, open a dialog, or make htmx fetch `/xss-probe/`; the tests
listen for all three, hover and click what the payloads left on the page, and then check nothing happened.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Dialog, Request, expect

from tests.browser.pages import Journey, Reader, log_in, section_path, start_section
from tests.browser.server import Site, finished_answer

pytestmark = pytest.mark.browser

# A handful of our own; the shared corpus (tests/security) will replace this list.
PAYLOADS = [
    "<script>window.__xss = 'script'</script>",
    "<img src=x onerror=\"window.__xss = 'img onerror'\">",
    "<svg><script>window.__xss = 'svg script'</script></svg>",
    "<svg onload=\"window.__xss = 'svg onload'\"></svg>",
    "<iframe srcdoc=\"<script>parent.__xss = 'iframe'</script>\"></iframe>",
    "<details open ontoggle=\"window.__xss = 'ontoggle'\"><summary>more</summary>x</details>",
    "[a javascript link](javascript:window.__xss='markdown link')",
    "<a href=\"javascript:alert('raw link')\">a raw javascript link</a>",
    '<a href="#" onmouseover="window.__xss = \'onmouseover\'">hover me</a>',
    '[a link with a title](/x "t\\" onmouseover=\\"window.__xss=\'title\'")',
    '<div hx-get="/xss-probe/" hx-trigger="load">htmx attributes</div>',
    "<form action=\"javascript:window.__xss='form'\"><button>send</button></form>",
    "$x</span><img src=x onerror=\"window.__xss='math'\">$",
    "$\\href{javascript:alert('katex')}{a KaTeX link}$",
    '"><script>window.__xss = "attribute breakout"</script>',
]
HOSTILE = "\n\n".join(PAYLOADS)
# The steps skip axe: what the payloads leave behind (an <img> without alt) is not meant to be accessible.


class Tripwires:
    """Records what a payload would do if it ran: dialogs opened and requests to /xss-probe/."""

    def __init__(self, journey: Journey) -> None:
        self.page = page = journey.page
        # The sanitiser keeps <img src=x> without its handler, so the browser asks for "x" and gets a 404:
        # harmless, and the only console error these pages may show.
        journey.problems.tolerate(r"status of 404 .*/x\)$")
        self.dialogs: list[str] = []
        self.probes: list[str] = []
        page.on("dialog", self._dialog)
        page.on("request", self._request)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _request(self, request: Request) -> None:
        if "xss-probe" in request.url:
            self.probes.append(request.url)

    def provoke(self, region: str) -> None:
        """Hover and click every link and button the payloads left in `region`, as a curious reader would."""
        for target in self.page.locator(f"{region} :is(a, button, summary)").all():
            if target.is_visible():
                target.hover()
                target.click(modifiers=["Control"] if target.evaluate("e => e.tagName") == "A" else [])
        self.page.wait_for_timeout(500)  # onload/ontoggle handlers and htmx's load trigger fire by now

    def assert_nothing_ran(self) -> None:
        ran = self.page.evaluate("() => window.__xss ?? parent.__xss ?? null")
        assert ran is None, f"a payload ran: {ran}"
        assert not self.dialogs, f"a payload opened a dialog: {self.dialogs}"
        assert not self.probes, f"htmx followed an author's attribute: {self.probes}"


def test_a_hostile_tutor_answer_shows_as_text_in_the_panel_and_the_conversation(site: Site, journey: Journey) -> None:
    page = journey.page
    wires = Tripwires(journey)
    log_in(page, "bob")
    conversation = finished_answer(
        site,
        "bob",
        "What does <script>window.__xss = 'question'</script> do?",
        HOSTILE,
        reading=("sampling-and-aliasing", "sampling-theorem"),
    )
    reader = Reader.open(page, "sampling-and-aliasing", "sampling-theorem")
    answer = reader.tutor.last_answer()
    expect(answer).to_contain_text("a raw javascript link")
    expect(reader.tutor.log.locator(".student-question").last).to_contain_text("<script>")  # shown, not run
    wires.provoke("#tutor-log")
    wires.assert_nothing_ran()
    journey.step("answer-in-panel", axe=False)

    page.goto(f"/tutor/conversations/{conversation}/")
    expect(page.locator(".answer").last).to_contain_text("hover me")
    wires.provoke("#tutor-log")
    wires.assert_nothing_ran()
    journey.step("answer-in-conversation", axe=False)


def test_hostile_chapter_markdown_does_not_run_in_the_preview_or_the_reader(
    journey: Journey, new_page: Callable[..., Journey]
) -> None:
    page = journey.page
    wires = Tripwires(journey)
    log_in(page, "ines")
    editor = start_section(page, "Hostile notes", "hostile-notes", "Payloads", "Hostile markup")
    editor.write("Before the payloads.\n\n" + HOSTILE + "\n\nAfter the payloads.")
    expect(editor.preview).to_contain_text("After the payloads.")
    wires.provoke("#preview")
    wires.assert_nothing_ran()
    journey.step("live-preview", axe=False)

    editor.save_and_publish()
    wires.assert_nothing_ran()

    student = new_page()
    student_wires = Tripwires(student)
    log_in(student.page, "bob")
    student.page.goto(section_path("payloads", "hostile-markup", book="hostile-notes"))
    reader = Reader(student.page)
    expect(reader.prose).to_contain_text("After the payloads.")
    student_wires.provoke(".section-text .prose")
    student_wires.assert_nothing_ran()
    student.step("in-the-reader", axe=False)
