"""The Django side of the gap finder: which questions the book failed to answer, embedded and grouped.

Runs in a worker (it loads the embedder); ``analytics.gaps`` does the grouping."""

from __future__ import annotations

from typing import Any

from analytics import gaps
from chapters.grading import says_not_covered
from chapters.models import Book, Section
from tutor.models import Answer

MAX_QUESTIONS = 2000  # the most recent; enough to see what a term's students miss


def unanswered(book: Book) -> list[tuple[int, str]]:
    """(answer id, question text) of finished answers the tutor withheld or that say the book does not cover
    the question, newest first."""
    answers = (
        Answer.objects.filter(question__conversation__book=book, status=Answer.Status.DONE)
        .order_by("-created_at", "-pk")
        .values_list("pk", "question__text", "decision", "text")
    )
    found = []
    for pk, question, decision, text in answers.iterator():
        if decision == "abstain" or says_not_covered(text):
            found.append((pk, question))
            if len(found) >= MAX_QUESTIONS:
                break
    return found


def clusters_for(book: Book) -> tuple[int, list[dict[str, Any]]]:
    """(how many unanswered questions, the groups of similar ones as stored in ``GapReport.clusters``)."""
    from tutor import backends

    asked = unanswered(book)
    if len(asked) < 2:
        return len(asked), []
    vectors = backends.embedder().encode([question for _, question in asked])
    try:
        index = backends.indexes().get(book.slug)
        chunk_vectors, chunk_sections = index.vectors, [chunk.section_id for chunk in index.chunks]
    except FileNotFoundError:  # no index yet: groups without a nearest section
        chunk_vectors, chunk_sections = vectors[:0], []
    found = gaps.find_gaps(vectors, chunk_vectors, chunk_sections)
    sections = Section.objects.select_related("book", "chapter").in_bulk([c.section_id for c in found if c.section_id])
    clusters = []
    for cluster in found:
        section = sections.get(cluster.section_id) if cluster.section_id else None
        clusters.append(
            {
                "size": cluster.size,
                "cohesion": round(cluster.cohesion, 3),
                "similarity": round(cluster.similarity, 3),
                "covered": cluster.covered,
                "section_id": section.pk if section else None,
                "section_title": f"{section.chapter.title} › {section.title}" if section else "",
                "section_url": section.get_absolute_url() if section else "",
                "section_ref": f"{section.chapter.slug}/{section.slug}" if section else "",
                "questions": list(dict.fromkeys(asked[row][1] for row in cluster.members))[:8],  # distinct texts
                "answers": [asked[row][0] for row in cluster.members],
            }
        )
    return len(asked), clusters
