"""A book's index: built from published text, updated incrementally, swapped atomically, searched."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from pytest_django.fixtures import Settings

from chapters import actions
from chapters.models import Book
from tutor import backends, indexing
from tutor.models import IndexBuild
from tutor.retrieval import current_version, load_index

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _index_dir(settings: Settings, tmp_path: Path) -> None:
    settings.INDEX_DIR = tmp_path / "index"
    settings.TASKS_MODE = "eager"
    backends.indexes.cache_clear()


def build(book: Book) -> str:
    out = io.StringIO()
    call_command("build_index", "--book", book.slug, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_build_index_indexes_published_sections_only(book: Book, settings: Settings) -> None:
    out = build(book)
    assert "signals: version" in out
    index = load_index(settings.INDEX_DIR / "signals")
    sections = {chunk.section_slug for chunk in index.chunks}
    assert sections == {"the-sampling-theorem", "aliasing"}
    assert IndexBuild.objects.get().status == IndexBuild.Status.DONE


def test_rebuilding_unchanged_text_is_a_no_op(book: Book, settings: Settings) -> None:
    build(book)
    version = current_version(settings.INDEX_DIR / "signals")
    assert "index is up to date" in build(book)
    assert current_version(settings.INDEX_DIR / "signals") == version


def test_publishing_a_change_re_embeds_only_the_changed_chunks(
    book: Book, instructor: User, settings: Settings
) -> None:
    build(book)
    before = load_index(settings.INDEX_DIR / "signals")
    section = book.sections.get(slug="aliasing")
    actions.do_save_section(
        section, instructor, "Aliasing", "A tone at $f_0$ folds to $|f_0 - k f_s|$ in the baseband.", []
    )
    actions.do_publish_section(section)
    _, total, embedded = indexing.rebuild(book)
    after = load_index(settings.INDEX_DIR / "signals")
    changed = [c for c in after.chunks if c.section_slug == "aliasing"]
    assert embedded == len(changed) < total
    unchanged = {c.content_hash: i for i, c in enumerate(before.chunks) if c.section_slug != "aliasing"}
    for i, chunk in enumerate(after.chunks):
        if chunk.content_hash in unchanged:
            assert (after.vectors[i] == before.vectors[unchanged[chunk.content_hash]]).all()


def test_a_build_still_in_the_queue_absorbs_new_requests(book: Book) -> None:
    from tutor.actions import do_request_index_build

    waiting = IndexBuild.objects.create(book=book, trigger="publish")  # queued, not started
    assert do_request_index_build(book, "publish").pk == waiting.pk
    assert IndexBuild.objects.count() == 1


def test_a_publish_triggers_a_build_on_commit(book: Book, instructor: User, settings: Settings) -> None:
    settings.INDEX_ON_PUBLISH = True
    section = book.sections.get(slug="reconstruction")
    actions.do_publish_section(section)  # autocommit: the hook fires, the eager task runs
    build = IndexBuild.objects.get()
    assert (build.trigger, build.status) == ("publish", IndexBuild.Status.DONE)
    index = backends.indexes().get("signals")
    assert "reconstruction" in {c.section_slug for c in index.chunks}


def test_the_instructor_watches_and_restarts_the_build(client: Client, book: Book, instructor: User) -> None:
    client.force_login(instructor)
    page = client.get("/author/books/signals/index/", HTTP_HX_REQUEST="true").content.decode()
    assert "No tutor index yet" in page
    response = client.post("/author/books/signals/index/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "Tutor index version" in html and "re-embedded" in html


def test_semantic_search_finds_a_paraphrase(client: Client, book: Book) -> None:
    build(book)
    html = client.get(
        "/search/", {"q": "how fast must I take samples of a band-limited signal", "mode": "meaning"}
    ).content.decode()
    assert "Passages closest in meaning" in html
    first = html.index('<ol class="search-hits">')
    assert html.index("The sampling theorem", first) < html.find("Aliasing", first) or "Aliasing" not in html[first:]


def test_semantic_search_says_when_there_is_no_index(client: Client, book: Book) -> None:
    html = client.get("/search/", {"q": "sampling", "mode": "meaning"}).content.decode()
    assert "not ready yet" in html


def test_eval_retrieval_reports_all_three_modes_from_real_rankings(book: Book, tmp_path: Path) -> None:
    from chapters.bank import QuestionData

    common = {"chapter": "sampling", "explanation": "See the section.", "type": "short"}
    actions.do_save_question(
        book,
        None,
        QuestionData(
            id="q1",
            text="What rate must samples be taken at to capture B Hz?",
            sections=["the-sampling-theorem"],
            answer="2B",
            **common,
        ),
    )
    actions.do_save_question(
        book,
        None,
        QuestionData(
            id="q2",
            text="Where does a tone at f0 appear after sampling at fs?",
            sections=["aliasing"],
            answer="|f0 - k fs|",
            **common,
        ),
    )
    build(book)
    out = io.StringIO()
    call_command("eval_retrieval", "--book", "signals", "--json", str(tmp_path / "r.json"), stdout=out)
    report = json.loads((tmp_path / "r.json").read_text())[0]
    assert report["questions"] == 2
    assert set(report["results"]) == {"dense", "bm25", "fused"}
    for row in report["results"].values():
        assert 0.0 <= row["recall@1"] <= row["recall@3"] <= row["recall@5"] <= row["recall@10"] <= 1.0
        assert row["recall@10"] == 1.0  # two sections in the index: both are within 10
    assert "fused" in out.getvalue() and "R@5" in out.getvalue()
