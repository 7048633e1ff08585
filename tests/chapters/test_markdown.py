"""Ines writes a section in Markdown; students read the HTML. Her maths, code and figures come
through intact, and nothing she (or anyone pasting into her editor) writes can run script."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from chapters.markdown import RENDERER_VERSION, DemoBlock, Heading, render_markdown, sanitize_html
from tests.security.payloads import assert_safe_html, elements

ROOT = Path(__file__).resolve().parents[2]


def html_of(text: str, *, anchor_prefix: str = "", resolve_image: Callable[[str], str | None] | None = None) -> str:
    return render_markdown(text, anchor_prefix=anchor_prefix, resolve_image=resolve_image).html


def attributes_of(html: str, tag: str) -> list[dict[str, str | None]]:
    return [dict(attributes) for found, attributes in elements(html) if found == tag]


# --- maths ------------------------------------------------------------------------------------------


def test_inline_math_keeps_tex_exactly() -> None:
    html = html_of(r"Let $x_1 * y_2 = \frac{a}{b}$ hold.")
    assert r'<span class="math math-inline">\(x_1 * y_2 = \frac{a}{b}\)</span>' in html


def test_inline_math_escapes_less_than_and_keeps_bars() -> None:
    html = html_of(r"If $a<b$ then $|x|\le 1$.")
    assert r'<span class="math math-inline">\(a&lt;b\)</span>' in html
    assert r'<span class="math math-inline">\(|x|\le 1\)</span>' in html


def test_underscores_in_two_math_spans_do_not_become_emphasis() -> None:
    html = html_of(r"Both $a_n$ and $b_n$ and $c*d$ and $e*f$.")
    assert "<em>" not in html
    assert r"\(a_n\)" in html and r"\(b_n\)" in html and r"\(c*d\)" in html


def test_display_math_on_one_line() -> None:
    html = html_of(r"$$\sum_{n=0}^{N-1} |x_n|^2 < \infty$$")
    assert html == '<div class="math math-display">\\[\\sum_{n=0}^{N-1} |x_n|^2 &lt; \\infty\\]</div>\n'


def test_display_math_spanning_lines_keeps_every_line() -> None:
    source = "$$\nX_k = \\sum_{n} x_n\n  e^{-2\\pi i k n / N} \\\\\n  a_b * c_d\n$$\n"
    html = html_of(source)
    assert html == (
        '<div class="math math-display">\\[X_k = \\sum_{n} x_n\n  e^{-2\\pi i k n / N} \\\\\n  a_b * c_d\\]</div>\n'
    )


def test_amsmath_environment_is_display_math() -> None:
    html = html_of("\\begin{align}\na &= b_1 \\\\\nc &= d_2\n\\end{align}\n")
    assert html == (
        '<div class="math math-display">\\[\\begin{align}\na &amp;= b_1 \\\\\nc &amp;= d_2\n\\end{align}\\]</div>\n'
    )


def test_escaped_dollar_is_a_plain_dollar() -> None:
    html = html_of(r"A \$x\$ sign.")
    assert html == "<p>A $x$ sign.</p>\n"


def test_prices_stay_text() -> None:
    html = html_of("It costs $5 and $6 today.")
    assert html == "<p>It costs $5 and $6 today.</p>\n"


def test_href_in_math_stays_inert_text() -> None:
    html = html_of(r"$\href{javascript:alert(1)}{x}$")
    assert html == '<p><span class="math math-inline">\\(\\href{javascript:alert(1)}{x}\\)</span></p>\n'
    assert attributes_of(html, "a") == []


# --- prose blocks -----------------------------------------------------------------------------------


def test_tables_render_with_alignment_classes() -> None:
    html = html_of("| f | gain |\n|:--|-----:|\n| 1 | ~~2~~ |\n")
    assert "<table>" in html
    assert '<th class="align-left">f</th>' in html
    assert '<td class="align-right"><s>2</s></td>' in html
    assert "style" not in html


def test_footnotes_link_both_ways_with_the_prefix() -> None:
    html = html_of("Aliasing[^a] folds.\n\n[^a]: See Nyquist.\n", anchor_prefix="s3-")
    assert '<sup class="footnote-ref"><a href="#s3-fn-1" id="s3-fnref-1"' in html
    assert '<li id="s3-fn-1" class="footnote-item"><p>See Nyquist. <a href="#s3-fnref-1"' in html
    assert '<section class="footnotes">' in html


def test_note_admonition_has_its_title() -> None:
    html = html_of('!!! note "Why *sample*?"\n    Because $f_s > 2B$.\n')
    assert html.startswith('<div class="admonition note">\n<p class="admonition-title">Why <em>sample</em>?</p>\n')
    assert r"\(f_s &gt; 2B\)" in html


def test_collapsible_admonition_is_closed_details() -> None:
    html = html_of("??? tip\n    Try a window.\n")
    assert html == (
        '<details class="admonition tip">\n<summary class="admonition-title">Tip</summary>\n'
        "<p>Try a window.</p>\n</details>\n"
    )


def test_collapsible_admonition_with_plus_starts_open() -> None:
    html = html_of('???+ warning "Careful"\n    Aliasing ahead.\n')
    assert html.startswith('<details class="admonition warning" open="">\n<summary class="admonition-title">Careful')


def test_objectives_admonition_is_an_ordinary_admonition() -> None:
    html = html_of("!!! objectives\n    - explain aliasing\n")
    assert html.startswith('<div class="admonition objectives">\n<p class="admonition-title">Objectives</p>\n<ul>')


def test_admonition_kinds_are_plain_class_names() -> None:
    html = html_of('!!! note" onclick="x "Title"\n    body\n')
    assert html.startswith('<div class="admonition">\n')


def test_double_dollar_inside_a_paragraph_is_display_math_in_a_span() -> None:
    html = html_of(r"so $$e^{i\pi} = -1$$ holds")
    assert html == '<p>so <span class="math math-display">\\[e^{i\\pi} = -1\\]</span> holds</p>\n'


def test_code_is_highlighted_with_token_spans() -> None:
    html = html_of("```python\ndef f(x):\n    return x < 1\n```\n")
    assert html.startswith('<div class="highlight"><pre>')
    assert '<span class="k">def</span>' in html
    assert '<span class="o">&lt;</span>' in html


def test_unknown_language_is_escaped_plain_code() -> None:
    html = html_of("```nosuchlanguage\n<b>x</b> & y\n```\n")
    assert html == '<pre><code class="language-nosuchlanguage">&lt;b&gt;x&lt;/b&gt; &amp; y\n</code></pre>\n'


def test_fence_without_language_is_plain_code() -> None:
    assert html_of("```\na_b *c*\n```\n") == "<pre><code>a_b *c*\n</code></pre>\n"


def test_allowed_raw_html_survives() -> None:
    source = (
        '<figure><img src="figures/x.png" alt="x"><figcaption>Press <kbd>Ctrl</kbd></figcaption></figure>\n\n'
        '<abbr title="Discrete Fourier transform">DFT</abbr>\n'
    )
    html = html_of(source)
    assert '<figure><img src="figures/x.png" alt="x" loading="lazy"><figcaption>Press <kbd>Ctrl</kbd>' in html
    assert '<abbr title="Discrete Fourier transform">DFT</abbr>' in html


# --- headings ---------------------------------------------------------------------------------------


def test_headings_get_prefixed_anchors_and_permalinks() -> None:
    rendered = render_markdown("## The Sampling Theorem\n\n### Proof sketch\n", anchor_prefix="s2-")
    assert rendered.headings == (
        Heading(level=2, text="The Sampling Theorem", anchor="s2-the-sampling-theorem"),
        Heading(level=3, text="Proof sketch", anchor="s2-proof-sketch"),
    )
    assert rendered.html.startswith(
        '<h2 id="s2-the-sampling-theorem">The Sampling Theorem '
        '<a class="anchor" href="#s2-the-sampling-theorem" aria-label="Link to The Sampling Theorem" rel="noopener noreferrer">#</a></h2>'
    )


def test_repeated_headings_are_deduplicated() -> None:
    rendered = render_markdown("## Example\n\n## Example\n\n## Example\n")
    assert [heading.anchor for heading in rendered.headings] == ["example", "example-2", "example-3"]


def test_custom_heading_id_is_used_and_hidden() -> None:
    rendered = render_markdown("## Nyquist rate {#nyquist}\n", anchor_prefix="s1-")
    assert rendered.headings == (Heading(level=2, text="Nyquist rate", anchor="s1-nyquist"),)
    assert '<h2 id="s1-nyquist">Nyquist rate <a' in rendered.html
    assert "{#" not in rendered.html


def test_h1_in_a_body_becomes_h2() -> None:
    rendered = render_markdown("# Overview\n")
    assert rendered.html.startswith('<h2 id="overview">Overview')
    assert rendered.html.endswith("</h2>\n")
    assert "<h1" not in rendered.html
    assert rendered.headings[0].level == 2


def test_unicode_headings_are_transliterated() -> None:
    rendered = render_markdown("## Über ω₀ and Nyquist–Shannon\n\n## 日本語\n\n## Fourier’s series\n")
    assert [heading.anchor for heading in rendered.headings] == [
        "uber-omega-0-and-nyquist-shannon",
        "section",
        "fouriers-series",
    ]


def test_heading_text_includes_math_and_code() -> None:
    rendered = render_markdown("## The $z$-transform of `x[n]`\n")
    assert rendered.headings[0].text == "The z-transform of x[n]"
    assert rendered.headings[0].anchor == "the-z-transform-of-x-n"


def test_fragment_links_follow_the_prefix() -> None:
    html = html_of("## Aliasing\n\nSee [above](#aliasing) and [elsewhere](#other).\n", anchor_prefix="s4-")
    assert '<a href="#s4-aliasing"' in html
    assert '<a href="#other"' in html


def test_author_ids_are_dropped() -> None:
    rendered = render_markdown('<h2 id="evil">Raw</h2>\n\n<a id="login" href="#x">x</a>\n')
    assert all("id" not in attributes for attributes in attributes_of(rendered.html, "h2"))
    assert all("id" not in attributes for attributes in attributes_of(rendered.html, "a"))


# --- images and links -------------------------------------------------------------------------------


def test_images_are_resolved_and_lazy() -> None:
    rendered = render_markdown(
        '![Spectrum of *x*](figures/aliasing.png "Folding")\n', resolve_image=lambda src: f"/media/{src}"
    )
    assert rendered.html == (
        '<p><img src="/media/figures/aliasing.png" alt="Spectrum of x" title="Folding" loading="lazy"></p>\n'
    )
    assert rendered.images == ("figures/aliasing.png",)


def test_missing_figure_is_visible_not_broken() -> None:
    rendered = render_markdown("![a](figures/a.png) ![b](figures/gone.png)\n", resolve_image=lambda src: None)
    assert "<img" not in rendered.html
    assert '<span class="missing-figure">Missing figure: figures/gone.png</span>' in rendered.html
    assert rendered.images == ("figures/a.png", "figures/gone.png")


def test_images_without_a_resolver_keep_their_src() -> None:
    rendered = render_markdown("![x](figures/ω.png)\n")
    assert rendered.images == ("figures/ω.png",)
    assert attributes_of(rendered.html, "img")[0]["src"] == "figures/%CF%89.png"


def test_external_links_get_rel() -> None:
    html = html_of("[DSP guide](https://www.dspguide.com/)\n")
    assert html == '<p><a href="https://www.dspguide.com/" rel="noopener noreferrer">DSP guide</a></p>\n'


def test_mailto_and_relative_links_survive() -> None:
    html = html_of("[mail](mailto:ines@example.org) [next](../sampling/) [top](#top)\n")
    assert [attributes["href"] for attributes in attributes_of(html, "a")] == [
        "mailto:ines@example.org",
        "../sampling/",
        "#top",
    ]


# --- demos ------------------------------------------------------------------------------------------


def test_demo_fences_become_slots() -> None:
    source = "Intro.\n\n```demo aliasing\nf0 = 7000\nfs = 8000\n```\n\nMiddle.\n\n```demo dft\nN = 8\n```\n"
    rendered = render_markdown(source)
    assert rendered.demos == (
        DemoBlock(slot=0, name="aliasing", source="f0 = 7000\nfs = 8000\n", line=3),
        DemoBlock(slot=1, name="dft", source="N = 8\n", line=10),
    )
    assert rendered.html == (
        "<p>Intro.</p>\n"
        '<div class="demo-slot" data-demo-slot="0"></div>\n'
        "<p>Middle.</p>\n"
        '<div class="demo-slot" data-demo-slot="1"></div>\n'
    )


def test_forged_demo_slot_is_neutralised() -> None:
    source = (
        '<div class="demo-slot" data-demo-slot="0"></div>\n\n<span data-demo-slot="1">x</span>\n\n```demo real\n```\n'
    )
    rendered = render_markdown(source)
    assert rendered.demos == (DemoBlock(slot=0, name="real", source="", line=5),)
    slots = [attributes for tag, attributes in elements(rendered.html) if ("data-demo-slot", "0") in attributes]
    assert len(slots) == 1
    assert rendered.html.count("data-demo-slot") == 1
    assert rendered.html.count("demo-slot") == 2  # the real element's class and attribute only


def test_sanitize_html_alone_never_emits_slots_or_ids() -> None:
    html = sanitize_html('<div class="demo-slot note" data-demo-slot="0" id="x">a</div><script>b</script>')
    assert html == '<div class="note">a</div>'


# --- safety: the payload corpus runs through every path in tests/security/test_xss.py ----------------


# --- caching contract -------------------------------------------------------------------------------

EVERYTHING = """# Sampling {#sampling}

Costs $5. Inline $x_n$, display:

$$
X(f) = \\sum_k x(kT) e^{-j 2\\pi f k T}
$$

| a | b |
|---|--:|
| 1 | 2 |

!!! note "Title"
    Body[^1].

??? tip
    Hidden.

```python
print("hi")
```

```demo aliasing
f0 = 7000
```

<div data-demo-slot="3">forged</div>

![fig](figures/a.png) [link](https://example.org) [in](#sampling)

## Sampling

[^1]: A note.
"""


def test_rendering_is_deterministic() -> None:
    first = render_markdown(EVERYTHING, anchor_prefix="s1-", resolve_image=lambda src: "/m/" + src)
    second = render_markdown(EVERYTHING, anchor_prefix="s1-", resolve_image=lambda src: "/m/" + src)
    assert first == second
    assert_safe_html(first.html)


def test_renderer_version_is_a_positive_int() -> None:
    assert isinstance(RENDERER_VERSION, int) and RENDERER_VERSION >= 1
