"""System checks of the clubos app's settings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.utils.module_loading import import_string

from .app_settings import app_settings
from .services import delivery


@register()
def check_clubos_message_sink(app_configs: Iterable[Any] | None, **kwargs: Any) -> list[Error]:
    """The ClubOS sync hands its messages to CLUBOS_MESSAGE_SINK: it must import and be a sink."""
    path = app_settings.MESSAGE_SINK
    try:
        sink = import_string(path)
    except ImportError as exc:
        return [
            Error(
                f"CLUBOS_MESSAGE_SINK {path!r} cannot be imported ({exc}).",
                hint="Leave it unset to use inbox.services.ingest.clubos_message_sink.",
                id="clubos.E001",
            )
        ]
    missing = [name for name in ("known_message_ids", "ingest") if not callable(getattr(sink, name, None))]
    if missing:
        return [
            Error(
                f"CLUBOS_MESSAGE_SINK {path!r} has no {' or '.join(missing)}().",
                hint="A sink provides known_message_ids(*, ids) and ingest(*, messages): see services/sink.py.",
                id="clubos.E002",
            )
        ]
    return []


@register()
def check_broker_visibility_timeout(app_configs: Iterable[Any] | None, **kwargs: Any) -> list[Warning]:
    """Redis redelivers an unacked task after its visibility timeout: shorter than a send's lease (or the
    wait after an uncertain send) and a slow attempt's task runs twice at once, or a retry's countdown
    comes back early."""
    if not getattr(settings, "REDIS_URL", ""):
        return []
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
    visibility = float(options.get("visibility_timeout", 3600))
    needed = max(delivery.send_attempt_lease_seconds(), delivery.send_uncertain_wait_seconds())
    if visibility <= needed:
        return [
            Warning(
                f"Celery's broker visibility_timeout ({visibility:g} s) is not above the send lease / uncertain-send"
                f" wait ({needed:g} s).",
                hint="Raise CELERY_VISIBILITY_TIMEOUT (default 300) or lower CLUBOS_SEND_LEASE_SECONDS.",
                id="clubos.W001",
            )
        ]
    return []
