"""Rita, a reviewer, works the queue with her keyboard and corrects an answer; its student sees it at once."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.pages import Journey, Reader, ReviewQueue, answer_id, log_in
from tests.browser.server import Site, finished_answer

pytestmark = pytest.mark.browser

CHAPTER, SECTION = "sampling-and-aliasing", "sampling-theorem"
CORRECTION = "A tone at $f_0$ sampled at $f_s$ shows up at $|f_0 - k f_s|$: here $|7 - 8| = 1$ kHz."


def test_a_real_flagged_answer_is_corrected_by_rita_and_bob_sees_it_live(
    site: Site, new_page: Callable[..., Journey]
) -> None:
    """The whole loop on the real parts: the small model answers, the shipped head scores it (it shows nothing
    plainly, so the answer is flagged or withheld and queued), rita corrects it, bob's open page shows the
    correction and a notice without a reload, and the confidence model has the new label."""
    bob = new_page()
    log_in(bob.page, "bob")
    tutor = Reader.open(bob.page, CHAPTER, SECTION).tutor
    tutor.box.scroll_into_view_if_needed()
    question = "Why does a 7 kHz tone sampled at 8 kHz look like a 1 kHz tone?"
    answer = tutor.ask_new(question)
    tutor.wait_for_answer(answer)
    expect(answer.locator(".confidence")).to_contain_text(re.compile("unsure|not answered"))
    pk = answer_id(answer)
    bob.step("answered")

    rita = new_page()
    log_in(rita.page, "rita")
    queue = ReviewQueue.open(rita.page, "reason=&sort=newest")
    item = queue.item_for(question)
    expect(item).to_be_visible()
    expect(item).to_contain_text(re.compile(r"Student [0-9A-F]{6}"))  # a pseudonym, not bob
    expect(item).not_to_contain_text("bob")
    rita.step("queue")

    rita.page.keyboard.press("j")  # the newest item, selected
    expect(queue.items.first).to_have_class(re.compile(r"\bselected\b"))
    rita.page.keyboard.press("Enter")
    expect(rita.page.get_by_role("heading", level=1)).to_have_text(question)
    expect(rita.page.get_by_role("heading", name="What the tutor was shown")).to_be_visible()
    rita.step("item")

    queue.correction().fill(CORRECTION)
    expect(queue.preview().locator(".katex").first).to_be_visible()  # previewed as bob will see it
    rita.step("correction-previewed")
    rita.page.get_by_role("button", name="Send the correction (marks it wrong)").click()
    expect(rita.page.locator(".messages")).to_contain_text("Marked wrong. The student has been told.")
    rita.step("sent")

    note = bob.page.locator(f"#review-{pk} .review-note")
    expect(note).to_contain_text("this answer is wrong. Here is a correction:")
    expect(note.locator(".katex").first).to_be_visible()  # math in the live note is rendered
    expect(bob.page.locator(".toast")).to_contain_text("A reviewer corrected your answer")
    expect(bob.page.locator("#notification-count")).to_contain_text("1")
    bob.step("corrected-live")

    learnt = re.compile(r"Reviewer verdicts learnt\s*[1-9]")
    for _ in range(60):  # the label is learnt by a task on the `default` queue, which may be busy a while
        rita.page.goto("/confidence/")
        if learnt.search(rita.page.locator("main").inner_text().replace("\n", " ").replace("\t", " ")):
            break
        rita.page.wait_for_timeout(1000)
    expect(rita.page.locator("main")).to_contain_text(re.compile(r"[1-9]\d* from reviewers' verdicts"))
    expect(rita.page.locator("main")).to_contain_text(learnt)
    rita.step("confidence-model-learnt")


def test_rita_filters_the_queue_and_judges_from_the_list_with_her_keys(
    site: Site, new_page: Callable[..., Journey]
) -> None:
    asked = [
        ("What is the Nyquist frequency of a 48 kHz system?", "It is 24 kHz, half the rate [1].", "flag", 0.31),
        ("Which filter comes before a sampler?", "A lowpass filter removes what would alias [1].", "flag", 0.62),
    ]
    for question, text, decision, confidence in asked:
        finished_answer(site, "bob", question, text, reading=(CHAPTER, SECTION), decision=decision,
                        confidence=confidence, citations=[(1, CHAPTER, SECTION)])  # fmt: skip
    rita = new_page()
    log_in(rita.page, "rita")
    page = rita.page
    queue = ReviewQueue.open(page)
    page.get_by_label("Confidence from").fill("0.3")
    page.get_by_label("to", exact=True).fill("0.4")
    page.get_by_label("Sort").select_option("least-confident")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"min_confidence=0.3"))
    expect(queue.item_for(asked[0][0])).to_be_visible()
    expect(queue.item_for(asked[1][0])).to_have_count(0)  # 0.62 is outside the range
    rita.step("filtered")

    first = queue.item_for(asked[0][0])
    first.locator(".queue-open").focus()  # focus selects the item, as j and k do
    expect(first).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("c")
    expect(first).to_contain_text("Marked correct by rita")
    rita.step("judged-from-the-list")

    bob = new_page()
    log_in(bob.page, "bob")
    bob.page.goto("/notifications/")
    expect(bob.page.locator(".notifications")).to_contain_text("A reviewer checked your answer: it is correct")
    bob.step("notifications")


def test_students_are_not_offered_the_queue(new_page: Callable[..., Journey]) -> None:
    """(That they are refused it is the permission matrix's job: tests/web/test_permissions.py.)"""
    bob = new_page()
    log_in(bob.page, "bob")
    navigation = bob.page.get_by_role("navigation", name="Main")
    expect(navigation).not_to_contain_text("Review queue")
    expect(navigation).not_to_contain_text("Analytics")
    bob.step("no-queue-for-students")
