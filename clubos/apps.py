from django.apps import AppConfig


class ClubosConfig(AppConfig):
    name = "clubos"
    verbose_name = "ClubOS"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
