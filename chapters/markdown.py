"""Section Markdown → safe HTML, shared by the reader and the editor's live preview.

Pure: imports the standard library, markdown-it-py, mdit-py-plugins, nh3 and Pygments only.

The pipeline is parse → render → sanitise. The renderer is trusted; the Markdown (and any raw
HTML in it) is not, so everything, our own output included, goes through one nh3 allow-list.

Attributes the page relies on (heading and footnote ids, demo slots) cannot be forged from the
Markdown: the renderer writes them with a random per-render nonce (``id="<nonce>intro"``,
``data-demo-slot="<nonce>0"``, ``class="demo-slot <nonce>"``) and the sanitiser's attribute filter
keeps exactly those, removing the nonce, and drops every ``id``/``data-demo-slot`` (and the
``demo-slot`` class) that lacks it. The nonce never reaches the output, so output is still
byte-for-byte deterministic.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml, unescapeAll
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import OptionsDict
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

__all__ = ["RENDERER_VERSION", "DemoBlock", "Heading", "Rendered", "render_markdown", "sanitize_html"]

RENDERER_VERSION = 4  # bump whenever the HTML for the same Markdown changes

ImageResolver = Callable[[str], str | None]


@dataclass(frozen=True)
class Heading:
    level: int  # 2..6; a body '#' h1 is rendered as h2
    text: str  # plain text
    anchor: str  # the heading's id: prefixed and unique within the document


@dataclass(frozen=True)
class DemoBlock:
    slot: int  # 0, 1, 2… in order of appearance in the HTML
    name: str  # the word after ```demo ("" if none)
    source: str  # raw body of the fence
    line: int  # 1-based line of the opening fence


@dataclass(frozen=True)
class Rendered:
    html: str  # sanitised HTML
    headings: tuple[Heading, ...]
    demos: tuple[DemoBlock, ...]
    images: tuple[str, ...]  # every Markdown image src as written, in order


# --- sanitiser -------------------------------------------------------------------------------------

_TAGS = frozenset(
    {
        *("p", "br", "hr", "blockquote", "div", "span", "section"),
        *("h2", "h3", "h4", "h5", "h6"),
        *("strong", "b", "em", "i", "u", "s", "del", "ins", "mark", "small", "sup", "sub", "q", "cite"),
        *("code", "pre", "kbd", "samp", "abbr"),
        *("ul", "ol", "li", "dl", "dt", "dd"),
        *("table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td"),
        *("a", "img", "figure", "figcaption", "details", "summary"),
    }
)
_HEADING_ATTRIBUTES = frozenset({"id"})
_ATTRIBUTES: dict[str, frozenset[str]] = {
    "*": frozenset({"class"}),
    "a": frozenset({"href", "title", "id", "aria-hidden", "aria-label"}),
    "abbr": frozenset({"title"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    "li": frozenset({"id"}),
    "ol": frozenset({"start"}),
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"colspan", "rowspan", "scope"}),
    "details": frozenset({"open"}),
    "div": frozenset({"data-demo-slot"}),
    **{f"h{level}": _HEADING_ATTRIBUTES for level in range(2, 7)},
}
_URL_SCHEMES = frozenset({"http", "https", "mailto"})  # relative and #fragment URLs pass too
# Ids of the pages that show rendered Markdown (the reader, the editor's preview, the tutor's panel and
# conversations): the skip link, htmx targets, the tutor's hidden conversation field. A heading that took
# one would receive the tutor's out-of-band swaps or hide the element scripts look for, so headings step
# around them. tests/security/test_xss.py checks this list against those templates.
PAGE_IDS = frozenset(
    {
        *("main", "tutor", "tutor-title", "tutor-log", "tutor-error", "tutor-conversation", "tutor-question"),
        *("quiz-title", "section-title", "section-form", "preview", "preview-title", "body-help", "index-status"),
        *("notification-count", "toasts", "queue-results", "queue-keys", "tutor-said", "verdict-title", "reader-text"),
        *("id_correction", "correction-help", "correction-preview", "confidence-title", "passages-title", "log-title"),
    }
)
# Per-answer, per-item, per-quiz and per-demo ids; a "-2" suffix steps out of them.
_PAGE_ID_PATTERN = re.compile(r"(answer|exchange|quiz-answer|demo|review|feedback|rate|report-comment|item)-\d+")
_LINK_REL = "noopener noreferrer"
_DEMO_SLOT_CLASS = "demo-slot"


def _same_site(url: str) -> bool:
    """A relative URL: no scheme, no host. Browsers read a backslash as a slash and skip control characters."""
    read = "".join(char for char in url if ord(char) > 0x20 and char != "\x7f").replace("\\", "/")
    return not read.startswith("//") and ":" not in read.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]


def _trusted_attribute_filter(nonce: str | None) -> Callable[[str, str, str], str | None]:
    """Keep ids and demo slots only when the renderer marked them with `nonce` (then unmark them)."""

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            # An image from another site loads as soon as the page shows, so a prompt-injected answer
            # could leak what is on the page in its URL; and book figures are served by the site anyway.
            return value if _same_site(value) else None
        if attribute in ("id", "data-demo-slot"):
            if nonce is None or not value.startswith(nonce):
                return None
            value = value[len(nonce) :]
            if attribute == "data-demo-slot" and not (value.isascii() and value.isdigit()):
                return None
            return value or None
        if attribute == "class":
            classes = value.split()
            if nonce is not None and nonce in classes:
                classes.remove(nonce)
            else:
                classes = [name for name in classes if name != _DEMO_SLOT_CLASS]
            return " ".join(classes) or None
        return value

    return keep


def _clean(html: str, nonce: str | None) -> str:
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_trusted_attribute_filter(nonce),
        strip_comments=True,
        link_rel=_LINK_REL,
        url_schemes=_URL_SCHEMES,
        set_tag_attribute_values={"img": {"loading": "lazy"}},
    )


def sanitize_html(html: str) -> str:
    """Clean untrusted HTML with the reader's allow-list.

    Drops every ``id``, every ``data-demo-slot`` and the ``demo-slot`` class: only
    `render_markdown` can emit those. So do not re-sanitise `Rendered.html`; it is already clean.
    """
    return _clean(html, nonce=None)


# --- per-render state ------------------------------------------------------------------------------

_ENV_KEY = "textbook_render"


@dataclass
class _RenderState:
    prefix: str
    resolve_image: ImageResolver | None
    nonce: str
    headings: list[Heading] = field(default_factory=list)
    demos: list[DemoBlock] = field(default_factory=list)
    images: list[str] = field(default_factory=list)


def _state(env: MutableMapping[str, Any]) -> _RenderState:
    return cast(_RenderState, env[_ENV_KEY])


# --- headings --------------------------------------------------------------------------------------

_EXPLICIT_ID = re.compile(r"[ \t]*\{#([A-Za-z][A-Za-z0-9_-]*)\}[ \t]*$")
_GREEK = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "ζ": "zeta",
    "η": "eta",
    "θ": "theta",
    "ι": "iota",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "ν": "nu",
    "ξ": "xi",
    "ο": "omicron",
    "π": "pi",
    "ρ": "rho",
    "σ": "sigma",
    "ς": "sigma",
    "τ": "tau",
    "υ": "upsilon",
    "φ": "phi",
    "χ": "chi",
    "ψ": "psi",
    "ω": "omega",
}
_SLUG_MAX = 80


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by hyphens: 'Nyquist–Shannon (ω₀)' → 'nyquist-shannon-omega0'."""
    text = re.sub(r"['’]", "", unicodedata.normalize("NFKC", text).lower())  # fourier's → fouriers
    text = "".join(f" {_GREEK[char]} " if char in _GREEK else char for char in text)
    # accents fall away as combining marks; any other non-ASCII character separates words
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(char for char in decomposed if unicodedata.category(char) != "Mn")
    slug = re.sub(r"[^a-z0-9]+", "-", kept).strip("-")
    return slug[:_SLUG_MAX].rstrip("-") or "section"


