"""The hook the retrieval index listens to: sent once per published section, after commit."""

from __future__ import annotations

from django.dispatch import Signal

# sender=Section; kwargs: section (Section), revision (Revision)
section_published = Signal()
