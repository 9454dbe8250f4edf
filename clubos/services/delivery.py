"""Outbound: one delivery attempt of one message, answered as sent / refused (with the reason) / uncertain.

Error classification and the history check before a repeat stay in here; callers (the inbox's
delivery state machine) own idempotency and the attempt count."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from ..app_settings import app_settings
from ..exceptions import (
    ClubOSError,
    ClubOSUnavailable,
)
from ..types import Channel, Direction, SendReceipt
from .matching import CONVERSATION_CHANNELS, normalize_text
from .retries import TRANSIENT_ERRORS, sync_error_message, with_retries
from .session import clubos_session


class SendStatus(enum.StrEnum):
    SENT = "sent"  # ClubOS took the message (or its history shows an earlier attempt did)
    REFUSED = "refused"  # ClubOS answered that it did not take it: it never went out
    UNCERTAIN = "uncertain"  # the request may have reached ClubOS; nobody can tell yet


@dataclass(frozen=True)
class SendOutcome:
    """What one delivery attempt came to, in terms a caller can act on without knowing ClubOS's errors.

    `retry_in` (seconds) is set when another attempt is worth making: the error was temporary and
    this was not the last attempt allowed (CLUBOS_SEND_MAX_ATTEMPTS). `reason` is one line fit to show staff.
    """

    status: SendStatus
    reason: str = ""
    retry_in: float | None = None


def clubos_message_deliver(
    *,
    member_id: int,
    channel: str,
    body: str,
    subject: str = "",
    attempt: int,
    uncertain_since: datetime | None = None,
    identical_sent_since: Callable[[datetime], int] | None = None,
) -> SendOutcome:
    """One delivery attempt of one outbound message (the caller owns idempotency and the attempt count).

    `uncertain_since`: when an earlier attempt whose outcome stayed unknown began. The member's
    history is then searched first, so a retry never texts twice; `identical_sent_since(floor)`
    says how many identical messages the caller already knows were sent since `floor` (only an
    entry beyond those can be the earlier attempt's). Errors other than ClubOS's propagate.
    """
    if channel not in CONVERSATION_CHANNELS:
        raise ValueError(f"ClubOS delivers a text or an email, not {channel!r}.")
    clubos_channel = Channel(channel)
    try:
        if uncertain_since is not None:
            floor = outbound_search_floor(uncertain_since)
            known = identical_sent_since(floor) if identical_sent_since is not None else 0
            if clubos_outbound_find(
                member_id=member_id, channel=clubos_channel, body=body, since=uncertain_since, already_known=known
            ):
                return SendOutcome(SendStatus.SENT)
        clubos_message_send(member_id=member_id, channel=clubos_channel, body=body, subject=subject)
    except TRANSIENT_ERRORS as exc:
        status = SendStatus.UNCERTAIN if send_outcome_unknown(exc) else SendStatus.REFUSED
        reason = f"Attempt {attempt} failed: {sync_error_message(exc)}"
        if attempt >= app_settings.SEND_MAX_ATTEMPTS:
            return SendOutcome(status, reason)
        return SendOutcome(status, reason, retry_in=app_settings.SEND_RETRY_BACKOFF * 2 ** (attempt - 1))
    except ClubOSError as exc:  # permanent: validation, no mobile, credentials…
        return SendOutcome(SendStatus.REFUSED, sync_error_message(exc))
    return SendOutcome(SendStatus.SENT)


def send_attempt_lease_seconds() -> float:
    """How long a delivery attempt may be in flight; one older than this was interrupted."""
    return app_settings.SEND_LEASE_SECONDS


def send_uncertain_wait_seconds() -> float:
    """After an attempt whose outcome is unknown ended, how long to wait before the next one.

    The request may still be running inside ClubOS (a 45 s save outlives a 30 s read timeout): the
    next attempt checks the member's history, and must not look before such a save could land.
    """
    return app_settings.READ_TIMEOUT + app_settings.SEND_UNCERTAIN_MARGIN


def send_max_attempts() -> int:
    """CLUBOS_SEND_MAX_ATTEMPTS: attempts per outbound message, counted on the caller's row."""
    return app_settings.SEND_MAX_ATTEMPTS


def clubos_message_send(*, member_id: int, channel: Channel, body: str, subject: str = "") -> SendReceipt:
    """Text or email a member through ClubOS (one attempt: the caller owns retries and idempotency)."""
    with clubos_session() as client:
        return client.send_message(member_id=member_id, channel=channel, body=body, subject=subject)


def outbound_search_floor(since: datetime) -> datetime:
    """History times are to the minute and may lag: how far back a send at `since` can show."""
    return since.replace(second=0, microsecond=0) - timedelta(seconds=app_settings.MATCH_TOLERANCE_SECONDS)


def clubos_outbound_find(
    *, member_id: int, channel: Channel, body: str, since: datetime, already_known: int = 0
) -> bool:
    """Whether the member's ClubOS history shows this message sent at or after `since`.

    Used before repeating a send whose earlier attempt may have reached ClubOS (timeout after
    the request left, process killed mid-call), so a retry never texts twice. `already_known`
    is how many identical sends in that window are accounted for by other stored replies: only
    an entry beyond those can be this attempt's.
    """
    with clubos_session() as client:
        history = with_retries(lambda: client.member_history(member_id=member_id))
    wanted = normalize_text(body)
    floor = outbound_search_floor(since)
    found = sum(
        1
        for entry in history.entries
        if entry.direction == Direction.OUTBOUND
        and entry.channel == channel
        and entry.occurred_at >= floor
        and normalize_text(entry.body) == wanted
    )
    return found > already_known


def send_outcome_unknown(exc: ClubOSError) -> bool:
    """Whether a failed send may still have reached ClubOS.

    A refused connection never left; an OOPS page, an expired session or a validation error is
    ClubOS answering that it did not take the message. A read timeout or a dropped connection
    after the request went out leaves it unknown.
    """
    if not isinstance(exc, ClubOSUnavailable):
        return False
    return not isinstance(exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout | httpx.InvalidURL)