def _plain_text(children: Sequence[Token]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline", "math_inline", "math_inline_double"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_plain_text(child.children or []))
    return " ".join("".join(parts).split())


def _take_explicit_ids(state: StateCore) -> None:
    """Remove a trailing ``{#id}`` from heading lines before inline parsing sees it."""
    tokens = state.tokens
    for index, token in enumerate(tokens[:-1]):
        if token.type != "heading_open":
            continue
        inline = tokens[index + 1]
        match = _EXPLICIT_ID.search(inline.content)
        if match:
            token.meta["explicit_id"] = match.group(1)
            inline.content = inline.content[: match.start()]


def _anchor_headings(state: StateCore) -> None:
    """Demote h1 to h2, give every heading a unique prefixed id, and point #fragment links at them."""
    render = _state(state.env)
    tokens = state.tokens
    used: set[str] = set()
    anchors: dict[str, str] = {}
    renamed = False
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline, close = tokens[index + 1], tokens[index + 2]
        if token.tag == "h1":
            token.tag = close.tag = "h2"
        text = _plain_text(inline.children or [])
        base = str(token.meta.get("explicit_id") or slugify(text))
        local_id, suffix = base, 1
        while local_id in used or _is_page_id(render.prefix + local_id):
            suffix += 1
            local_id = f"{base}-{suffix}"
        used.add(local_id)
        anchor = render.prefix + local_id
        renamed |= local_id != base
        anchors.setdefault(local_id, anchor)
        anchors.setdefault(base, anchor)  # a link to a page id stepped around follows the heading
        token.attrSet("id", render.nonce + anchor)
        close.meta["anchor"] = anchor
        close.meta["title"] = text
        render.headings.append(Heading(level=int(token.tag[1]), text=text, anchor=anchor))
    if render.prefix or renamed:
        _retarget_fragment_links(tokens, anchors)


def _is_page_id(anchor: str) -> bool:
    return anchor in PAGE_IDS or _PAGE_ID_PATTERN.fullmatch(anchor) is not None


def _retarget_fragment_links(tokens: Sequence[Token], anchors: dict[str, str]) -> None:
    for token in tokens:
        for child in token.children or []:
            href = child.attrGet("href") if child.type == "link_open" else None
            if isinstance(href, str) and href.startswith("#") and href[1:] in anchors:
                child.attrSet("href", "#" + anchors[href[1:]])


def _render_heading_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: MutableMapping[str, Any]
) -> str:
    token = tokens[idx]
    anchor = escapeHtml(str(token.meta.get("anchor", "")))
    # A named link, not an aria-hidden one: it takes keyboard focus (and shows on focus), and a focusable
    # element hidden from assistive technology is announced as nothing at all.
    label = escapeHtml(f"Link to {token.meta.get('title', 'this heading')}")
    permalink = f' <a class="anchor" href="#{anchor}" aria-label="{label}">#</a>' if anchor else ""
    return f"{permalink}</{token.tag}>\n"


