from django.apps import AppConfig


class TutorConfig(AppConfig):
    name = "tutor"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chapters.signals import section_published
        from tutor import checks  # noqa: F401 - registers the system checks
        from tutor.actions import on_section_published

        section_published.connect(on_section_published, dispatch_uid="tutor-index-on-publish")
