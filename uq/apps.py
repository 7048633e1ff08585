from django.apps import AppConfig


class UqConfig(AppConfig):
    name = "uq"
    verbose_name = "Confidence"
    default_auto_field = "django.db.models.BigAutoField"
