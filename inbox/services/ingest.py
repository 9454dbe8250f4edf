"""ClubOS ingest: synced messages enter the inbox here, and only here (registered as CLUBOS_MESSAGE_SINK).

Contacts are matched to local accounts (a ClubOS id AND an agreeing email or phone), conversations
are created per contact, our own replies coming back from ClubOS are recognised, and staff are
told (badge hint, `inbound_messages_received`) once the batch commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from clubos.services.matching import normalize_text
from clubos.services.sink import IngestResult, SyncedContact, SyncedMessage
from clubos.types import Channel as ClubOSChannel
from clubos.types import Direction as ClubOSDirection
from core.db import rows_update

from .. import live
from ..models import (
    AuthorKind,
    Channel,
    Contact,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    EventKind,
    InboxMessage,
    message_preview,
)
from ..signals import inbound_messages_received
from .badges import badge_reconcile

logger = logging.getLogger(__name__)


def _phone_key(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[-10:]


def _same_person(user: User, contact: SyncedContact) -> bool:
    """ClubOS names are not unique: an account is linked only when its email or phone agrees."""
    if contact.email and user.email and user.email.casefold() == contact.email.casefold():
        return True
    phone = _phone_key(contact.phone)
    return bool(phone) and len(phone) >= 7 and _phone_key(user.mobile_phone) == phone


def _same_name(user: User, name: str) -> bool:
    wanted = normalize_text(name)
    return wanted in {normalize_text(user.name), normalize_text(f"{user.first_name} {user.last_name}")}


def _linkable(contact: SyncedContact) -> bool:
    return contact.clubos_id is not None and bool(contact.email or contact.phone)


def _unlinked_accounts(contacts: Sequence[SyncedContact]) -> list[User]:
    """Local accounts without a ClubOS id that could be any of these contacts: one query for a batch.

    A superset (same email, display name, or first and last name among the batch's), narrowed by
    _confirmed_user; IN lists rather than one iexact per contact keep a 250-contact batch cheap."""
    if not contacts:
        return []
    # Both spellings: SQLite's LOWER() folds ASCII only, so "Émile" must also be looked up as written.
    emails = {form for c in contacts if c.email for form in (c.email, c.email.lower())}
    names = {form for c in contacts for form in (c.name, c.name.lower())}
    firsts, lasts = set(), set()
    for contact in contacts:
        first, _, last = contact.name.partition(" ")
        firsts |= {first, first.lower()}
        lasts |= {last, last.lower()}
    query = (
        Q(email_lower__in=emails)
        | Q(display_name_lower__in=names)
        | Q(first_name_lower__in=firsts, last_name_lower__in=lasts)
    )
    return list(
        User.objects.annotate(
            email_lower=Lower("email"),
            display_name_lower=Lower("display_name"),
            first_name_lower=Lower("first_name"),
            last_name_lower=Lower("last_name"),
        ).filter(query, clubos_member_id__isnull=True, is_active=True)[: 20 * len(contacts)]
    )


def _confirmed_user(contact: SyncedContact, by_clubos_id: dict[int, User], unlinked: list[User]) -> User | None:
    if contact.clubos_id is None:
        return None
    user = by_clubos_id.get(contact.clubos_id)
    if user is not None:
        return user if _same_person(user, contact) else None
    if not _linkable(contact):
        return None
    # A local account without a ClubOS id yet: same name AND same email or phone, and only one.
    candidates = [u for u in unlinked if _same_name(u, contact.name) and _same_person(u, contact)]
    return candidates[0] if len(candidates) == 1 else None


def _contact_key(contact: SyncedContact) -> tuple[str, int | str]:
    return ("id", contact.clubos_id) if contact.clubos_id is not None else ("name", contact.name)


def _contacts_upsert(synced: Iterable[SyncedContact]) -> dict[tuple[str, int | str], Contact]:
    wanted = {_contact_key(c): c for c in synced}
    ids = [c.clubos_id for c in wanted.values() if c.clubos_id is not None]
    names = [c.name for c in wanted.values()]
    found: dict[tuple[str, int | str], Contact] = {}
    for row in Contact.objects.filter(
        Q(clubos_id__in=ids) | Q(clubos_id__isnull=True, external_id__isnull=True, name__in=names)
    ):
        found[("id", row.clubos_id) if row.clubos_id is not None else ("name", row.name)] = row
    users = {u.clubos_member_id: u for u in User.objects.filter(clubos_member_id__in=ids) if u.clubos_member_id}
    unlinked = _unlinked_accounts(
        [
            data
            for key, data in wanted.items()
            if _linkable(data) and data.clubos_id not in users and getattr(found.get(key), "user_id", None) is None
        ]
    )

    # Written in bulk, and only what changed: a first sync of a busy club repeats the same contacts.
    created: list[Contact] = []
    updated: list[Contact] = []
    result: dict[tuple[str, int | str], Contact] = {}
    for key, data in wanted.items():
        contact: Contact | None = found.get(key)
        if contact is None and data.clubos_id is not None:
            # A sender kept by name earlier and now resolved: it becomes this ClubOS contact.
            contact = found.pop(("name", data.name), None)
        if contact is None:
            contact = Contact(clubos_id=data.clubos_id, name=data.name[:200])
        changed = contact.pk is None
        updates = {"clubos_id": data.clubos_id, "name": data.name[:200], "can_text": data.can_text}
        if data.clubos_id is not None:  # the history's contact form is authoritative
            updates |= {"email": data.email[:254], "phone": data.phone[:32]}
        for attr, value in updates.items():
            if getattr(contact, attr) != value:
                setattr(contact, attr, value)
                changed = True
        if contact.user_id is None:
            user = _confirmed_user(data, users, unlinked)
            if user is not None:
                contact.user = user
                changed = True
        if contact.pk is None:
            created.append(contact)
        elif changed:
            contact.updated_at = timezone.now()
            updated.append(contact)
        result[key] = contact
    if updated:
        Contact.objects.bulk_update(updated, _CONTACT_FIELDS)
    if created:
        Contact.objects.bulk_create(created)
        if any(c.pk is None for c in created):  # backends that return no ids from bulk inserts
            by_key = {
                _row_key(row): row
                for row in Contact.objects.filter(
                    Q(clubos_id__in=[c.clubos_id for c in created if c.clubos_id is not None])
                    | Q(
                        clubos_id__isnull=True,
                        external_id__isnull=True,
                        name__in=[c.name for c in created if c.clubos_id is None],
                    )
                )
            }
            for key, contact in result.items():
                if contact.pk is None:
                    result[key] = by_key[_row_key(contact)]
    return result


_CONTACT_FIELDS = ["clubos_id", "name", "email", "phone", "can_text", "user", "updated_at"]


def _row_key(row: Contact) -> tuple[str, int | str]:
    return ("id", row.clubos_id) if row.clubos_id is not None else ("name", row.name)


def _conversations_for(contacts: Iterable[Contact]) -> dict[int, Conversation]:
    contact_ids = [c.pk for c in contacts]
    # Locked: staff marking a conversation read must not be overwritten by this batch's counts.
    existing = {c.contact_id: c for c in Conversation.objects.select_for_update().filter(contact_id__in=contact_ids)}
    missing = [Conversation(contact_id=cid) for cid in contact_ids if cid not in existing]
    for conversation in Conversation.objects.bulk_create(missing):
        existing[conversation.contact_id] = conversation
    if any(c.pk is None for c in existing.values()):  # backends that return no ids from bulk inserts
        existing = {
            c.contact_id: c for c in Conversation.objects.select_for_update().filter(contact_id__in=contact_ids)
        }
    return existing


def _attach_own_replies(
    outbound: list[tuple[SyncedMessage, Conversation]],
) -> set[int]:
    """Our replies come back from ClubOS as owner-sent items: give the stored reply its ClubOS id."""
    if not outbound:
        return set()
    conversation_ids = {conversation.pk for _, conversation in outbound}
    pending: dict[int, list[InboxMessage]] = {}
    # A reply sent, or one whose attempt may have reached ClubOS (timed out, then queued for a retry
    # or failed), qualifies; one that ClubOS definitely refused never went out, so it cannot come back.
    for message in (
        InboxMessage.objects.select_for_update()
        .filter(
            Q(delivery_status=DeliveryStatus.SENT) | Q(delivery_uncertain=True),
            conversation_id__in=conversation_ids,
            direction=Direction.OUTBOUND,
            clubos_message_id__isnull=True,
            attempts__gt=0,
        )
        .order_by("sent_at", "pk")
    ):
        pending.setdefault(message.conversation_id, []).append(message)
    attached: set[int] = set()
    for synced, conversation in outbound:
        candidates = pending.get(conversation.pk, [])
        synced_body = normalize_text(synced.body)
        for message in candidates:
            body = normalize_text(message.body)
            same = body.startswith(synced_body) if synced.body_is_snippet else body == synced_body
            if same:
                InboxMessage.objects.filter(pk=message.pk).update(
                    clubos_message_id=synced.clubos_message_id,
                    delivery_status=DeliveryStatus.SENT,
                    failure_reason="",
                    delivery_uncertain=False,
                )
                candidates.remove(message)
                attached.add(synced.clubos_message_id)
                break
    return attached


def _signal_inbound(message_ids: list[int]) -> None:
    for receiver, response in inbound_messages_received.send_robust(sender=InboxMessage, message_ids=message_ids):
        if isinstance(response, Exception):
            logger.error("inbound_messages_received receiver %r failed", receiver, exc_info=response)


_TOUCHED_FIELDS = [
    *("last_message_at", "last_message_preview", "last_message_channel", "unread_count"),
    *("last_inbound_id", "status", "snoozed_until", "updated_at"),
]


def conversations_touch(*, messages: Sequence[InboxMessage]) -> None:
    """New stored messages move their (locked) conversations: latest message, unread, reopened.

    Shared by every way messages enter the inbox (the ClubOS sink, integration sources).
    """
    touched: dict[int, Conversation] = {}
    reopened: list[ConversationEvent] = []
    now = timezone.now()
    for row in messages:
        conversation = row.conversation
        if conversation.last_message_at is None or row.sent_at >= conversation.last_message_at:
            conversation.last_message_at = row.sent_at
            conversation.last_message_preview = message_preview(row.body)
            conversation.last_message_channel = row.channel
        if row.direction == Direction.INBOUND:
            conversation.unread_count += 1
            conversation.last_inbound_id = max(conversation.last_inbound_id or 0, row.pk)
            # A new question reopens a resolved, pending or snoozed conversation (audited: no actor,
            # the member's message did it).
            if conversation.status != ConversationStatus.OPEN:
                event = ConversationEvent(conversation=conversation, actor=None, kind=EventKind.STATUS, created_at=now)
                event.details = {
                    "from": conversation.status,
                    "to": ConversationStatus.OPEN,
                    "reason": "the member wrote again",
                }
                reopened.append(event)
            conversation.status = ConversationStatus.OPEN
            conversation.snoozed_until = None
        conversation.updated_at = now
        touched[conversation.pk] = conversation
    rows_update(rows=list(touched.values()), fields=_TOUCHED_FIELDS)
    ConversationEvent.objects.bulk_create(reopened, batch_size=500)
    # Only inbound messages move what the badges count (the newest inbound message, reopening).
    badge_reconcile(conversation_ids=[row.conversation_id for row in messages if row.direction == Direction.INBOUND])
    live.conversation_pages_refresh(conversation_ids=list(touched))
    live.conversations_changed(conversation_ids=list(touched))  # open lists refetch: these move to the top


def inbound_announce(*, messages: Sequence[InboxMessage]) -> None:
    """Staff sockets re-read the badge, and `inbound_messages_received` carries the ids, after commit.

    Always, even for a conversation that was already unread: a new message may pass some staff
    member's read pointer, and counts are state (every staff socket re-reads its own).
    """
    ids = [row.pk for row in messages]
    live.staff_inbox_changed()
    transaction.on_commit(lambda: _signal_inbound(ids))


class ClubOSMessageSink:
    """Registered with clubos as CLUBOS_MESSAGE_SINK: the only way synced messages enter the inbox."""

    def known_message_ids(self, *, ids: Sequence[int]) -> set[int]:
        found = InboxMessage.objects.filter(clubos_message_id__in=list(ids)).values_list("clubos_message_id", flat=True)
        return {message_id for message_id in found if message_id is not None}

    @transaction.atomic
    def ingest(self, *, messages: Sequence[SyncedMessage]) -> IngestResult:
        result = IngestResult()
        unique: dict[int, SyncedMessage] = {}
        for message in messages:
            unique.setdefault(message.clubos_message_id, message)
        existing = self.known_message_ids(ids=list(unique))
        result.duplicates = len(messages) - len(unique) + len(existing)
        fresh = [m for message_id, m in sorted(unique.items()) if message_id not in existing]
        if not fresh:
            return result

        contacts = _contacts_upsert(m.contact for m in fresh)
        conversations = _conversations_for(contacts.values())
        paired = [(m, conversations[contacts[_contact_key(m.contact)].pk]) for m in fresh]
        attached = _attach_own_replies([(m, c) for m, c in paired if m.direction == ClubOSDirection.OUTBOUND])
        result.duplicates += len(attached)

        rows = [
            InboxMessage(
                conversation=conversation,
                direction=Direction.OUTBOUND if m.direction == ClubOSDirection.OUTBOUND else Direction.INBOUND,
                channel=Channel.EMAIL if m.channel == ClubOSChannel.EMAIL else Channel.SMS,
                author_kind=AuthorKind.STAFF if m.direction == ClubOSDirection.OUTBOUND else AuthorKind.MEMBER,
                body=m.body,
                body_is_snippet=m.body_is_snippet,
                sent_at=m.sent_at,
                clubos_message_id=m.clubos_message_id,
                delivery_status=DeliveryStatus.SENT,
            )
            for m, conversation in paired
            if m.clubos_message_id not in attached
        ]
        created = InboxMessage.objects.bulk_create(rows, batch_size=500)
        result.new = len(created)
        if any(row.pk is None for row in created):  # no ids from the bulk insert on this backend: read them back
            pks = dict(
                InboxMessage.objects.filter(clubos_message_id__in=[r.clubos_message_id for r in created]).values_list(
                    "clubos_message_id", "pk"
                )
            )
            for row in created:
                row.pk = pks[row.clubos_message_id]

        conversations_touch(messages=created)
        inbound = [row for row in created if row.direction == Direction.INBOUND]
        if inbound:
            inbound_announce(messages=sorted(inbound, key=lambda r: (r.sent_at, r.clubos_message_id or 0)))
        return result


clubos_message_sink = ClubOSMessageSink()
