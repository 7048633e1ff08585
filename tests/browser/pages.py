"""What the browser tests are written in: a watched journey of steps, and the site's pages as objects.

A journey step saves a screenshot, fails on any console error, uncaught page error or server error so
far, and runs axe-core on the page (no serious or critical violation). The page objects name what a
person sees — the outline, the demo, the quiz, the tutor panel, the editor — so that a test reads as
what alice or ines does, and a later journey (thumbs down, analytics, the review queue) adds a method
here and a few lines in its test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import ConsoleMessage, Locator, Page, expect

from tests.browser.server import BOOK, PASSWORD

AXE_SOURCE = Path(__file__).with_name("vendor") / "axe-core" / "axe.min.js"
AXE_IMPACTS = ("serious", "critical")
TUTOR_SECONDS = 240  # one answer of the real model on a busy 2-core machine (usually 10–40 s)
_SERVER_ERROR = re.compile(r"^\S+ \S+ (ERROR|CRITICAL) |^Traceback ", re.MULTILINE)


@dataclass
class Problems:
    """Everything that went wrong on one page: console errors, uncaught errors, the server's errors."""

    server_log: Path
    log_offset: int = 0
    messages: list[str] = field(default_factory=list)
    tolerated: list[re.Pattern[str]] = field(default_factory=list)

    def tolerate(self, pattern: str) -> None:
        """Ignore console errors matching `pattern`: only for what a test provokes on purpose."""
        self.tolerated.append(re.compile(pattern))

    @classmethod
    def watch(cls, page: Page, server_log: Path) -> Problems:
        problems = cls(server_log, server_log.stat().st_size if server_log.exists() else 0)
        page.on("console", problems._console)
        page.on("pageerror", lambda error: problems.messages.append(f"uncaught page error: {error}"))
        return problems

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            text = f"console error: {message.text} ({where})"
            if not any(pattern.search(text) for pattern in self.tolerated):
                self.messages.append(text)

    def server_errors(self) -> list[str]:
        if not self.server_log.exists():
            return []
        with self.server_log.open("rb") as log:
            log.seek(self.log_offset)
            text = log.read().decode("utf-8", "replace")
        return [f"server: {line}" for line in text.splitlines() if _SERVER_ERROR.match(line)]

    def found(self) -> list[str]:
        return [*self.messages, *self.server_errors()]

    def assert_none(self) -> None:
        found = self.found()
        assert not found, "the page or the server reported errors:\n" + "\n".join(found)


def axe_violations(page: Page, impacts: tuple[str, ...] = AXE_IMPACTS) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now, of the given impacts (rule, help, first targets)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated, not added as a <script>: Playwright's evaluation also runs where the page's own
        # JavaScript is switched off, so the no-JavaScript pages are checked too.
        page.evaluate(AXE_SOURCE.read_text())
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
        }))"""
    )
    return [v for v in violations if v["impact"] in impacts]


class Journey:
    """One page of a test, taken step by step: `journey.step("signed-up")` after each thing a person does."""

    def __init__(
        self, page: Page, folder: Path, problems: Problems, *, prefix: str = "", javascript: bool = True
    ) -> None:
        self.page, self.folder, self.problems, self.prefix = page, folder, problems, prefix
        self.javascript = javascript  # axe needs the page's timers, which stop with JavaScript off
        self.steps = 0

    def step(self, name: str, *, axe: bool = True, full_page: bool = False) -> Path:
        """Screenshot (artifacts/browser/…/NN-name.png), then fail on errors so far and on axe's findings."""
        self.steps += 1
        path = self.folder / f"{self.prefix}{self.steps:02d}-{name}.png"
        self.page.screenshot(path=path, full_page=full_page)
        self.problems.assert_none()
        if axe and self.javascript:
            found = axe_violations(self.page)
            assert not found, f"axe at step {name} ({self.page.url}):\n" + "\n".join(
                f"{v['impact']}: {v['id']} — {v['help']} — {v['targets']}" for v in found
            )
        return path


