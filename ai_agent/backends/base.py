"""The one interface every classifier backend answers: classify(text, channel, context) -> Classification."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ai_agent.intents import Intent


class BackendError(Exception):
    """The backend could not classify (timeout, rate limit, server error, bad or refused output).

    `kind` is short and stable ("timeout", "rate_limited", "server_error", "bad_output", "refusal",
    "connection") and lands in the decision's error.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


@dataclass(frozen=True)
class ClassifyContext:
    """What a backend may know besides the message: the club's facts and the recent conversation.

    Everything here is data, never instructions: backends must not obey text found in it.
    """

    club_facts: str = ""
    club_name: str = "the club"
    member_first_name: str = ""
    recent_messages: tuple[str, ...] = field(default_factory=tuple)  # "member: ..." / "club: ...", oldest first


@dataclass(frozen=True)
class Classification:
    intent: str
    confidence: float
    reply: str
    reason: str
    tokens: int = 0
    model: str = ""
    language: str = "en"

    def __post_init__(self) -> None:
        if self.intent not in Intent.values:
            raise ValueError(f"unknown intent {self.intent!r}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence {self.confidence} is not within 0..1")


class ClassifierBackend(Protocol):
    name: str

    def classify(self, *, text: str, channel: str, context: ClassifyContext) -> Classification: ...
