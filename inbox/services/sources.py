"""Integration sources: systems besides ClubOS that feed the inbox and take its replies (docs/integrations.md).

Both directions are signed the same way: `X-Clubroom-Timestamp: <unix seconds>` and
`X-Clubroom-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`.

`source_request_verify` checks a request's signature and clock; `source_message_ingest` stores one
inbound message (idempotent by the source's message id) through the same conversation bookkeeping
and announcements as the ClubOS sink; `source_message_deliver` is one delivery attempt of a reply,
called by the outbound state machine (`outbound_message_deliver`) for a source's conversation.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import datetime

import httpx
from django.db import IntegrityError, transaction
from django.utils import timezone

from clubos.services.delivery import SendOutcome, SendStatus, send_max_attempts
from core import exceptions as core
from core.validators import CONTROL_CHARACTERS_MESSAGE, has_control_characters

from .. import app_settings
from ..models import (
    LOCAL_HOSTS,
    AuthorKind,
    Channel,
    Contact,
    Conversation,
    DeliveryStatus,
    Direction,
    InboxMessage,
    IntegrationSource,
    integration_secret_generate,
)
from .ingest import conversations_touch, inbound_announce

TIMESTAMP_HEADER = "X-Clubroom-Timestamp"
SIGNATURE_HEADER = "X-Clubroom-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SOURCE_HEADER = "X-Clubroom-Source"
SIGNATURE_PREFIX = "sha256="
EXTERNAL_ID_MAX_LENGTH = 200  # their ids; ours are "<slug>:<their id>" in 250 characters


class SourceNotFound(core.NotFound):
    default_message = "No such integration source."


class SignatureInvalid(core.DomainError):
    """The request is not signed by the source's secret, or not recently (the API answers 401)."""

    default_message = "The request signature is not valid."


