from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from chapters.markdown import render_markdown

register = template.Library()


@register.filter
def inline_markdown(text: str) -> SafeString:
    """One line of author Markdown (math included) as sanitised inline HTML, for objectives and quiz text."""
    html = render_markdown(str(text)).html.strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return mark_safe(html)  # noqa: S308 - render_markdown sanitises (nh3 allow-list)
