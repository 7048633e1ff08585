"""Section Markdown → the HTML the reader shows, with the book's figures and live demos.

The reader and the editor's preview both call `render_body`, so a preview is exactly what
students will see. Published HTML is cached per revision (and per figure set of the book).
"""

from __future__ import annotations

import html as html_module

import nh3
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from chapters import demos
from chapters.markdown import RENDERER_VERSION, DemoBlock, render_markdown
from chapters.models import Book, Revision

CACHE_SECONDS = 24 * 3600


def render_body(book: Book, body: str, *, anchor_prefix: str = "") -> SafeString:
    figures = {figure.reference: figure.get_absolute_url() for figure in book.figures.all()}
    rendered = render_markdown(body, anchor_prefix=anchor_prefix, resolve_image=figures.get)
    html = rendered.html
    for block in rendered.demos:
        slot = f'<div class="demo-slot" data-demo-slot="{block.slot}"></div>'
        html = html.replace(slot, demo_widget(block, uid=f"{anchor_prefix}demo-{block.slot}"), 1)
    return mark_safe(html)  # noqa: S308 - sanitised by render_markdown; widgets come from our templates


def revision_html(revision: Revision) -> SafeString:
    """The published HTML of a revision, cached until the renderer or the book's figures change."""
    book = revision.section.book
    key = f"section-html:{revision.pk}:{RENDERER_VERSION}:{book.figures_version}"
    html = cache.get(key)
    if html is None:
        html = str(render_body(book, revision.body))
        cache.set(key, html, CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 - see render_body


def demo_widget(block: DemoBlock, *, uid: str) -> str:
    try:
        values = demos.parse_block(block.name, block.source)
    except demos.DemoError as exc:
        return render_to_string("chapters/demo.html#broken", {"name": block.name, "error": str(exc)})
    return render_to_string("chapters/demo.html#figure", demo_context(block.name, values, uid=uid))


def demo_context(name: str, values: dict[str, float | str], *, uid: str, error: str = "") -> dict[str, object]:
    from urllib.parse import urlencode

    demo = demos.DEMOS[name]
    result = None if error else demos.render(name, values)
    controls = [{"param": param, "value": _plain(values.get(param.name, ""))} for param in demo.params]
    return {
        "demo": demo,
        "uid": uid,
        "controls": controls,
        "query": urlencode({key: _plain(value) for key, value in values.items()}),
        "result": result,
        "error": error,
    }


def _plain(value: float | str) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def plain_text(body: str, *, objectives: list[str] | None = None) -> str:
    """The words of a section, for full-text search (no markup, demos left out)."""
    html = render_markdown(body).html
    text = html_module.unescape(nh3.clean(html, tags=set()))
    return "\n".join([*(objectives or []), " ".join(text.split())])