# --- accounts --------------------------------------------------------------------------------------


def sign_up(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password confirmation").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".messages")).to_contain_text(f"Welcome, {username}")


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page.locator(".nav-user")).to_contain_text(username)


# --- reading ---------------------------------------------------------------------------------------


def section_path(chapter: str, section: str, book: str = BOOK) -> str:
    return f"/books/{book}/{chapter}/{section}/"


class Reader:
    """The section reader: outline | text (math, demos, quiz) | tutor panel."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.outline = page.get_by_role("navigation", name=re.compile("^Chapters of"))
        self.text = page.locator("article.section-text")
        self.prose = self.text.locator(".prose")
        self.tutor = Tutor(page)

    @classmethod
    def open(cls, page: Page, chapter: str, section: str, book: str = BOOK) -> Reader:
        page.goto(section_path(chapter, section, book))
        return cls(page)

    def title(self) -> Locator:
        return self.page.locator("#section-title")

    def math(self) -> Locator:
        return self.prose.locator(".math")

    def expect_math_rendered(self) -> None:
        """Every formula of the text became KaTeX (MathML for assistive technology + HTML for the eye)."""
        formulas = self.math()
        expect(formulas.first.locator(".katex .katex-mathml math")).to_be_attached()
        expect(formulas.first.locator(".katex .katex-html")).to_be_visible()
        total = formulas.count()
        assert total > 0
        expect(self.prose.locator(".math:has(.katex)")).to_have_count(total)
        expect(self.prose.locator(".katex-error")).to_have_count(0)

    def demo(self, index: int = 0) -> Demo:
        return Demo(self.page, self.prose.locator("figure.demo").nth(index))

    def quiz_item(self, key: str) -> QuizItem:
        return QuizItem(self.page.locator(f"#q-{key}"))


class Demo:
    def __init__(self, page: Page, figure: Locator) -> None:
        self.page, self.figure = page, figure
        self.plot = figure.locator("img.demo-plot")
        self.readouts = figure.locator(".demo-readouts")

    def control(self, label: str) -> Locator:
        return self.figure.get_by_label(label)

    def slider(self, index: int = 0) -> Locator:
        return self.figure.locator("input[type=range]").nth(index)

    def plot_source(self) -> str:
        return str(self.plot.get_attribute("src"))

    def svg_text(self) -> str:
        """The plot's SVG as the browser fetched it (same origin, so from its cache)."""
        return str(self.page.evaluate("async src => (await fetch(src)).text()", self.plot_source()))

    def expect_plot_changed_from(self, before: str) -> None:
        expect(self.plot).not_to_have_attribute("src", before)
        expect(self.plot).to_have_js_property("complete", True)
        assert self.plot.evaluate("img => img.naturalWidth") > 0, "the new plot did not load"


class QuizItem:
    def __init__(self, item: Locator) -> None:
        self.item = item
        self.result = item.locator(".quiz-result")

    def answer(self, text: str) -> Locator:
        self.item.get_by_label("Your answer").fill(text)
        return self.check()

    def choose(self, choice: str) -> Locator:
        self.item.get_by_label(choice).check()
        return self.check()

    def check(self) -> Locator:
        self.item.get_by_role("button", name="Check").click()
        return self.result.locator(".verdict")


# --- the tutor -------------------------------------------------------------------------------------

# Records each distinct text of a provisional (still streaming) answer, in the order the page showed them.
_RECORD_STREAM = """() => {
    window.__provisional = [];
    const log = document.getElementById("tutor-log");
    new MutationObserver(() => {
        const shown = log.querySelector(".provisional");
        const text = shown ? shown.textContent.trim() : null;
        if (text && window.__provisional.at(-1) !== text) window.__provisional.push(text);
    }).observe(log, {subtree: true, childList: true, characterData: true});
}"""


