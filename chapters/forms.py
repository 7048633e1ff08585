from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from chapters.bank import QuestionData
from chapters.models import Question


class BookForm(forms.Form):
    title = forms.CharField(max_length=200)
    slug = forms.SlugField(max_length=80, required=False, help_text="The book's address; made from the title if empty.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class BookSettingsForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class TitleForm(forms.Form):
    title = forms.CharField(max_length=200)


class EditorForm(forms.Form):
    username = forms.CharField(max_length=150, label="Add an author by username")


class SectionForm(forms.Form):
    title = forms.CharField(max_length=200)
    objectives = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One learning objective per line.",
    )
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true", "class": "markdown-input"}),
        required=False,
        help_text="Markdown with $…$ and $$…$$ math, tables, footnotes, !!! admonitions and ```demo blocks.",
    )
    message = forms.CharField(max_length=200, required=False, label="What changed (optional)")

    def objective_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["objectives"].splitlines() if line.strip()]


class FigureForm(forms.Form):
    image = forms.FileField(help_text="PNG, JPEG, GIF or WebP.")
    name = forms.CharField(max_length=100, required=False, help_text="Defaults to the file name.")


class ImportForm(forms.Form):
    archive = forms.FileField(
        label="Zip of a course folder", help_text="MkDocs, Jupyter Book, or plain Markdown files."
    )
    publish = forms.BooleanField(required=False, label="Publish every imported section")

    def clean_archive(self) -> object:
        archive = self.cleaned_data["archive"]
        if archive.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(f"The zip is larger than {settings.IMPORT_MAX_BYTES // (1024 * 1024)} MB.")
        return archive


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class QuestionForm(forms.Form):
    key = forms.SlugField(max_length=80, label="Id", help_text="Unique in the book, e.g. ch03-alias-7k.")
    type = forms.ChoiceField(
        choices=[
            ("numeric", "Numeric"),
            ("choice", "Multiple choice"),
            ("short", "Short answer"),
            ("out_of_scope", "Out of scope"),
        ]
    )
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    sections = forms.MultipleChoiceField(
        required=False, help_text="The section(s) whose text answers it (one chapter)."
    )
    difficulty = forms.TypedChoiceField(choices=[(1, "1 easy"), (2, "2 medium"), (3, "3 hard")], coerce=int, initial=1)
    answer = forms.CharField(
        required=False,
        help_text=(
            "Numeric: the value in the unit. Choice: the number of the right option, from 0. "
            "Short: the reference answer."
        ),
    )
    unit = forms.CharField(required=False, max_length=30)
    tolerance = forms.FloatField(required=False, min_value=0, help_text="Numeric: absolute, in the unit.")
    check = forms.CharField(
        required=False, max_length=300, help_text="Numeric, optional: a formula (math, np) that recomputes the answer."
    )
    choices = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}), help_text="Choice: one option per line."
    )
    accepted = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Short: other phrases that count as right, one per line.",
    )
    keywords = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Short, optional: one group per line, alternatives separated by |; every group must appear.",
    )
    explanation = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    category = forms.CharField(
        required=False,
        max_length=30,
        help_text="Out of scope: other-field, trivia, future, personal, current-events or advice.",
    )

    def __init__(self, *args: Any, section_choices: list[tuple[str, list[tuple[str, str]]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sections"].choices = section_choices  # type: ignore[attr-defined]

    @classmethod
    def initial_from_query(cls, query: Any) -> dict[str, Any]:
        """Initial values for a new question from a query string: text, type, key and sections."""
        initial: dict[str, Any] = {name: query[name] for name in ("text", "type", "key") if query.get(name)}
        if query.getlist("sections"):
            initial["sections"] = query.getlist("sections")
        return initial

    def question_data(self) -> QuestionData:
        data = self.cleaned_data
        picked = data["sections"]  # "chapter/section" values
        chapters = {value.split("/", 1)[0] for value in picked}
        return QuestionData(
            id=data["key"],
            type=data["type"],
            text=data["text"].strip(),
            chapter=chapters.pop() if len(chapters) == 1 else ("" if not chapters else "several"),
            sections=[value.split("/", 1)[1] for value in picked],
            difficulty=data["difficulty"],
            answer=data["answer"].strip(),
            unit=data["unit"].strip(),
            tolerance=data["tolerance"] or 0.0,
            check=data["check"].strip(),
            choices=_lines(data["choices"]),
            accepted=_lines(data["accepted"]),
            keywords=[[w.strip() for w in line.split("|") if w.strip()] for line in _lines(data["keywords"])],
            explanation=data["explanation"].strip(),
            category=data["category"].strip(),
        )

    @staticmethod
    def initial_from(q: Question) -> dict[str, object]:
        plain = ("key", "type", "text", "difficulty", "answer", "unit", "tolerance", "explanation", "category")
        return {
            **{name: getattr(q, name) for name in plain},
            "check": q.formula,
            "sections": [f"{s.chapter.slug}/{s.slug}" for s in q.sections.select_related("chapter")],
            "choices": "\n".join(q.choices),
            "accepted": "\n".join(q.accepted),
            "keywords": "\n".join(" | ".join(group) for group in q.keywords),
        }
