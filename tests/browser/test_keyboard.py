"""Bob reads and asks with the keyboard alone: Tab reaches everything in reading order, focus always shows,
and Enter and Space work the controls."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.pages import Journey, Reader, focused, log_in, section_path, tab_to

pytestmark = pytest.mark.browser

CHAPTER, SECTION = "sampling-and-aliasing", "sampling-theorem"


def is_ask_button(element: dict[str, Any]) -> bool:
    return element["region"] == "tutor" and element["tag"] == "button" and element["name"] == "Ask"


def test_tab_reaches_the_outline_the_text_the_demo_the_quiz_and_the_tutor_in_reading_order(journey: Journey) -> None:
    page = journey.page
    log_in(page, "bob")
    page.goto(section_path(CHAPTER, SECTION))
    path = tab_to(page, is_ask_button)

    regions = list(dict.fromkeys(element["region"] for element in path))  # in the order focus first got there
    assert regions[0] == "skip-link"
    order = [r for r in regions if r in ("outline", "content", "demo", "quiz", "tutor")]
    assert order == ["outline", "content", "demo", "quiz", "tutor"], regions
    names = [element["name"] for element in path]
    assert "The sampling theorem" in names  # the outline's current section
    assert "Signal frequency (Hz)" in names  # the demo's number box (its slider is for the mouse)
    assert "Your question" in names
    unseen = [element for element in path if not (element["ring"] and element["visible"])]
    assert not unseen, f"focus is not visible on {unseen}"
    journey.step("focus-on-ask")


def test_the_skip_link_enter_and_space_work_the_reader_and_the_tutor(journey: Journey) -> None:
    page = journey.page
    log_in(page, "bob")
    page.goto(section_path(CHAPTER, SECTION))
    reader = Reader(page)

    page.keyboard.press("Tab")
    assert (focused(page) or {}).get("name") == "Skip to content"
    journey.step("skip-link")
    page.keyboard.press("Enter")
    expect(reader.text).to_be_focused()  # past the outline's hundred links
    page.keyboard.press("Tab")
    assert (focused(page) or {}).get("region") == "article"  # the breadcrumbs above the title

    tab_to(page, lambda e: e["region"] == "demo" and e["name"] == "Signal frequency (Hz)")
    demo = reader.demo()
    before = demo.plot_source()
    page.keyboard.press("Control+A")
    page.keyboard.type("5000")
    demo.expect_plot_changed_from(before)
    expect(demo.control("Signal frequency (Hz)")).to_be_focused()  # the swapped figure keeps the focus
    expect(demo.control("Signal frequency (Hz)")).to_have_value("5000")
    journey.step("demo-by-keyboard")

    tab_to(page, lambda e: e["region"] == "quiz" and e["name"] == "Its Nyquist frequency is 48 kHz")
    page.keyboard.press("Space")
    expect(page.get_by_label("Its Nyquist frequency is 48 kHz")).to_be_checked()
    tab_to(page, lambda e: e["region"] == "quiz" and e["name"] == "Check")
    page.keyboard.press("Enter")
    expect(reader.quiz_item("ch03-nyquist-frequency-96k").result).to_contain_text("Right.")
    journey.step("quiz-by-keyboard")

    tab_to(page, lambda e: e["region"] == "tutor" and e["name"] == "Your question")
    page.keyboard.type("What is the Nyquist frequency of a sampler running at 96 kHz?")
    page.keyboard.press("Tab")
    assert is_ask_button(focused(page) or {})
    page.keyboard.press("Enter")
    answer = reader.tutor.last_answer()
    expect(reader.tutor.log.locator(".student-question").last).to_contain_text("running at 96 kHz")
    expect(reader.tutor.box).to_have_value("")  # sent, so the box is clear for the next question
    journey.step("asked-by-keyboard")
    reader.tutor.wait_for_answer(answer)
    journey.step("answered")

    page.goto(section_path(CHAPTER, SECTION))
    tab_to(page, lambda e: e["region"] == "outline" and e["name"] == "Aliasing and the apparent frequency")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/aliasing-apparent-frequency/$"))
    expect(Reader(page).title()).to_have_text("Aliasing and the apparent frequency")
    journey.step("outline-by-keyboard")
