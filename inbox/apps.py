from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = "Staff inbox"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