class Tutor:
    """The tutor panel beside a section (or on a conversation page)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.log = page.locator("#tutor-log")
        self.box = page.get_by_label("Your question")
        self.submit = page.locator("form.tutor-form").get_by_role("button", name="Ask")

    def record_stream(self) -> None:
        self.page.evaluate(_RECORD_STREAM)

    def streamed(self) -> list[str]:
        return list(self.page.evaluate("() => window.__provisional"))

    def ask(self, question: str) -> Locator:
        self.box.fill(question)
        self.submit.click()
        return self.last_answer()

    def last_answer(self) -> Locator:
        return self.log.locator(".exchange").last.locator(".answer")

    def wait_for_answer(self, answer: Locator) -> None:
        """Until the answer is final: done (shown, flagged or withheld) — failing if the tutor failed."""
        expect(answer).to_have_class(re.compile(r"\banswer-(done|failed)\b"), timeout=TUTOR_SECONDS * 1000)
        expect(answer).to_have_class(re.compile(r"\banswer-done\b"))


# --- authoring -------------------------------------------------------------------------------------


def start_section(page: Page, book: str, slug: str, chapter: str, section: str) -> Editor:
    """From the author dashboard: a new book, its first chapter, and an empty section open in the editor."""
    page.goto("/author/")
    page.get_by_label("Title").fill(book)
    page.get_by_label("Slug").fill(slug)
    page.get_by_role("button", name="Create book").click()
    page.get_by_label("New chapter").fill(chapter)
    page.get_by_role("button", name="Add chapter").click()
    page.get_by_label("New section").fill(section)
    page.get_by_role("button", name="Add section").click()
    editor = Editor(page)
    expect(editor.title).to_have_value(section)
    return editor


class Editor:
    """The section editor: Markdown on the left, the live preview on the right."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.title = page.get_by_label("Title")
        self.objectives = page.get_by_label("Learning objectives")
        self.body = page.get_by_label("Text", exact=True)
        self.preview = page.locator("#preview")

    def write(self, body: str) -> None:
        """Types the body as an author would paste it: the preview follows after htmx's 400 ms delay."""
        self.body.fill(body)

    def save_and_publish(self) -> None:
        self.page.get_by_role("button", name="Save and publish").click()
        expect(self.page.locator(".messages")).to_contain_text("Published revision")


# --- the keyboard ----------------------------------------------------------------------------------

# What has focus, where it sits on the page, and whether the focus ring can be seen.
_FOCUSED = r"""() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const region = el.closest(".skip-link") ? "skip-link" : el.closest(".site-header") ? "header"
        : el.closest("nav.outline") ? "outline" : el.closest("figure.demo") ? "demo"
        : el.closest(".quiz") ? "quiz" : el.closest(".tutor-panel") ? "tutor"
        : el.closest("article .prose") ? "content" : el.closest("article") ? "article" : "other";
    const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2
        && !/rgba\(.*, 0\)$/.test(style.outlineColor);
    return {
        region, tag: el.tagName.toLowerCase(), id: el.id, type: el.type || "",
        name: (el.getAttribute("aria-label") || el.labels?.[0]?.textContent || el.textContent || "").trim().slice(0, 80),
        ring, visible: el.checkVisibility({opacityProperty: true, visibilityProperty: true}),
    };
}"""


def focused(page: Page) -> dict[str, Any] | None:
    """The focused element as {region, tag, id, type, name, ring, visible}, or None on the page itself."""
    return page.evaluate(_FOCUSED)  # type: ignore[no-any-return]


def tab_to(page: Page, wanted: Callable[[dict[str, Any]], bool], *, limit: int = 400) -> list[dict[str, Any]]:
    """Presses Tab until `wanted(focused element)` holds; returns every element focused on the way."""
    path: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        here = focused(page)
        if here is not None:
            path.append(here)
            if wanted(here):
                return path
    raise AssertionError(f"Tab never reached the element; the last ones were {path[-5:]}")
