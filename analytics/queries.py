"""What the instructor's dashboard reads from the database: one function per table or chart, each returning plain
dataclasses (the views render them, the CSV export writes them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from analytics import summaries
from chapters.models import Book, QuizAttempt, Section
from tutor.models import Answer
from uq.models import ReviewItem

DECISIONS = ("answer", "flag", "abstain", "unscored")
DECISION_WORDS = {"answer": "shown", "flag": "flagged", "abstain": "withheld", "unscored": "unscored"}
BOOK_PAGE = "(asked from the book's page)"


def answers_of(book: Book) -> QuerySet[Answer]:
    """Finished answers to questions students asked about ``book``."""
    return Answer.objects.filter(question__conversation__book=book, status=Answer.Status.DONE)


@dataclass
class Overview:
    asked: int
    students: int
    last_week: int
    decisions: dict[str, int]
    reported: int
    reviewed: int
    waiting: int

    def share(self, decision: str) -> float | None:
        return self.decisions.get(decision, 0) / self.asked if self.asked else None


def overview(book: Book) -> Overview:
    answers = answers_of(book)
    counts = dict(answers.values_list("decision").annotate(n=Count("pk")).values_list("decision", "n"))
    items = ReviewItem.objects.filter(book=book)
    return Overview(
        asked=answers.count(),
        students=answers.values("question__conversation__user").distinct().count(),
        last_week=answers.filter(created_at__gte=timezone.now() - timedelta(days=7)).count(),
        decisions={d: int(counts.get(d, 0)) for d in DECISIONS},
        reported=items.filter(reported=True).count(),
        reviewed=items.filter(status=ReviewItem.Status.REVIEWED).count(),
        waiting=items.filter(status=ReviewItem.Status.OPEN).count(),
    )


@dataclass
class SectionStats:
    """Where students struggle, per section: what they asked, how the tutor fared, how they did in the quiz."""

    chapter: str
    title: str
    section_id: int | None
    url: str
    asked: int = 0
    flagged: int = 0
    withheld: int = 0
    reported: int = 0
    reviewed: int = 0
    reviewed_wrong: int = 0
    quiz_attempts: int = 0
    quiz_wrong: int = 0
    published: bool = True

    @property
    def unsure_rate(self) -> float | None:
        """Share of its questions the tutor flagged or withheld."""
        return (self.flagged + self.withheld) / self.asked if self.asked else None

    @property
    def quiz_error_rate(self) -> float | None:
        return self.quiz_wrong / self.quiz_attempts if self.quiz_attempts else None

    @property
    def active(self) -> bool:
        return bool(self.asked or self.quiz_attempts)


def section_stats(book: Book) -> list[SectionStats]:
    """One row per section in reading order (every section, so quiet ones show as quiet), then questions asked
    from the book's page."""
    rows: dict[int | None, SectionStats] = {}
    for section in Section.objects.filter(book=book).select_related("chapter", "book"):
        rows[section.pk] = SectionStats(
            section.chapter.title, section.title, section.pk, section.get_absolute_url(), published=section.is_published
        )
    rows[None] = SectionStats("", BOOK_PAGE, None, book.get_absolute_url())
    per_section = (
        answers_of(book)
        .values("question__section")
        .annotate(
            asked=Count("pk"),
            flagged=Count("pk", filter=Q(decision="flag")),
            withheld=Count("pk", filter=Q(decision="abstain")),
            reported=Count("pk", filter=Q(feedback__reported_at__isnull=False)),
            reviewed=Count("pk", filter=Q(review__status=ReviewItem.Status.REVIEWED)),
            reviewed_wrong=Count("pk", filter=Q(review__verdict=ReviewItem.Verdict.WRONG)),
        )
    )
    for values in per_section:
        row = rows.get(values.pop("question__section"))
        if row is not None:
            for name, value in values.items():
                setattr(row, name, value)
    quiz = (
        QuizAttempt.objects.filter(question__book=book)
        .values("question__sections")
        .annotate(n=Count("pk"), wrong=Count("pk", filter=Q(correct=False)))
    )
    for values in quiz:
        row = rows.get(values["question__sections"])
        if row is not None and row.section_id is not None:
            row.quiz_attempts, row.quiz_wrong = values["n"], values["wrong"]
    return list(rows.values())


@dataclass
class Activity:
    """Questions per section and decisions per period (days or ISO weeks), for the heatmap and the bars."""

    granularity: str  # "day" | "week"
    periods: list[date]
    rows: list[SectionStats]  # the sections with questions, in reading order
    counts: list[list[int]]  # [row][period]
    decisions: dict[str, list[int]]  # decision -> [period]

    @property
    def labels(self) -> list[str]:
        if self.granularity == "day":
            return [p.strftime("%d %b") for p in self.periods]
        return [f"wk {p.isocalendar().week}" for p in self.periods]


def activity(book: Book, sections: list[SectionStats], today: date | None = None) -> Activity:
    today = today or timezone.localdate()
    stamps = list(answers_of(book).values_list("question__section", "decision", "created_at"))
    first = min((timezone.localdate(created) for _, _, created in stamps), default=today)
    granularity, starts = summaries.periods(first, today)
    rows = [row for row in sections if row.asked]
    row_of = {row.section_id: i for i, row in enumerate(rows)}
    counts = [[0] * len(starts) for _ in rows]
    decisions = {d: [0] * len(starts) for d in DECISIONS}
    for section_id, decision, created in stamps:
        day = timezone.localdate(created)
        if day < starts[0]:
            continue
        column = (day - starts[0]).days // (1 if granularity == "day" else 7)
        if section_id in row_of:
            counts[row_of[section_id]][column] += 1
        if decision in decisions:
            decisions[decision][column] += 1
    return Activity(granularity, starts, rows, counts, decisions)


@dataclass
class Rate:
    """A wrong-answer rate among reviewed answers, with its exact 95% interval."""

    n: int
    wrong: int
    low: float = 0.0
    high: float = 1.0

    @property
    def rate(self) -> float | None:
        return self.wrong / self.n if self.n else None


def reviewed_accuracy(book: Book) -> dict[str, Rate]:
    """Wrong-answer rate among reviewed answers, by what the student was shown: plainly ("answer"), with the
    unsure notice ("flag")."""
    rates = {}
    reviewed = ReviewItem.objects.filter(book=book, status=ReviewItem.Status.REVIEWED)
    for decision in ("answer", "flag"):
        of = reviewed.filter(answer__decision=decision)
        n, wrong = of.count(), of.filter(verdict=ReviewItem.Verdict.WRONG).count()
        low, high = summaries.clopper_pearson(wrong, n)
        rates[decision] = Rate(n, wrong, low, high)
    return rates


@dataclass
class Calibration:
    """Reviewed, scored answers in the order their verdicts arrived: the confidence beside the verdict."""

    confidence: list[float] = field(default_factory=list)
    correct: list[bool] = field(default_factory=list)
    reviewed_at: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.confidence)


def calibration(book: Book) -> Calibration:
    data = Calibration()
    reviewed = (
        ReviewItem.objects.filter(book=book, status=ReviewItem.Status.REVIEWED, answer__confidence__isnull=False)
        .order_by("reviewed_at", "pk")
        .values_list("answer__confidence", "verdict", "reviewed_at")
    )
    for confidence, verdict, reviewed_at in reviewed:
        data.confidence.append(float(confidence))
        data.correct.append(verdict == ReviewItem.Verdict.CORRECT)
        data.reviewed_at.append(reviewed_at.isoformat())
    return data
