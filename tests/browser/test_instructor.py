"""Ines, an instructor, writes a section with math and a demo, publishes it, and imports her old notes."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from playwright.sync_api import expect

from tests.browser.pages import Journey, Reader, log_in, start_section

pytestmark = pytest.mark.browser

HANN = """A window $w[n]$ of length $N$ multiplies the ideal impulse response $h_d[n]$ so that the
filter has finitely many taps. The Hann window is

$$w[n] = \\tfrac12\\left(1 - \\cos\\frac{2\\pi n}{N-1}\\right), \\qquad 0 \\le n \\le N-1.$$

Its first sidelobe lies about 31 dB below the main lobe. Try the hann window below and compare
its stopband with the rectangular one's: the taper trades a wider transition for a quieter stopband.

```demo fir_window
numtaps = 41
cutoff = 1200
fs = 8000
window = hann
```
"""


def course_zip() -> bytes:
    """A small MkDocs course folder, zipped as an instructor's laptop would zip it."""
    files = {
        "ines-notes/mkdocs.yml": "site_name: Notes on Decimation\nnav:\n  - decimation.md\n",
        "ines-notes/decimation.md": (
            "# Decimation\n\n"
            "## Keeping every Mth sample {#keep-every-mth}\n\n"
            "Decimating by $M$ keeps $y[n] = x[nM]$. Without a lowpass filter first, every component above\n"
            "$\\pi/M$ folds back into the band that is kept.\n\n"
            "## The lowpass before the downsampler\n\n"
            "A cutoff of $\\pi/M$ removes what would fold; a polyphase structure computes only the kept outputs.\n"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, text in files.items():
            bundle.writestr(name, text)
    return buffer.getvalue()


def test_ines_writes_previews_and_publishes_a_section_with_math_and_a_demo(journey: Journey) -> None:
    page = journey.page
    log_in(page, "ines")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Author").click()
    expect(page.get_by_role("heading", name="Your books")).to_be_visible()
    journey.step("author-dashboard")

    editor = start_section(page, "Windows for FIR design", "fir-windows", "The window method", "The Hann window")
    journey.step("new-section-editor")

    editor.objectives.fill("Write down the Hann window\nCompare its sidelobes with the rectangular window's")
    editor.write(HANN)
    expect(editor.preview.locator(".katex-display .katex-mathml math")).to_be_attached()
    expect(editor.preview.locator(".katex-error")).to_have_count(0)
    expect(editor.preview.locator("figure.demo img.demo-plot")).to_be_visible()
    expect(editor.preview.get_by_label("Window", exact=True)).to_have_value("hann")
    journey.step("live-preview")

    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages")).to_contain_text(re.compile(r"Saved revision \d+"))
    page.get_by_role("link", name="Draft preview").click()
    expect(page.locator(".draft-banner")).to_contain_text("students do not see this yet")
    expect(Reader(page).prose.locator(".katex-display")).to_be_visible()
    journey.step("draft-preview")

    page.go_back()
    editor.save_and_publish()
    journey.step("published")

    page.get_by_role("link", name="Reader view").click()
    reader = Reader(page)
    expect(reader.title()).to_have_text("The Hann window")
    reader.expect_math_rendered()
    expect(reader.demo().plot).to_be_visible()
    expect(reader.text.locator(".objectives")).to_contain_text("Write down the Hann window")
    journey.step("in-the-reader")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    page.get_by_label("Search published sections").fill("Hann window sidelobe")
    hit = page.locator(".search-hits li", has=page.get_by_role("link", name="The Hann window"))
    expect(hit).to_contain_text("Windows for FIR design")
    expect(hit.locator("mark").first).to_be_visible()
    journey.step("in-search")
    hit.get_by_role("link", name="The Hann window").click()
    expect(reader.title()).to_have_text("The Hann window")


def test_ines_imports_a_zipped_course_folder_through_the_upload_form(journey: Journey) -> None:
    page = journey.page
    log_in(page, "ines")
    page.goto("/author/")
    page.get_by_label("Zip of a course folder").set_input_files(
        files=[{"name": "ines-notes.zip", "mimeType": "application/zip", "buffer": course_zip()}]
    )
    page.get_by_label("Publish every imported section").check()
    journey.step("import-form")

    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Imported “Notes on Decimation”")).to_be_visible()
    expect(page.locator("main")).to_contain_text("2 new sections")
    journey.step("import-report")

    page.get_by_role("link", name="Open the book").click()
    page.get_by_role("link", name="Reader view").click()
    page.get_by_role("link", name="Keeping every Mth sample").click()
    reader = Reader(page)
    expect(reader.title()).to_have_text("Keeping every Mth sample")
    reader.expect_math_rendered()
    expect(page).to_have_url(re.compile(r"/books/notes-on-decimation/decimation/keep-every-mth/$"))
    journey.step("imported-section")
