from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Direct messages"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the app's system checks)
