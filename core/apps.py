from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The bottom layer: domain errors and API conventions every app shares. Imports no other app."""

    name = "core"
    verbose_name = "Core"