def source_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Clubroom-Signature` value for `body` sent at `timestamp` (unix seconds, as text)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def source_headers(*, secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The two signing headers for a body sent now."""
    timestamp = str(int(time.time() if now is None else now))
    return {
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: source_signature(secret=secret, timestamp=timestamp, body=body),
    }


def source_secret_rotate(*, source: IntegrationSource) -> str:
    """A new signing secret, in force at once both ways (the old one stops verifying): returns it."""
    source.secret = integration_secret_generate()
    source.save(update_fields=["secret"])
    return source.secret


def source_get_active(*, slug: str) -> IntegrationSource:
    source = IntegrationSource.objects.active().filter(slug=slug).first()
    if source is None:
        raise SourceNotFound()
    return source


def source_request_verify(
    *, source: IntegrationSource, timestamp: str | None, signature: str | None, body: bytes
) -> None:
    """Raise SignatureInvalid (saying why) unless the body is signed with the source's secret within the tolerance."""
    if not timestamp or not signature:
        raise SignatureInvalid(f"Both {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers are required.")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureInvalid(f"{TIMESTAMP_HEADER} must be the time in unix seconds.")
    tolerance = app_settings.source_timestamp_tolerance()
    skew = time.time() - int(timestamp)
    if abs(skew) > tolerance:
        direction = "old" if skew > 0 else "far in the future"
        raise SignatureInvalid(
            f"{TIMESTAMP_HEADER} is too {direction}: it must be within {int(tolerance)} seconds of the server's "
            f"clock (it is {int(abs(skew))} seconds off). Check the sender's clock, and sign each request anew."
        )
    expected = source_signature(secret=source.secret, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace")):
        raise SignatureInvalid(
            f"{SIGNATURE_HEADER} does not match: expected sha256=<hex HMAC-SHA256 of "
            f'"<timestamp>.<raw body>" with the source\'s secret>.'
        )


# --- Inbound ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceContact:
    id: str
    name: str
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class IngestOutcome:
    message: InboxMessage
    created: bool  # False: the source sent this message id before; `message` is the stored one


def _contact_checked(contact: SourceContact) -> None:
    if not contact.id.strip() or len(contact.id) > EXTERNAL_ID_MAX_LENGTH:
        raise core.InvalidInput(f"contact.id: 1 to {EXTERNAL_ID_MAX_LENGTH} characters are required.")
    if not contact.name.strip():
        raise core.InvalidInput("contact.name: a name is required.")
    if any(has_control_characters(value) for value in (contact.id, contact.name, contact.email, contact.phone)):
        raise core.InvalidInput(CONTROL_CHARACTERS_MESSAGE)


def _contact_upsert(*, source: IntegrationSource, contact: SourceContact) -> Contact:
    _contact_checked(contact)
    external_id = f"{source.slug}:{contact.id}"
    values = {"name": contact.name[:200], "email": contact.email, "phone": contact.phone[:32]}
    row, created = Contact.objects.get_or_create(external_id=external_id, defaults=values)
    if not created:
        changed = {field: value for field, value in values.items() if value and getattr(row, field) != value}
        if changed:
            for field, value in changed.items():
                setattr(row, field, value)
            row.save(update_fields=[*changed, "updated_at"])
    return row


def _conversation_locked(*, source: IntegrationSource, contact: Contact) -> Conversation:
    conversation, _ = Conversation.objects.get_or_create(contact=contact, defaults={"source": source.slug})
    # Locked: concurrent deliveries of the same message id queue here, and unread counts stay exact.
    return Conversation.objects.select_for_update().select_related("contact").get(pk=conversation.pk)


@transaction.atomic
def source_message_ingest(
    *,
    source: IntegrationSource,
    message_id: str,
    contact: SourceContact,
    body: str,
    sent_at: datetime | None = None,
    channel: str = Channel.SMS,
) -> IngestOutcome:
    """Store one inbound message from `source`; the same `message_id` again returns the stored message.

    Creates the contact (external id "<slug>:<their id>") and its conversation (source = the slug),
    bumps the conversation (latest message, unread, reopened) and, after commit, tells staff sockets
    and the `inbound_messages_received` receivers (the AI agent), exactly as a synced message does.
    """
    if not source.is_active:
        raise SourceNotFound()
    if channel not in Channel.values:
        raise core.InvalidInput("channel must be sms or email.")
    if not message_id.strip() or len(message_id) > EXTERNAL_ID_MAX_LENGTH:
        raise core.InvalidInput(f"message_id: 1 to {EXTERNAL_ID_MAX_LENGTH} characters are required.")
    external_id = f"{source.slug}:{message_id}"
    stored = InboxMessage.objects.filter(external_id=external_id).select_related("conversation").first()
    if stored is not None:
        return IngestOutcome(stored, created=False)
    person = _contact_upsert(source=source, contact=contact)
    conversation = _conversation_locked(source=source, contact=person)
    stored = InboxMessage.objects.filter(external_id=external_id).select_related("conversation").first()
    if stored is not None:  # stored by a concurrent request while we waited for the lock
        return IngestOutcome(stored, created=False)
    now = timezone.now()
    message = InboxMessage(
        conversation=conversation,
        direction=Direction.INBOUND,
        channel=channel,
        author_kind=AuthorKind.MEMBER,
        body=body,
        # A source's clock may run ahead of ours: never in the future, so the list's order stays true.
        sent_at=min(sent_at, now) if sent_at is not None else now,
        delivery_status=DeliveryStatus.SENT,
        external_id=external_id,
    )
    message.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        # The same message id, stored by a concurrent request since we looked: that one wins.
        stored = InboxMessage.objects.filter(external_id=external_id).select_related("conversation").first()
        if stored is None:
            raise
        return IngestOutcome(stored, created=False)
    conversations_touch(messages=[message])
    inbound_announce(messages=[message])
    return IngestOutcome(message, created=True)


# --- Outbound ---------------------------------------------------------------------------------------------


def source_external_contact_id(*, contact: Contact, slug: str) -> str | None:
    """The source's own id of a contact it created ("<slug>:<id>" → "<id>"), or None."""
    prefix = f"{slug}:"
    if contact.external_id and contact.external_id.startswith(prefix):
        return contact.external_id[len(prefix) :]
    return None


def source_reply_payload(*, message: InboxMessage, contact_id: str) -> dict[str, object]:
    return {
        "message_id": message.idempotency_key,
        "conversation": message.conversation_id,
        "contact_id": contact_id,
        "body": message.body,
        "subject": message.subject,
        "channel": message.channel,
        "sent_at": message.sent_at.isoformat(),
    }


def _retry(reason: str, *, attempt: int, status: SendStatus) -> SendOutcome:
    if attempt >= send_max_attempts():
        return SendOutcome(status, reason)
    return SendOutcome(status, reason, retry_in=app_settings.source_retry_backoff() * 2 ** (attempt - 1))


def _callback_allowed(url: str) -> bool:
    parts = httpx.URL(url)
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and parts.host in LOCAL_HOSTS and app_settings.sources_allow_local_http()


def source_message_deliver(*, message: InboxMessage, attempt: int) -> SendOutcome:
    """One attempt to POST a reply to its source's callback URL, signed, with the idempotency key.

    2xx → sent; another 4xx (but 408/429) → refused for good; a timeout, connection error, 408, 429
    or 5xx → retried (up to CLUBOS_SEND_MAX_ATTEMPTS attempts in all, the outbox's one limit). The
    receiver dedupes by `Idempotency-Key` (= the payload's message_id), so a retry after an
    attempt whose answer was lost is safe.
    """
    conversation = message.conversation
    source = IntegrationSource.objects.filter(slug=conversation.source).first()
    if source is None or not source.is_active:
        return SendOutcome(SendStatus.REFUSED, f"The integration source “{conversation.source}” is not active.")
    contact_id = source_external_contact_id(contact=conversation.contact, slug=source.slug)
    if contact_id is None:
        return SendOutcome(SendStatus.REFUSED, "This contact did not come from the conversation's source.")
    if not _callback_allowed(source.callback_url):
        return SendOutcome(SendStatus.REFUSED, "The source's callback URL must use https://.")
    body = json.dumps(source_reply_payload(message=message, contact_id=contact_id), separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        IDEMPOTENCY_HEADER: message.idempotency_key or "",
        SOURCE_HEADER: source.slug,
        **source_headers(secret=source.secret, body=body),
    }
    timeout = httpx.Timeout(app_settings.source_read_timeout(), connect=app_settings.source_connect_timeout())
    try:
        response = httpx.post(source.callback_url, content=body, headers=headers, timeout=timeout)
    except httpx.ConnectError as exc:  # never reached the source
        return _retry(
            f"Attempt {attempt} failed: could not connect ({exc})"[:300], attempt=attempt, status=SendStatus.REFUSED
        )
    except httpx.HTTPError as exc:  # a timeout or a broken connection: it may have arrived
        kind = "timed out" if isinstance(exc, httpx.TimeoutException) else f"failed ({type(exc).__name__})"
        return _retry(f"Attempt {attempt} {kind}", attempt=attempt, status=SendStatus.UNCERTAIN)
    code = response.status_code
    if 200 <= code < 300:
        return SendOutcome(SendStatus.SENT)
    if code >= 500 or code in (408, 429):
        return _retry(
            f"Attempt {attempt} failed: the source answered HTTP {code}", attempt=attempt, status=SendStatus.UNCERTAIN
        )
    return SendOutcome(SendStatus.REFUSED, f"The source refused the reply (HTTP {code}).")
