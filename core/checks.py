"""Project-wide system checks (registered by CoreConfig.ready)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

# Django's own marker for keys made for development (startproject's, and Clubroom's dev key).
DEVELOPMENT_KEY_PREFIX = "django-insecure-"


@register(Tags.security, deploy=False)
def check_production_secret_key(app_configs: Iterable[Any] | None, **kwargs: Any) -> list[Error]:
    """Refuse to run with DEBUG off on a development secret key."""
    if not settings.DEBUG and str(settings.SECRET_KEY).startswith(DEVELOPMENT_KEY_PREFIX):
        return [
            Error(
                "DJANGO_DEBUG is off but DJANGO_SECRET_KEY is the development key.",
                hint="Set DJANGO_SECRET_KEY to a long random value in production.",
                id="clubroom.E001",
            )
        ]
    return []
