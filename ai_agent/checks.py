"""System checks: the backend setting must name something that can run."""

from __future__ import annotations

from typing import Any

from django.core import checks

from . import app_settings


@checks.register()
def check_backend(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    choice = app_settings.backend()
    if choice == "openai" and not app_settings.openai_api_key():
        return [
            checks.Error(
                "AI_AGENT_BACKEND is 'openai' but OPENAI_API_KEY is empty.",
                hint="Set OPENAI_API_KEY, or use AI_AGENT_BACKEND=auto to fall back to the embedded classifier.",
                id="ai_agent.E001",
            )
        ]
    if choice not in ("auto", "openai", "embedded") and "." not in choice:
        return [
            checks.Error(
                f"AI_AGENT_BACKEND={choice!r} is not auto, openai, embedded or a dotted path.", id="ai_agent.E002"
            )
        ]
    return []
