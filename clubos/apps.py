from django.apps import AppConfig


class ClubosConfig(AppConfig):
    name = "clubos"
    verbose_name = "ClubOS"

    def ready(self) -> None:
        from core.health import readiness_probe_register

        from . import checks  # noqa: F401  (registers the system checks)
        from .health import sync_age_probe

        # Not critical: a stale sync is shown on /readyz, but unrouting web processes would not fix it.
        readiness_probe_register(name="clubos_sync", check=sync_age_probe, critical=False)
