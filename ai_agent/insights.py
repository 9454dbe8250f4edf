"""A conversation at a glance, computed from its messages and the agent's decisions (any backend).

Deterministic and cheap: a summary of who wrote what about which topics, a label (the most pressing
intent among the member's recent messages), the next step for staff and a suggested follow-up date.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from inbox.models import AuthorKind, Conversation, Direction, InboxMessage

from .intents import Intent
from .models import Decision

RECENT = 10
# The most pressing intent labels the conversation.
_PRIORITY = [
    Intent.REQUIRES_HUMAN_RESPONSE,
    Intent.COMPLAINT,
    Intent.APPOINTMENT_CANCELLATION,
    Intent.APPOINTMENT_REQUEST,
    Intent.QUESTION_ABOUT_BILLING,
    Intent.QUESTION_ABOUT_MEMBERSHIP,
    Intent.QUESTION_ABOUT_SCHEDULE,
    Intent.QUESTION_ABOUT_TRAINING,
    Intent.GENERAL_INQUIRY,
    Intent.PRAISE,
    Intent.SPAM,
]
_NEXT_STEP: dict[str, tuple[str, int | None]] = {
    Intent.REQUIRES_HUMAN_RESPONSE: ("A manager should reply personally; do not leave it to the agent.", 0),
    Intent.COMPLAINT: ("Apologise, look into the issue and tell the member what will change.", 1),
    Intent.APPOINTMENT_CANCELLATION: ("Cancel or move the booking in the booking system and confirm it.", 0),
    Intent.APPOINTMENT_REQUEST: ("Book the session and confirm the time with the member.", 1),
    Intent.QUESTION_ABOUT_BILLING: ("Check the member's account and answer the billing question.", 1),
    Intent.QUESTION_ABOUT_MEMBERSHIP: ("Answer the membership question; offer a plan review if useful.", 2),
    Intent.QUESTION_ABOUT_SCHEDULE: ("Make sure the times were answered.", 2),
    Intent.QUESTION_ABOUT_TRAINING: ("Have a coach follow up on the training question.", 3),
    Intent.GENERAL_INQUIRY: ("Answer the question.", 2),
    Intent.PRAISE: ("Thank the member and pass the praise on to the team.", 7),
    Intent.SPAM: ("No reply needed.", None),
}


@dataclass(frozen=True)
class InsightData:
    summary: str
    label: str
    next_step: str
    follow_up_on: date | None
    messages_seen: int
    last_message_id: int | None


def _excerpt(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def insight_compute(*, conversation: Conversation, today: date) -> InsightData:
    messages = list(InboxMessage.objects.filter(conversation=conversation).order_by("-sent_at", "-pk")[:RECENT])
    total = InboxMessage.objects.filter(conversation=conversation).count()
    if not messages:
        return InsightData("No messages yet.", "", "", None, 0, None)
    intents = list(
        Decision.objects.filter(conversation=conversation)
        .exclude(intent="")
        .order_by("-created_at", "-pk")
        .values_list("intent", flat=True)[:RECENT]
    )
    label = next((i for i in _PRIORITY if i in intents[:3]), intents[0] if intents else "")
    name = conversation.contact.display_name
    inbound = [m for m in messages if m.direction == Direction.INBOUND]
    latest = messages[0]
    topics = ", ".join(Intent(i).label.lower() for i, _ in Counter(intents).most_common(3))
    parts = [f"{total} message{'s' if total != 1 else ''} with {name}."]
    if inbound:
        parts.append(f"Latest from the member: “{_excerpt(inbound[0].body)}”")
    if topics:
        parts.append(f"Topics: {topics}.")
    answered = latest.direction == Direction.OUTBOUND
    if answered:
        who = "the AI agent" if latest.author_kind == AuthorKind.AI else "staff"
        parts.append(f"Last reply by {who}.")
    summary = " ".join(parts)[:500]

    step, days = _NEXT_STEP.get(label, ("Read the conversation and reply.", 1)) if label else ("Read and reply.", 1)
    if answered and label not in (Intent.REQUIRES_HUMAN_RESPONSE, Intent.COMPLAINT):
        step = "Answered; wait for the member unless they write again."
        days = 3 if label != Intent.PRAISE else None
    follow_up = today + timedelta(days=days) if days is not None else None
    return InsightData(summary, label, step, follow_up, total, latest.pk)
