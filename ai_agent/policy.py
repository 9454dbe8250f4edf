"""The guardrails, as pure functions: what to do with a classification, and whether a reply is safe to send.

`decide` is called twice for an auto-reply: when the classification comes back and again at send
time under the settings row lock, with fresh counts, so nothing that changed meanwhile slips through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from django.utils import timezone

from .backends.base import Classification
from .intents import HUMAN_ONLY_INTENTS
from .models import DecisionKind, Mode, Reason


@dataclass(frozen=True)
class PolicyState:
    """What the policy needs to know about the club and the conversation right now."""

    mode: str
    threshold: float
    hourly_cap: int
    member_daily_cap: int
    auto_replies_last_hour: int
    member_auto_replies_last_day: int
    in_quiet_hours: bool
    human_active: bool
    assigned: bool
    replyable: bool
    club_facts: str
    max_reply_length: int
    message_age_minutes: float = 0.0
    max_message_age_minutes: float = 60.0


@dataclass(frozen=True)
class Verdict:
    decision: str
    reason: str
    detail: str = ""


def in_quiet_hours(*, now_local: time, start: time | None, end: time | None) -> bool:
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= now_local < end
    return now_local >= start or now_local < end  # wraps past midnight


def decide(classification: Classification, state: PolicyState) -> Verdict:
    if state.mode == Mode.OFF:
        return Verdict(DecisionKind.SKIPPED, Reason.DISABLED)
    if classification.intent in HUMAN_ONLY_INTENTS:
        return Verdict(DecisionKind.SKIPPED, Reason.HUMAN_ONLY_INTENT, classification.intent)
    if not classification.reply.strip():
        return Verdict(DecisionKind.SKIPPED, Reason.NO_REPLY)
    problems = reply_problems(classification.reply, club_facts=state.club_facts, max_length=state.max_reply_length)
    if problems:
        return Verdict(DecisionKind.SKIPPED, Reason.UNSAFE_REPLY, "; ".join(problems)[:300])
    # From here on a safe draft exists: when auto-replying is not allowed, staff get it as a suggestion.
    if state.mode == Mode.SUGGEST:
        return Verdict(DecisionKind.SUGGESTED, Reason.SUGGEST_MODE)
    if classification.confidence < state.threshold:
        return Verdict(
            DecisionKind.SUGGESTED, Reason.BELOW_THRESHOLD, f"{classification.confidence:.2f} < {state.threshold:.2f}"
        )
    if state.assigned:
        return Verdict(DecisionKind.SUGGESTED, Reason.ASSIGNED)
    if state.human_active:
        return Verdict(DecisionKind.SUGGESTED, Reason.HUMAN_ACTIVE)
    if not state.replyable:
        return Verdict(DecisionKind.SUGGESTED, Reason.NOT_REPLYABLE)
    if state.message_age_minutes > state.max_message_age_minutes:
        return Verdict(DecisionKind.SUGGESTED, Reason.STALE, f"{state.message_age_minutes:.0f} minutes old")
    if state.in_quiet_hours:
        return Verdict(DecisionKind.SUGGESTED, Reason.QUIET_HOURS)
    if state.member_auto_replies_last_day >= state.member_daily_cap:
        return Verdict(
            DecisionKind.SUGGESTED, Reason.MEMBER_RATE_LIMITED, f"{state.member_daily_cap} auto-replies in 24 hours"
        )
    if state.auto_replies_last_hour >= state.hourly_cap:
        return Verdict(DecisionKind.SUGGESTED, Reason.RATE_LIMITED, f"{state.hourly_cap} auto-replies this hour")
    return Verdict(DecisionKind.AUTO_REPLIED, Reason.AUTO)


# --- Reply safety -----------------------------------------------------------------------------------------

_LINK = re.compile(r"(https?://|www\.|\b[\w-]+\.(com|net|org|biz|shop|co|io|ly|info|xyz|gov|us|uk|me|app)\b)", re.I)
_PHONE = re.compile(r"\+?\d[\d\s().-]{5,}\d")
_PRICE = re.compile(r"([$€£]\s?\d[\d,.]*|\b\d[\d,.]*\s?(€|eur|euros?|usd|dollars?|bucks|pounds?)\b|\b\d+\s?%)", re.I)
_PROMISES = re.compile(
    r"\b(refund(ed|s)?|reimburse\w*|money back|discount(ed|s)?|free (session|class|month|week|day|time|pt|"
    r"training|membership|pass|trial)s?|for free|on the house|on us|waive[ds]?|credit (your|the) account|"
    r"\d+ (free|gratis)|(months?|weeks?|days?|sessions?|classes?|pt) (for )?free|free of charge|complimentary|"
    r"reembols\w*|devoluci[oó]n|devol[vu]\w*|descuento\w*|gratis|sin coste)\b",
    re.I,
)
_POSES_AS_PERSON = re.compile(
    r"\b(i am|i'm|im) (a )?(real |human|person|not (a |an )?(bot|ai|robot))|\bsoy (una persona|humano|humana)\b", re.I
)
_SECRETS = re.compile(r"\b(password|passcode|door code|alarm code|api key|contraseña)\b", re.I)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def reply_problems(reply: str, *, club_facts: str, max_length: int) -> list[str]:
    """Why `reply` must not go out unreviewed; empty when it is safe. Facts are the only allowed source
    of links, phone numbers and prices."""
    problems: list[str] = []
    text = reply.strip()
    if len(text) > max_length:
        problems.append(f"longer than {max_length} characters")
    facts_lower = club_facts.lower()
    fact_digits = {_digits(m.group(0)) for m in _PHONE.finditer(club_facts)}
    for match in _LINK.finditer(text):
        start = match.start()
        token = text[start:].split()[0].rstrip(".,;:!?)").lower()
        if token not in facts_lower:
            problems.append(f"link not in the club facts: {token}")
    for match in _PHONE.finditer(text):
        if _digits(match.group(0)) not in fact_digits:
            problems.append(f"phone number not in the club facts: {match.group(0).strip()}")
    for match in _PRICE.finditer(text):
        price = match.group(0).strip().rstrip(".,").lower()
        if price not in facts_lower:
            problems.append(f"price not in the club facts: {price}")
    if _PROMISES.search(text):
        problems.append("promises a refund, discount or something for free")
    if _POSES_AS_PERSON.search(text):
        problems.append("pretends to be a person")
    if _SECRETS.search(text):
        problems.append("mentions a password or code")
    return problems


def quiet_now(*, now: datetime, start: time | None, end: time | None) -> bool:
    return in_quiet_hours(now_local=timezone.localtime(now).time(), start=start, end=end)
