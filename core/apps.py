from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The bottom layer: domain errors, API conventions, URL converters, project checks, outage responses,
    health probes and log hygiene. Imports no other app."""

    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Registered before any URLconf loads (the <id:...> converter) and before checks run.
        from . import checks, converters  # noqa: F401