# --- math ------------------------------------------------------------------------------------------


def _math_inline(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: MutableMapping[str, Any]
) -> str:
    return f'<span class="math math-inline">\\({escapeHtml(tokens[idx].content)}\\)</span>'


def _math_inline_display(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: MutableMapping[str, Any]
) -> str:
    # $$…$$ inside a paragraph: display maths, but a span so the paragraph stays valid HTML
    return f'<span class="math math-display">\\[{escapeHtml(tokens[idx].content.strip())}\\]</span>'


def _math_block(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: MutableMapping[str, Any]
) -> str:
    return f'<div class="math math-display">\\[{escapeHtml(tokens[idx].content.strip())}\\]</div>\n'


# --- code and demo fences --------------------------------------------------------------------------

_FORMATTER = HtmlFormatter(cssclass="highlight", wrapcode=True)


def _render_fence(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: MutableMapping[str, Any]
) -> str:
    token = tokens[idx]
    words = unescapeAll(token.info).split()
    language = words[0] if words else ""
    if language == "demo":
        return _demo_slot(_state(env), name=words[1] if len(words) > 1 else "", token=token)
    if language:
        try:
            lexer = get_lexer_by_name(language)
        except ClassNotFound:
            lexer = None
        if lexer is not None:
            return str(highlight(token.content, lexer, _FORMATTER))
    language_class = f' class="language-{escapeHtml(language)}"' if language else ""
    return f"<pre><code{language_class}>{escapeHtml(token.content)}</code></pre>\n"


