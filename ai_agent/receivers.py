"""Receivers of other apps' public signals (connected in AiAgentConfig.ready)."""

from __future__ import annotations

from typing import Any

from . import selectors, services


def on_inbound_messages_received(sender: Any, message_ids: list[int], **kwargs: Any) -> None:
    services.inbound_messages_accept(message_ids=message_ids)


def on_demo_club_seeded(sender: Any, **kwargs: Any) -> None:
    """The demo club answers within the guardrails: auto mode and facts to draw on (only when unset)."""
    config = selectors.agent_settings_get()
    if not config.club_facts:
        config.mode = "auto"
        config.club_name = "Clubroom Fitness"
        config.club_facts = selectors.DEMO_FACTS
        config.burst_wait_seconds = 3
        config.save()
