"""An answer as the student sees it: untrusted model text → sanitised HTML with citation links."""

from __future__ import annotations

import re

from django.utils.safestring import SafeString, mark_safe

from chapters.markdown import render_markdown
from chapters.models import Section
from tutor.models import Answer

# A citation marker outside math: [n], not glued to a word or to another bracket (x[n], h[2]).
_MARKER = re.compile(r"(?<![\w\])])\[(\d{1,2})\]")
_MATH = re.compile(r"(\$\$.+?\$\$|\$[^$\n]+\$|`[^`\n]+`)", re.DOTALL)


def link_citations(text: str, anchors: dict[int, str]) -> str:
    """Turn verified markers [n] into Markdown links to the cited section; math and code untouched."""
    parts = _MATH.split(text)
    for i in range(0, len(parts), 2):  # even parts are outside math/code
        parts[i] = _MARKER.sub(
            lambda m: f"[\\[{m.group(1)}\\]]({anchors[int(m.group(1))]})" if int(m.group(1)) in anchors else m.group(0),
            parts[i],
        )
    return "".join(parts)


def answer_anchor_prefix(answer_id: int) -> str:
    """Ids in an answer's HTML start with this, so model text can never take an id the page uses."""
    return f"answer-{answer_id}-"


def answer_html(answer: Answer, *, reveal: bool = False) -> SafeString:
    """Sanitised HTML of the answer text; once done, each kept [n] links to its section. A withheld answer
    (the confidence model abstained) renders as nothing — its text is for reviewers — unless ``reveal``
    (a reviewer has confirmed it correct)."""
    if answer.withheld and not reveal:
        return mark_safe("")
    text = answer.text
    if answer.status == Answer.Status.DONE and answer.citations:
        text = link_citations(text, {number: url for number, _, url in citation_links(answer)})
    html = render_markdown(text, anchor_prefix=answer_anchor_prefix(answer.pk)).html
    return mark_safe(html)  # noqa: S308 - render_markdown sanitises (nh3 allow-list)


def citation_links(answer: Answer) -> list[tuple[int, str, str]]:
    """(number, section title, URL of the section at its anchor) for each verified citation."""
    ids = [c["section_id"] for c in answer.citations]
    sections = Section.objects.select_related("book", "chapter").in_bulk(ids)
    return [
        (c["number"], c["section_title"], f"{sections[c['section_id']].get_absolute_url()}#{c['anchor']}")
        for c in answer.citations
        if c["section_id"] in sections
    ]


def relevant_sections(answer: Answer) -> list[tuple[str, str]]:
    """(section title, URL at the passage's anchor) of the passages the tutor was shown, distinct sections,
    best first: what a student gets instead of an answer the tutor abstained from."""
    ids = list(dict.fromkeys(p["section_id"] for p in answer.passages))
    sections = Section.objects.select_related("book", "chapter").in_bulk(ids)
    links: dict[int, tuple[str, str]] = {}
    for passage in answer.passages:
        section = sections.get(passage["section_id"])
        if section is not None and section.pk not in links:
            links[section.pk] = (passage["section_title"], f"{section.get_absolute_url()}#{passage['anchor']}")
    return list(links.values())


CONFIDENCE_WORDS = {
    "answer": "likely correct",
    "flag": "unsure — check the cited sections",
    "abstain": "not answered",
    "unscored": "not yet checked by the confidence model",
}


def confidence_words(answer: Answer) -> str:
    return CONFIDENCE_WORDS.get(answer.decision, "")


def correction_html(item: object) -> SafeString:
    """Sanitised HTML of a reviewer's correction (Markdown with math), as the student and the reviewer see it."""
    text = getattr(item, "correction", "") or ""
    if not text:
        return mark_safe("")
    html = render_markdown(text, anchor_prefix=f"review-{getattr(item, 'pk', 0)}-").html
    return mark_safe(html)  # noqa: S308 - render_markdown sanitises


def reviewed_by(item: object) -> str:
    """Who checked the answer, as the student reads it."""
    reviewer, book = getattr(item, "reviewer", None), getattr(item, "book", None)
    if reviewer is not None and book is not None and book.can_edit(reviewer):
        return "Reviewed by your instructor"
    return "Reviewed by a course reviewer"
