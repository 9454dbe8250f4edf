"""The ai_agent app's settings, read lazily from django.conf.settings (never at import time).

Environment variables are read only in config/settings.py. What staff tune at run time (mode,
threshold, caps, club facts, quiet hours) lives in the AgentSettings singleton in admin instead.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


def _get(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def openai_api_key() -> str:
    """OPENAI_API_KEY: empty means the embedded backend is used."""
    return str(_get("OPENAI_API_KEY", "") or "")


def openai_base_url() -> str:
    """OPENAI_BASE_URL: any OpenAI-compatible endpoint; empty means OpenAI's own."""
    return str(_get("OPENAI_BASE_URL", "") or "")


def openai_model() -> str:
    """OPENAI_MODEL: the model to classify and draft replies with (default gpt-4o-mini)."""
    return str(_get("OPENAI_MODEL", "gpt-4o-mini") or "gpt-4o-mini")


def openai_timeout() -> float:
    """AI_AGENT_OPENAI_TIMEOUT: seconds per request (default 30)."""
    return float(_get("AI_AGENT_OPENAI_TIMEOUT", 30.0))


def openai_max_retries() -> int:
    """AI_AGENT_OPENAI_MAX_RETRIES: retries of one classification on timeouts, 429 and 5xx (default 2).

    The only retry loop: the openai client's own retries are turned off and the task never retries.
    """
    return max(0, int(_get("AI_AGENT_OPENAI_MAX_RETRIES", 2)))


def openai_retry_backoff() -> float:
    """AI_AGENT_OPENAI_RETRY_BACKOFF: seconds before the first retry, doubled each time (default 1)."""
    return float(_get("AI_AGENT_OPENAI_RETRY_BACKOFF", 1.0))


def backend() -> str:
    """AI_AGENT_BACKEND: "auto" (OpenAI when OPENAI_API_KEY is set, else embedded), "openai", "embedded",
    or a dotted path to a class with the same interface (default "auto")."""
    return str(_get("AI_AGENT_BACKEND", "auto") or "auto")


def insight_debounce_seconds() -> float:
    """AI_AGENT_INSIGHT_DEBOUNCE_SECONDS: wait this long after a new message before refreshing a
    conversation's insight, so a burst refreshes it once (default 30)."""
    return float(_get("AI_AGENT_INSIGHT_DEBOUNCE_SECONDS", 30.0))


def human_active_hours() -> float:
    """AI_AGENT_HUMAN_ACTIVE_HOURS: a staff reply this recent means a human is handling the conversation,
    unless it was resolved after that reply (default 24)."""
    return float(_get("AI_AGENT_HUMAN_ACTIVE_HOURS", 24.0))


def max_reply_length() -> int:
    """AI_AGENT_MAX_REPLY_LENGTH: the longest reply the agent may send, in characters (default 480: three texts)."""
    return int(_get("AI_AGENT_MAX_REPLY_LENGTH", 480))


def max_message_age_minutes() -> float:
    """AI_AGENT_MAX_MESSAGE_AGE_MINUTES: never auto-answer a message older than this (default 60), e.g. the
    history a first sync imports or a backlog after an outage; staff get a suggestion instead."""
    return float(_get("AI_AGENT_MAX_MESSAGE_AGE_MINUTES", 60.0))