def _demo_slot(render: _RenderState, *, name: str, token: Token) -> str:
    slot = len(render.demos)
    line = token.map[0] + 1 if token.map else 0
    render.demos.append(DemoBlock(slot=slot, name=name, source=token.content, line=line))
    nonce = render.nonce
    return f'<div class="{_DEMO_SLOT_CLASS} {nonce}" data-demo-slot="{nonce}{slot}"></div>\n'


# --- images ----------------------------------------------------------------------------------------


def _image_renderer(md: MarkdownIt) -> Callable[..., str]:
    def render_image(
        self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: MutableMapping[str, Any]
    ) -> str:
        token = tokens[idx]
        render = _state(env)
        normalized = str(token.attrGet("src") or "")
        written = md.normalizeLinkText(normalized)
        render.images.append(written)
        src = normalized if render.resolve_image is None else render.resolve_image(written)
        if src is None:
            return f'<span class="missing-figure">Missing figure: {escapeHtml(written)}</span>'
        alt = self.renderInlineAsText(token.children or [], options, env)
        title = token.attrGet("title")
        title_attribute = f' title="{escapeHtml(str(title))}"' if title else ""
        return f'<img src="{escapeHtml(src)}" alt="{escapeHtml(alt)}"{title_attribute}>'

    return render_image


# --- admonitions -----------------------------------------------------------------------------------

_COLLAPSIBLE_CLASSES = frozenset({"is-collapsible", "collapsible-open", "collapsible-closed"})
_ADMONITION_CLASS = re.compile(r"[a-z][a-z0-9_-]*")


def _admonition_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: MutableMapping[str, Any]
) -> str:
    token = tokens[idx]
    # the kind comes from the author ("!!! note"): keep plain CSS class names only
    classes = [
        name
        for name in str(token.attrGet("class") or "").split()
        if name not in _COLLAPSIBLE_CLASSES and _ADMONITION_CLASS.fullmatch(name)
    ]
    class_attribute = " ".join(classes)
    if token.markup.startswith("?"):
        opened = " open" if token.markup.endswith("+") else ""
        return f'<details class="{class_attribute}"{opened}>\n'
    return f'<div class="{class_attribute}">\n'


def _admonition_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: MutableMapping[str, Any]
) -> str:
    return "</details>\n" if tokens[idx].markup.startswith("?") else "</div>\n"


def _admonition_title_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: MutableMapping[str, Any]
) -> str:
    tag = "summary" if tokens[idx].markup.startswith("?") else "p"
    return f'<{tag} class="admonition-title">'


def _admonition_title_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: MutableMapping[str, Any]
) -> str:
    # the close token carries no markup; its open token is two back (open, inline, close)
    opened = tokens[idx - 2] if idx >= 2 else tokens[idx]
    return "</summary>\n" if opened.markup.startswith("?") else "</p>\n"


# --- tables and footnotes --------------------------------------------------------------------------


