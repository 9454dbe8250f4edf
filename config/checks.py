"""Project-wide system checks."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register, run_checks
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security, deploy=False)
def check_production_secret_key(app_configs: Iterable[Any] | None, **kwargs: Any) -> list[Error]:
    """Refuse to run with DEBUG off on the development secret key."""
    from config.settings import DEV_SECRET_KEY

    if not settings.DEBUG and settings.SECRET_KEY == DEV_SECRET_KEY:
        return [
            Error(
                "DJANGO_DEBUG is off but DJANGO_SECRET_KEY is the development key.",
                hint="Set DJANGO_SECRET_KEY to a long random value in production.",
                id="clubroom.E001",
            )
        ]
    return []


def raise_on_startup_errors() -> None:
    errors = [e for e in run_checks(tags=[Tags.security]) if e.is_serious()]
    if errors:
        raise ImproperlyConfigured("; ".join(str(e) for e in errors))
