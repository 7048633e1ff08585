from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.1234 → "12.3%"; None → "—"."""
    return "—" if value is None else f"{100 * value:.1f}%"


@register.filter
def share(overview: object, decision: str) -> str:
    """The share of an overview's questions with that decision, as a percentage."""
    value = overview.share(decision)  # type: ignore[attr-defined]
    return percent(value)
