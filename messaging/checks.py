"""System checks for the messaging app's settings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from .app_settings import app_settings


@register()
def check_messaging_settings(app_configs: Iterable[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    if app_settings.RATE_LIMIT_PER_MINUTE < 1:
        problems.append(Error("MESSAGING_RATE_LIMIT_PER_MINUTE must be at least 1.", id="messaging.E001"))
    if not 1 <= app_settings.BODY_MAX_LENGTH <= 5000:
        problems.append(
            Error("MESSAGING_BODY_MAX_LENGTH must be between 1 and 5000 (the column's size).", id="messaging.E002")
        )
    if app_settings.EDIT_WINDOW_SECONDS < 0 or app_settings.UNREAD_EMAIL_DELAY_SECONDS < 0:
        problems.append(
            Error(
                "MESSAGING_EDIT_WINDOW_SECONDS and MESSAGING_UNREAD_EMAIL_DELAY_SECONDS cannot be negative.",
                id="messaging.E003",
            )
        )
    if app_settings.UNREAD_EMAIL_SWEEP_SECONDS <= 0:
        problems.append(Error("MESSAGING_UNREAD_EMAIL_SWEEP_SECONDS must be positive.", id="messaging.E004"))
    if not app_settings.SITE_URL.startswith(("http://", "https://")):
        problems.append(
            Error(
                "MESSAGING_SITE_URL (CLUBROOM_SITE_URL) must be an absolute http(s) address.",
                hint="Links in unread-message emails are built from it, e.g. https://club.example.com.",
                id="messaging.E005",
            )
        )
    layer = settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", "")
    cache_backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if "Redis" in layer and "LocMem" in cache_backend:
        problems.append(
            Warning(
                "Several processes share a Redis channel layer but the cache is per process.",
                hint="The 30-messages-a-minute limit lives in the cache: point CACHES at Redis too.",
                id="messaging.W001",
            )
        )
    return problems
