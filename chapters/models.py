from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.urls import reverse

User = settings.AUTH_USER_MODEL


class Book(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="owned_books")
    editors = models.ManyToManyField(User, blank=True, related_name="edited_books")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped when a figure changes, so cached section HTML that points at figures re-renders.
    figures_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("chapters:book", args=[self.slug])

    def can_edit(self, user: AbstractBaseUser | AnonymousUser) -> bool:
        """Instructors edit the books they own or were added to; superusers edit any."""
        if not user.is_authenticated:
            return False
        if user.is_superuser:
            return True
        if not user.has_perm("accounts.author_books"):
            return False
        return self.owner_id == user.pk or self.editors.filter(pk=user.pk).exists()


class Chapter(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="chapters")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["book", "slug"], name="chapter_slug_unique_in_book")]

    def __str__(self) -> str:
        return self.title

    @property
    def number(self) -> int:
        return self.position + 1


class Section(models.Model):
    """A unit of reading. Its content lives in revisions; `published` is what students see."""

    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="sections")
    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=200)  # the current draft's title, for lists
    slug = models.SlugField(max_length=80)
    anchor = models.SlugField(max_length=120)  # unique in the book: citations point here
    position = models.PositiveIntegerField(default=0)
    published = models.ForeignKey("Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["chapter__position", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["chapter", "slug"], name="section_slug_unique_in_chapter"),
            models.UniqueConstraint(fields=["book", "anchor"], name="section_anchor_unique_in_book"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("chapters:section", args=[self.book.slug, self.chapter.slug, self.slug])

    @property
    def is_published(self) -> bool:
        return self.published_id is not None

    def latest_revision(self) -> Revision | None:
        return self.revisions.order_by("-number").first()


class Revision(models.Model):
    """One saved state of a section: every save makes one, none is ever changed."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    objectives = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["section", "number"], name="revision_number_unique")]

    def __str__(self) -> str:
        return f"{self.section} r{self.number}"

    def same_content(self, title: str, body: str, objectives: list[str]) -> bool:
        return (self.title, self.body, list(self.objectives)) == (title, body, list(objectives))


def figure_upload_to(figure: Figure, filename: str) -> str:
    return f"books/{figure.book.slug}/figures/{figure.name}"


class Figure(models.Model):
    """An image an author references from Markdown as `figures/<name>`."""

    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="figures")
    name = models.CharField(max_length=120)
    image = models.FileField(upload_to=figure_upload_to, max_length=300)
    content_type = models.CharField(max_length=40)
    uploaded_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["book", "name"], name="figure_name_unique_in_book")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("chapters:figure", args=[self.book.slug, self.name])

    @property
    def reference(self) -> str:
        return f"figures/{self.name}"


class SearchEntry(models.Model):
    """The published text of a section, as full-text search reads it (FTS5 or PostgreSQL)."""

    section = models.OneToOneField(Section, on_delete=models.CASCADE, related_name="search_entry")
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    text = models.TextField()

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """A question of the book's bank: a quiz item for students and a labelled probe for the tutor."""

    class Type(models.TextChoices):
        NUMERIC = "numeric", "Numeric"
        CHOICE = "choice", "Multiple choice"
        SHORT = "short", "Short answer"
        OUT_OF_SCOPE = "out_of_scope", "Out of scope"

    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=80)  # the `id` in the content files
    type = models.CharField(max_length=20, choices=Type.choices)
    text = models.TextField()
    sections = models.ManyToManyField(Section, blank=True, related_name="questions")
    difficulty = models.PositiveSmallIntegerField(default=1)
    answer = models.CharField(max_length=300, blank=True)
    unit = models.CharField(max_length=30, blank=True)
    tolerance = models.FloatField(default=0)
    formula = models.CharField(max_length=300, blank=True)  # `check:` in the content files
    choices = models.JSONField(default=list, blank=True)
    accepted = models.JSONField(default=list, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    explanation = models.TextField(blank=True)
    category = models.CharField(max_length=30, blank=True)
    position = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["book", "key"], name="question_key_unique_in_book")]

    def __str__(self) -> str:
        return self.key

    @property
    def out_of_scope(self) -> bool:
        return self.type == self.Type.OUT_OF_SCOPE

    @property
    def right_choice(self) -> str:
        return self.choices[int(self.answer)] if self.type == self.Type.CHOICE else ""


class QuizAttempt(models.Model):
    """One answer a signed-in student gave in a section quiz (where students struggle)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="quiz_attempts")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="attempts")
    answer = models.CharField(max_length=500)
    correct = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} on {self.question}: {'right' if self.correct else 'wrong'}"
