"""Alice, a new student, reads the sampling theorem, plays with its demo, takes its quiz and asks the tutor."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.pages import TUTOR_SECONDS, Journey, Reader, Tutor, log_in, section_path, sign_up
from tests.browser.server import Site, finished_answer

pytestmark = pytest.mark.browser

CHAPTER, SECTION = "sampling-and-aliasing", "sampling-theorem"


def test_alice_signs_up_reads_a_section_plays_its_demo_takes_its_quiz_and_asks_the_tutor(journey: Journey) -> None:
    page = journey.page
    sign_up(page, "alice")
    journey.step("signed-up")

    page.get_by_role("link", name="Signals and Systems, Sampled").click()
    expect(page.get_by_role("heading", name="Contents")).to_be_visible()
    journey.step("book-contents")

    page.get_by_role("link", name="The sampling theorem").click()
    reader = Reader(page)
    expect(reader.title()).to_have_text("The sampling theorem")
    expect(reader.outline.get_by_role("link", name="The sampling theorem")).to_have_attribute("aria-current", "page")
    reader.expect_math_rendered()
    journey.step("section")

    demo = reader.demo()
    demo.figure.scroll_into_view_if_needed()
    f0 = demo.control("Signal frequency (Hz)")
    expect(f0).to_have_value("3000")
    plot_before, svg_before = demo.plot_source(), demo.svg_text()
    slider = demo.slider()
    box = slider.bounding_box()
    assert box is not None
    slider.click(position={"x": box["width"] * 0.2, "y": box["height"] / 2})  # f0 jumps to about 15 kHz
    demo.expect_plot_changed_from(plot_before)
    assert f0.input_value() != "3000"
    assert demo.svg_text() != svg_before
    expect(demo.readouts).to_contain_text("Aliased?")
    journey.step("demo-moved")

    squared = reader.quiz_item("ch03-nyquist-rate-of-squared-signal")
    squared.item.scroll_into_view_if_needed()
    verdict = squared.answer("12 kHz")
    expect(verdict).to_have_class(re.compile("verdict-wrong"))
    expect(verdict).to_contain_text("Not quite.")
    journey.step("quiz-wrong")

    verdict = squared.answer("24 kHz")
    expect(verdict).to_have_class(re.compile("verdict-right"))
    expect(verdict).to_contain_text("Right.")
    expect(verdict.locator(".explanation")).to_contain_text("band-limited to 2B = 12 kHz")
    journey.step("quiz-right")

    choice = reader.quiz_item("ch03-nyquist-frequency-96k")
    verdict = choice.choose("Its Nyquist frequency is 48 kHz")
    expect(verdict).to_contain_text("Right.")
    journey.step("quiz-choice-right")

    tutor = reader.tutor
    tutor.box.scroll_into_view_if_needed()
    tutor.record_stream()
    answer = tutor.ask("What is the Nyquist rate of a signal band-limited to 4 kHz?")
    expect(answer).to_have_class(re.compile("answer-(queued|generating)"))
    journey.step("asked")

    expect(answer).to_have_class(re.compile("answer-generating"), timeout=TUTOR_SECONDS * 1000)
    journey.step("streaming", axe=False)  # a moving target: axe runs on the final answer
    tutor.wait_for_answer(answer)
    streamed = tutor.streamed()
    assert len(streamed) >= 2, f"the provisional answer should grow in several fragments, saw {streamed}"
    assert len(streamed[-1]) > len(streamed[0])
    expect(answer.locator(".provisional")).to_have_count(0)
    expect(answer.locator(".confidence")).to_be_visible()  # scored by the shipped confidence head
    journey.step("answered")


def test_bob_follows_a_citation_in_an_answer_to_the_cited_section(site: Site, journey: Journey) -> None:
    page = journey.page
    log_in(page, "bob")
    finished_answer(
        site,
        "bob",
        "Why do the samples of a 7 kHz tone taken at 8 kHz look like a 1 kHz tone?",
        "A tone above half the sampling rate folds back to $|f_0 - k f_s|$, here 1 kHz [1].",
        reading=(CHAPTER, SECTION),
        citations=[(1, CHAPTER, "aliasing-apparent-frequency")],
    )
    reader = Reader.open(page, CHAPTER, SECTION)
    answer = reader.tutor.last_answer()
    expect(answer.locator(".katex")).to_be_visible()  # math in an answer is rendered too
    link = answer.locator(".prose a", has_text="[1]")
    expect(link).to_have_attribute(
        "href", f"{section_path(CHAPTER, 'aliasing-apparent-frequency')}#aliasing-apparent-frequency"
    )
    expect(answer.locator(".citations")).to_contain_text("[1] Aliasing and the apparent frequency")
    journey.step("cited-answer")

    link.click()
    expect(page).to_have_url(re.compile(r"/aliasing-apparent-frequency/#aliasing-apparent-frequency$"))
    expect(Reader(page).title()).to_have_text("Aliasing and the apparent frequency")
    expect(page.locator("#aliasing-apparent-frequency")).to_be_in_viewport()
    journey.step("cited-section")


def test_without_javascript_bob_reads_a_section_and_asks_through_the_plain_form(
    new_page: Callable[..., Journey],
) -> None:
    journey = new_page(java_script_enabled=False)
    page = journey.page
    log_in(page, "bob")
    page.goto(section_path(CHAPTER, SECTION))
    reader = Reader(page)
    expect(reader.title()).to_have_text("The sampling theorem")
    expect(reader.math().first).to_contain_text("\\(")  # the TeX source stays readable without KaTeX
    expect(reader.demo().plot).to_be_visible()  # the server drew the figure
    journey.step("section-without-js")

    demo = reader.demo()
    demo.control("Signal frequency (Hz)").fill("5000")
    demo.figure.get_by_role("button", name="Update").click()
    expect(page.locator("img.demo-plot")).to_have_attribute("src", re.compile("f0=5000"))
    journey.step("demo-page-without-js")

    page.goto(section_path(CHAPTER, SECTION))
    Tutor(page).ask("Why must the sampling rate exceed twice the bandwidth?")
    expect(page).to_have_url(re.compile(r"/tutor/conversations/\d+/$"))
    expect(page.locator(".student-question").last).to_contain_text("twice the bandwidth")
    journey.step("conversation-without-js")

    answer = page.locator(".exchange").last.locator(".answer")
    for _ in range(120):  # what the page's hint says: reload until the tutor has written it
        if re.search(r"answer-(done|failed)", str(answer.get_attribute("class"))):
            break
        page.wait_for_timeout(2000)
        page.reload()
    expect(answer).to_have_class(re.compile(r"\banswer-done\b"))
    journey.step("answered-without-js")