def _table_cell_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: MutableMapping[str, Any]
) -> str:
    # markdown-it aligns with style="text-align:…", which the sanitiser drops; use a class instead
    token = tokens[idx]
    style = str(token.attrGet("style") or "")
    align = style.removeprefix("text-align:")
    class_attribute = f' class="align-{align}"' if align in ("left", "center", "right") else ""
    return f"<{token.tag}{class_attribute}>"


def _footnote_ids(render: _RenderState, token: Token) -> tuple[str, str]:
    """(note id, reference id) for a footnote token, e.g. ('intro-fn-1', 'intro-fnref-1-2')."""
    number = int(token.meta["id"]) + 1
    sub_id = int(token.meta.get("subId", -1))
    ref_suffix = f"-{sub_id}" if sub_id > 0 else ""
    return f"{render.prefix}fn-{number}", f"{render.prefix}fnref-{number}{ref_suffix}"


def _footnote_ref(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: MutableMapping[str, Any]
) -> str:
    render = _state(env)
    note_id, ref_id = _footnote_ids(render, tokens[idx])
    number = int(tokens[idx].meta["id"]) + 1
    return (
        f'<sup class="footnote-ref"><a href="#{escapeHtml(note_id)}" '
        f'id="{render.nonce}{escapeHtml(ref_id)}">[{number}]</a></sup>'
    )


def _footnote_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: MutableMapping[str, Any]
) -> str:
    render = _state(env)
    note_id, _ = _footnote_ids(render, tokens[idx])
    return f'<li id="{render.nonce}{escapeHtml(note_id)}" class="footnote-item">'


def _footnote_anchor(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: MutableMapping[str, Any]
) -> str:
    _, ref_id = _footnote_ids(_state(env), tokens[idx])
    return f' <a href="#{escapeHtml(ref_id)}" class="footnote-backref">\u21a9\ufe0e</a>'


# --- parser ----------------------------------------------------------------------------------------


@cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False, "xhtmlOut": False})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.use(admon_plugin)
    md.use(
        dollarmath_plugin,
        allow_labels=False,
        allow_space=False,
        allow_digits=False,
        allow_blank_lines=False,
        double_inline=True,
    )
    md.use(amsmath_plugin)
    md.core.ruler.before("inline", "textbook_explicit_ids", _take_explicit_ids)
    md.core.ruler.push("textbook_anchors", _anchor_headings)

    rules: dict[str, Callable[..., str]] = {
        "heading_close": _render_heading_close,
        "math_inline": _math_inline,
        "math_inline_double": _math_inline_display,
        "math_block": _math_block,
        "amsmath": _math_block,
        "fence": _render_fence,
        "image": _image_renderer(md),
        "admonition_open": _admonition_open,
        "admonition_close": _admonition_close,
        "admonition_title_open": _admonition_title_open,
        "admonition_title_close": _admonition_title_close,
        "th_open": _table_cell_open,
        "td_open": _table_cell_open,
        "footnote_ref": _footnote_ref,
        "footnote_open": _footnote_open,
        "footnote_anchor": _footnote_anchor,
    }
    for name, rule in rules.items():
        md.add_render_rule(name, rule)
    return md


def render_markdown(text: str, *, anchor_prefix: str = "", resolve_image: ImageResolver | None = None) -> Rendered:
    """Render a section's Markdown to sanitised HTML, plus its headings, demo fences and image sources.

    `anchor_prefix` is prepended to every heading and footnote id (and to #fragment links that point at
    this section's headings). `resolve_image` maps an image src as written to a URL, or None when the
    figure is missing. Same input, same output, byte for byte.
    """
    render = _RenderState(prefix=anchor_prefix, resolve_image=resolve_image, nonce=f"n{secrets.token_hex(12)}-")
    html = _parser().render(text, {_ENV_KEY: render})
    return Rendered(
        html=_clean(html, render.nonce),
        headings=tuple(render.headings),
        demos=tuple(render.demos),
        images=tuple(render.images),
    )
