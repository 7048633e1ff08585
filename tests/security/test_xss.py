"""The payload corpus through every path that turns untrusted text into HTML: chapter Markdown, the
tutor's answers (stored and streamed), imported course folders and zips, search snippets, quizzes,
titles. Whoever wrote the text (an author, a model coaxed by a student, a zip from the web), the page
that shows it runs nothing and loads nothing from elsewhere."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client

from chapters import actions as chapter_actions
from chapters import search
from chapters.bank import QuestionData
from chapters.importers import read_book
from chapters.markdown import PAGE_IDS, render_markdown, sanitize_html
from chapters.models import Book
from chapters.rendering import revision_html
from chapters.templatetags.book_tags import inline_markdown
from tests.security.payloads import PAYLOADS, assert_safe_html, assert_safe_page, elements, page_ids
from tutor.models import Answer, Conversation, Question
from tutor.rendering import answer_anchor_prefix, answer_html

ROOT = Path(__file__).resolve().parents[2]


def test_the_corpus_is_large_and_has_no_repeats() -> None:
    assert len(PAYLOADS) >= 50
    assert len(set(PAYLOADS)) == len(PAYLOADS)


# --- the checks themselves -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "unsafe",
    [
        '<a href=" JAVA\tSCRIPT:x">',
        "<img src=x onerror=y>",
        "<svg>",
        '<p style="x">',
        '<div hx-get="/x">',
        '<img src="https://evil.example/x.png">',
        '<img src="/\\evil.example/x.png">',
        '<h2 id="tutor-log">x</h2>',
        '<div id="answer-3">x</div>',
        '<a name="x">',
    ],
)
def test_the_fragment_check_catches_what_it_should(unsafe: str) -> None:
    with pytest.raises(AssertionError):
        assert_safe_html(unsafe)


@pytest.mark.parametrize(
    "unsafe",
    [
        "<script>alert(1)</script>",
        '<script src="https://evil.example/x.js"></script>',
        '<div hx-on:click="alert(1)">',
        "<iframe src=x></iframe>",
        '<a href="javascript:alert(1)">',
        '<img src="//evil.example/x.png">',
        '<meta http-equiv="refresh" content="0">',
        '<p style="background:url(x)">',
    ],
)
def test_the_page_check_catches_what_it_should(unsafe: str) -> None:
    with pytest.raises(AssertionError):
        assert_safe_page(unsafe)


def test_the_renderer_steps_around_every_id_our_templates_use() -> None:
    assert page_ids() and page_ids() <= PAGE_IDS, page_ids() - PAGE_IDS


# --- chapter Markdown --------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_chapter_markdown_is_inert(payload: str) -> None:
    assert_safe_html(render_markdown(payload).html)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_chapter_markdown_with_figures_and_a_prefix_is_inert(payload: str) -> None:
    assert_safe_html(render_markdown(payload, resolve_image=lambda src: src, anchor_prefix="p-").html, id_prefix="p-")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sanitize_html_alone_makes_the_payload_inert(payload: str) -> None:
    assert_safe_html(sanitize_html(payload))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_an_objective_or_quiz_line_is_inert(payload: str) -> None:
    assert_safe_html(inline_markdown(payload))


def test_a_heading_that_would_take_a_page_id_steps_aside_and_its_links_follow() -> None:
    html = render_markdown("## Main\n\n[back](#main)\n\n## Answer 12\n").html
    assert 'id="main-2"' in html and 'href="#main-2"' in html
    assert 'id="answer-12-2"' in html


# --- reviewers' corrections and the review queue -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_reviewers_correction_is_inert(book: Book, student: User, reviewer: User, payload: str) -> None:
    from tutor.rendering import correction_html
    from uq.reviews import do_queue_for_review, do_review

    answer = stored_answer(book, student, "It folds [1].", status=Answer.Status.DONE, decision="flag")
    item = do_review(do_queue_for_review(answer, flagged=True), reviewer, verdict="wrong", correction=payload)
    assert_safe_html(correction_html(item), id_prefix=f"review-{item.pk}-")
    answer.refresh_from_db()
    fragment = render_to_string("tutor/fragments.html#answer", {"answer": answer, "question": answer.question})
    assert_safe_page(fragment)


@pytest.mark.django_db
def test_the_review_pages_show_payload_questions_answers_and_reports_inertly(
    client: Client, book: Book, student: User, reviewer: User
) -> None:
    from tutor.actions import do_report
    from uq.reviews import do_queue_for_review

    items = []
    for payload in PAYLOADS[:40]:
        answer = stored_answer(book, student, payload, status=Answer.Status.DONE, decision="answer")
        do_report(student, answer, "other", payload[:1000])
        items.append(do_queue_for_review(answer, reported=True))
    client.force_login(reviewer)
    for page in range(1, 3):
        assert_safe_page(client.get(f"/review/?page={page}").content.decode())
    for item in items[:10]:
        assert_safe_page(client.get(f"/review/{item.pk}/").content.decode())
    preview = client.post("/review/preview/", {"correction": "\n".join(PAYLOADS[:30])}).content.decode()
    assert_safe_page(preview)


# --- the tutor's answers ------------------------------------------------------------------------------------


def stored_answer(book: Book, student: User, text: str, **fields: object) -> Answer:
    conversation = Conversation.objects.create(user=student, book=book, title=text[:117])
    question = Question.objects.create(conversation=conversation, text=text)
    return Answer.objects.create(question=question, text=text, **fields)


@pytest.mark.django_db
@pytest.mark.parametrize("payload", PAYLOADS)
def test_an_answer_body_is_inert(book: Book, student: User, payload: str) -> None:
    section = book.sections.get(slug="aliasing")
    citations = [{"number": 1, "section_id": section.pk, "section_title": payload, "anchor": "aliasing"}]
    answer = stored_answer(book, student, f"{payload} [1]", status=Answer.Status.DONE, citations=citations)
    assert_safe_html(answer_html(answer), id_prefix=answer_anchor_prefix(answer.pk))
    fragment = render_to_string("tutor/fragments.html#answer", {"answer": answer, "question": answer.question})
    assert_safe_page(fragment)


@pytest.mark.django_db
def test_the_conversation_page_shows_payload_questions_and_answers_inertly(
    client: Client, book: Book, student: User
) -> None:
    for status in (Answer.Status.DONE, Answer.Status.GENERATING):
        for payload in PAYLOADS:
            stored_answer(book, student, payload, status=status)
    client.force_login(student)
    assert_safe_page(client.get("/tutor/conversations/").content.decode())
    for conversation in Conversation.objects.all()[:40]:
        assert_safe_page(client.get(f"/tutor/conversations/{conversation.pk}/").content.decode())


PROSE = re.compile(r'<div class="prose provisional" aria-busy="true">(.*?)</div>\s*<p class="answer-state">', re.DOTALL)


@pytest.mark.django_db(transaction=True)
async def test_streamed_provisional_fragments_are_inert(book: Book, student: User) -> None:
    from channels.layers import get_channel_layer
    from channels.testing import WebsocketCommunicator

    from textbook.asgi import application

    answer = await sync_to_async(stored_answer)(book, student, "q", status=Answer.Status.GENERATING)
    socket = WebsocketCommunicator(application, "/ws/tutor/", headers=[(b"origin", b"http://localhost")])
    socket.scope["user"] = student
    assert (await socket.connect())[0]
    await socket.receive_from(timeout=5)  # the replay of the unfinished answer
    for payload in PAYLOADS:
        await get_channel_layer().group_send(
            answer.group, {"type": "answer.token", "answer": answer.pk, "text": payload}
        )
        fragment = await socket.receive_from(timeout=5)
        assert_safe_page(fragment)
        body = PROSE.search(fragment)
        assert body is not None, fragment
        assert_safe_html(body.group(1), id_prefix=answer_anchor_prefix(answer.pk))
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_an_error_that_quotes_the_input_is_inert(book: Book, student: User) -> None:
    from channels.testing import WebsocketCommunicator

    from textbook.asgi import application

    socket = WebsocketCommunicator(application, "/ws/tutor/", headers=[(b"origin", b"http://localhost")])
    socket.scope["user"] = student
    assert (await socket.connect())[0]
    for payload in PAYLOADS[:40]:
        await socket.send_json_to({"book": payload, "question": "hi?"})
        fragment = await socket.receive_from(timeout=5)
        assert "No book" in fragment
        assert_safe_page(fragment)
    await socket.disconnect()


# --- imported course folders and zips -------------------------------------------------------------------------


def numbered(payload: str, index: int) -> str:
    return f"# Lesson {index}\n\nSome nyquist text.\n\n{payload}\n"


def plain_course(folder: Path, payloads: list[str] = PAYLOADS) -> Path:
    """One file per payload (so an unclosed fence cannot hide the next one), some payloads in file names."""
    for index, payload in enumerate(payloads):
        (folder / f"{index + 1:03d}-lesson.md").write_text(numbered(payload, index))
    for index, payload in enumerate(payloads[:20]):
        name = re.sub(r"[/\x00]", "", payload)[:80] or "x"
        (folder / f"{500 + index}-{name}.md").write_text(f"Some nyquist text.\n\n{payload}\n")
    return folder


def mkdocs_course(folder: Path) -> Path:
    docs = folder / "docs"
    docs.mkdir()
    nav = []
    for index, payload in enumerate(PAYLOADS):
        (docs / f"page{index}.md").write_text(f"---\ntitle: {json.dumps(payload)}\n---\n\n{numbered(payload, index)}")
        nav.append({payload: f"page{index}.md"})
    (folder / "mkdocs.yml").write_text(
        json.dumps({"site_name": PAYLOADS[0], "site_description": PAYLOADS[1], "nav": nav}, indent=1)
    )
    return folder


def notebook(cells: list[dict[str, object]]) -> str:
    return json.dumps({"cells": cells, "metadata": {"kernelspec": {"language": "python"}}, "nbformat": 4})


def jupyter_book_course(folder: Path) -> Path:
    cells: list[dict[str, object]] = []
    for payload in PAYLOADS:
        cells.append({"cell_type": "markdown", "metadata": {}, "source": [f"## {payload}\n", "\n", payload]})
        cells.append(
            {
                "cell_type": "code",
                "metadata": {},
                "source": [payload],
                "outputs": [{"output_type": "display_data", "data": {"text/html": [payload]}, "metadata": {}}],
                "execution_count": 1,
            }
        )
    (folder / "intro.md").write_text(f"# {PAYLOADS[2]}\n\n{PAYLOADS[3]}\n")
    (folder / "lab.ipynb").write_text(notebook(cells))
    (folder / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: lab\n")
    (folder / "_config.yml").write_text(json.dumps({"title": PAYLOADS[4], "description": PAYLOADS[5]}))
    return folder


COURSES = {"plain": plain_course, "mkdocs": mkdocs_course, "jupyter-book": jupyter_book_course}


def assert_the_book_reads_inertly(client: Client, book: Book) -> None:
    """Every section's body as the reader shows it; the pages around them (every title is in each
    page's outline) for the first few, since a page of a book this long takes a while to render."""
    assert_safe_page(client.get("/").content.decode())
    assert_safe_page(client.get(book.get_absolute_url()).content.decode())
    sections = list(book.sections.select_related("book", "chapter", "published"))
    assert sections and all(s.published_id for s in sections)
    for section in sections:
        assert_safe_html(render_markdown(section.published.body).html)  # type: ignore[union-attr]
        assert_safe_page(revision_html(section.published))  # type: ignore[arg-type]
    for section in sections[:5]:
        assert_safe_page(client.get(section.get_absolute_url()).content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize("layout", sorted(COURSES))
def test_an_imported_course_reads_inertly(client: Client, instructor: User, tmp_path: Path, layout: str) -> None:
    data = read_book(COURSES[layout](tmp_path))
    report = chapter_actions.do_import_book(instructor, data, lambda name: b"", publish=True)
    client.force_login(instructor)
    assert_the_book_reads_inertly(client, report.book)
    assert_safe_page(client.get(f"/author/books/{report.book.slug}/").content.decode())


def zipped(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                bundle.write(path, "course/" + str(path.relative_to(folder)))
    return buffer.getvalue()


@pytest.mark.django_db
def test_an_uploaded_zip_and_its_report_read_inertly(client: Client, instructor: User, tmp_path: Path) -> None:
    (tmp_path / "course").mkdir()
    folder = plain_course(tmp_path / "course", PAYLOADS[:40])  # the reader's side is the test above
    (folder / "notes.md").write_text(f"```{{{PAYLOADS[0]}}}\nx\n```\n![x]({PAYLOADS[1]}.png)\n")  # problems
    client.force_login(instructor)
    upload = SimpleUploadedFile("course.zip", zipped(folder), "application/zip")
    response = client.post("/author/import/", {"archive": upload, "publish": "on"})
    assert response.status_code == 200, response.content[:500]
    assert_safe_page(response.content.decode())
    assert_the_book_reads_inertly(client, Book.objects.get())


# --- search, quizzes, titles ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_snippets_of_payload_sections_are_inert(client: Client, instructor: User, tmp_path: Path) -> None:
    data = read_book(plain_course(tmp_path, PAYLOADS[::2]))
    chapter_actions.do_import_book(instructor, data, lambda name: b"", publish=True)
    hits = search.search("nyquist", limit=500)
    assert len(hits) > 80
    for hit in hits:
        assert_safe_html(hit.snippet)
    for query in ("nyquist", *PAYLOADS[:20]):
        assert_safe_page(client.get("/search/", {"q": query}).content.decode())


@pytest.mark.django_db
def test_quiz_text_choices_and_explanations_are_inert(client: Client, book: Book, student: User) -> None:
    for index, payload in enumerate(PAYLOADS):
        question = chapter_actions.do_save_question(
            book,
            None,
            QuestionData(
                id=f"q{index}",
                type="choice",
                text=payload,
                chapter="sampling",
                sections=["the-sampling-theorem"],
                answer="0",
                choices=[f"right {payload}", "wrong"],
                explanation=payload,
            ),
        )
        result = client.post(f"/quiz/{question.pk}/", {"answer": "0"}, HTTP_HX_REQUEST="true")
        assert_safe_page(result.content.decode())
    client.force_login(student)
    page = client.get("/books/signals/sampling/the-sampling-theorem/").content.decode()
    assert page.count('class="quiz-item"') == len(PAYLOADS)
    assert_safe_page(page)


@pytest.mark.django_db
def test_book_titles_and_descriptions_are_inert(client: Client, instructor: User, book: Book) -> None:
    for payload in PAYLOADS[::3]:  # Django's autoescaping, not the sanitiser: a sample is enough
        chapter_actions.do_update_book(book, payload, payload)
        for url in ("/", "/books/signals/", "/books/signals/sampling/the-sampling-theorem/"):
            assert_safe_page(client.get(url).content.decode())


# --- KaTeX ----------------------------------------------------------------------------------------------------


def test_katex_renders_untrusted_maths_with_trust_off() -> None:
    """\\href, \\url, \\includegraphics and \\html… need KaTeX's `trust`; off, they render as red source text."""
    site = (ROOT / "static" / "js" / "site.js").read_text()
    calls = re.findall(r"renderMathInElement\(\s*\w+\s*,\s*\{(.*?)\}\s*\)", site, re.DOTALL)
    assert len(calls) == 1, "one place renders maths"
    assert re.search(r"\btrust\s*:\s*false\b", calls[0])
    scripts = [p for p in (ROOT / "static" / "js").rglob("*.js")]
    templates = [p for p in ROOT.glob("**/templates/**/*.html") if ".venv" not in p.parts]
    for path in scripts + templates:
        text = path.read_text()
        assert not re.search(r"\btrust\s*:\s*(true|!0|function|\()", text), path
        assert "katex.render(" not in text and "renderToString(" not in text, f"{path} renders maths elsewhere"


def test_the_maths_tricks_reach_katex_as_text_only() -> None:
    """Server side, a \\href in maths is only characters inside a maths span: no element, no attribute."""
    for payload in ("$\\href{javascript:alert(1)}{x}$", "$\\url{javascript:alert(1)}$"):
        html = render_markdown(payload).html
        assert [tag for tag, _ in elements(html)] == ["p", "span"]
        assert "javascript:alert(1)" in html  # as text, which KaTeX (trust: false) will not turn into a link
