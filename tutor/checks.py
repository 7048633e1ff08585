"""System checks of the tutor's settings: the test-only stand-in generator must never answer students."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

from tutor.standin import REFUSED, parse_spec


@register(Tags.compatibility)
def check_standin_generator(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """GENERATOR_STANDIN with DEBUG off and no ALLOW_STANDIN_GENERATOR: workers would refuse every answer."""
    if not settings.GENERATOR_STANDIN:
        return []
    errors = []
    try:
        parse_spec(settings.GENERATOR_STANDIN)
    except ValueError as exc:
        errors.append(Error(f"GENERATOR_STANDIN={settings.GENERATOR_STANDIN!r}: {exc}", id="tutor.E002"))
    if not (settings.DEBUG or settings.ALLOW_STANDIN_GENERATOR):
        errors.append(Error(REFUSED, hint="Unset GENERATOR_STANDIN.", id="tutor.E001"))
    return errors


@register(Tags.security, deploy=True)
def check_standin_generator_deployed(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """`check --deploy`: a deployment never runs the stand-in, allowed or not."""
    if not settings.GENERATOR_STANDIN:
        return []
    return [
        Error(
            "GENERATOR_STANDIN is set: the tutor would answer students with canned text from the test stand-in.",
            hint="Unset GENERATOR_STANDIN (and ALLOW_STANDIN_GENERATOR) in production.",
            id="tutor.E003",
        )
    ]
