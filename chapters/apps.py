from django.apps import AppConfig


class ChaptersConfig(AppConfig):
    name = "chapters"
    default_auto_field = "django.db.models.BigAutoField"
