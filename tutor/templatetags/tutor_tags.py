from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from tutor.models import Answer, Feedback
from tutor.rendering import (
    answer_html,
    citation_links,
    confidence_words,
    correction_html,
    relevant_sections,
    reviewed_by,
)

register = template.Library()


@register.simple_tag
def answer_body(answer: Answer, reveal: bool = False) -> SafeString:
    return answer_html(answer, reveal=reveal)


@register.simple_tag
def report_reasons() -> list[tuple[str, str]]:
    return list(Feedback.Reason.choices)


register.filter("citation_links", citation_links)
register.filter("relevant_sections", relevant_sections)
register.filter("confidence_words", confidence_words)
register.filter("correction_html", correction_html)
register.filter("reviewed_by", reviewed_by)
