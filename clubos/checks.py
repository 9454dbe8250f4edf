"""System checks of the clubos app's settings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.checks import Error, register
from django.utils.module_loading import import_string

from .app_settings import app_settings


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
