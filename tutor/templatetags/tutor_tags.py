from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from tutor.models import Answer
from tutor.rendering import answer_html, citation_links, confidence_words, relevant_sections

register = template.Library()


@register.simple_tag
def answer_body(answer: Answer) -> SafeString:
    return answer_html(answer)


register.filter("citation_links", citation_links)
register.filter("relevant_sections", relevant_sections)
register.filter("confidence_words", confidence_words)
