"""What staff do to one conversation: assign, label, prioritise, change status, snooze, read, note.

Each action is one function that checks the actor, locks the conversation row, acts, writes one
`ConversationEvent` (who, what, from → to) and, after commit, announces `conversation.changed`
(lists and open pages refetch). An action that changes nothing writes no event and announces nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from core.validators import CONTROL_CHARACTERS_MESSAGE, has_control_characters

from .. import live
from ..exceptions import ActionNotAllowed, ConversationNotFound, NotInboxStaff
from ..models import (
    Conversation,
    ConversationEvent,
    ConversationStatus,
    Direction,
    EventKind,
    InboxMessage,
    Label,
    Note,
    Priority,
    ReadState,
)
from .badges import badge_reconcile

NOTE_MAX_LENGTH = 5000
LABELS_MAX = 20
SNOOZE_YEAR_LIMIT = 3000
MENTIONS_MAX = 20
# "@sam", "@sam.lee", "@Sam_Lee-2": a username or a first name after an @ that starts a word.
MENTION = re.compile(r"(?<![\w@])@([\w.+-]{1,150})", re.UNICODE)
# The statuses staff set directly; snoozing has its own action (it needs a time).
SETTABLE_STATUSES = (ConversationStatus.OPEN, ConversationStatus.PENDING, ConversationStatus.RESOLVED)


def _require_staff(user: User) -> None:
    if not getattr(user, "is_inbox_staff", False):
        raise NotInboxStaff()


def _locked(conversation_id: int) -> Conversation:
    conversation = Conversation.objects.select_for_update().filter(pk=conversation_id).first()
    if conversation is None:
        raise ConversationNotFound()
    return conversation


def event_record(
    *, conversation: Conversation, actor: User | None, kind: str, details: dict[str, Any] | None = None
) -> ConversationEvent:
    """Append one entry to the audit trail (in the caller's transaction)."""
    event = ConversationEvent(conversation=conversation, actor=actor, kind=kind, created_at=timezone.now())
    event.details = details or {}
    event.save()
    return event


# What the staff badge counts depends on these (open, or assigned to me): a change re-reads every badge.
BADGE_FIELDS = frozenset({"status", "assignee"})


def _changed(conversation: Conversation, *fields: str) -> None:
    conversation.save(update_fields=[*fields, "updated_at"])
    live.conversation_changed(conversation_id=conversation.pk)
    if BADGE_FIELDS.intersection(fields):
        badge_reconcile(conversation_ids=[conversation.pk])
        live.staff_inbox_changed()


@transaction.atomic
def conversation_assign(*, conversation: Conversation, actor: User, assignee: User | None) -> Conversation:
    """Assign to a staff member (to yourself: "take"), or unassign with None."""
    _require_staff(actor)
    if assignee is not None and not assignee.is_inbox_staff:
        raise ActionNotAllowed("Conversations can only be assigned to active club staff.")
    locked = _locked(conversation.pk)
    before = locked.assignee_id
    after = assignee.pk if assignee is not None else None
    if before != after:
        locked.assignee = assignee
        _changed(locked, "assignee")
        event_record(
            conversation=locked,
            actor=actor,
            kind=EventKind.ASSIGNED,
            details={
                "from": before,
                "to": after,
                "to_name": assignee.name if assignee is not None else "",
            },
        )
    return locked


def _label_create(name: str) -> Label:
    """A new team label, made on first use; a colleague creating the same name at once gets the same label."""
    try:
        with transaction.atomic():
            return Label.objects.create(name=name)
    except IntegrityError:
        return Label.objects.get(name__iexact=name)


def _labels_resolve(*, label_ids: Iterable[int], names: Iterable[str]) -> list[Label]:
    ids, wanted = set(label_ids), {" ".join(name.split()) for name in names}
    wanted.discard("")
    if len(ids) + len(wanted) > LABELS_MAX:
        raise ActionNotAllowed(f"A conversation can have at most {LABELS_MAX} labels.")
    for name in wanted:
        if has_control_characters(name):
            raise ActionNotAllowed(CONTROL_CHARACTERS_MESSAGE)
        if len(name) > 40:
            raise ActionNotAllowed("A label's name can be at most 40 characters.")
    found = {label.pk: label for label in Label.objects.filter(pk__in=ids)} if ids else {}
    if len(found) != len(ids):
        raise ActionNotAllowed("No such label.")
    by_name: dict[str, Label] = {}
    if wanted:
        query = Q()
        for name in wanted:
            query |= Q(name__iexact=name)
        by_name = {label.name.lower(): label for label in Label.objects.filter(query)}
        for name in wanted:
            if name.lower() not in by_name:
                by_name[name.lower()] = _label_create(name)
    return sorted({*found.values(), *by_name.values()}, key=lambda label: (label.name.lower(), label.pk))


@transaction.atomic
def conversation_labels_set(
    *, conversation: Conversation, actor: User, label_ids: Sequence[int] = (), names: Sequence[str] = ()
) -> list[Label]:
    """Set the conversation's labels to exactly these (existing ids, or names: new names create labels)."""
    _require_staff(actor)
    locked = _locked(conversation.pk)
    labels = _labels_resolve(label_ids=label_ids, names=names)
    before = sorted(locked.labels.values_list("name", flat=True), key=str.lower)
    after = [label.name for label in labels]
    if before != after:
        locked.labels.set(labels)
        _changed(locked)
        event_record(conversation=locked, actor=actor, kind=EventKind.LABELLED, details={"from": before, "to": after})
    return labels


@transaction.atomic
def conversation_priority_set(*, conversation: Conversation, actor: User, priority: str) -> Conversation:
    _require_staff(actor)
    if priority not in Priority.values:
        raise ActionNotAllowed("Choose low, normal, high or urgent.")
    locked = _locked(conversation.pk)
    before = locked.priority
    if before != priority:
        locked.priority = priority
        _changed(locked, "priority")
        event_record(
            conversation=locked, actor=actor, kind=EventKind.PRIORITY, details={"from": before, "to": priority}
        )
    return locked


@transaction.atomic
def conversation_status_set(*, conversation: Conversation, actor: User, status: str) -> Conversation:
    """Open (reopen), pending (waiting on the member) or resolved; a snooze ends here too."""
    _require_staff(actor)
    if status not in SETTABLE_STATUSES:
        raise ActionNotAllowed("Choose open, pending or resolved (snoozing needs a time).")
    locked = _locked(conversation.pk)
    before = locked.status
    if before != status:
        locked.status = status
        locked.snoozed_until = None
        locked.status_changed_at = timezone.now()
        _changed(locked, "status", "snoozed_until", "status_changed_at")
        event_record(conversation=locked, actor=actor, kind=EventKind.STATUS, details={"from": before, "to": status})
    return locked


@transaction.atomic
def conversation_snooze(*, conversation: Conversation, actor: User, until: datetime) -> Conversation:
    """Snoozed until a future time: `snoozes_wake` reopens it then (or a new inbound message, sooner)."""
    _require_staff(actor)
    if timezone.is_naive(until):
        raise ActionNotAllowed("Give the time with its time zone.")
    if until <= timezone.now():
        raise ActionNotAllowed("Snooze until a time in the future.")
    if until.year >= SNOOZE_YEAR_LIMIT:  # far-future dates overflow time-zone arithmetic
        raise ActionNotAllowed("That is too far ahead to snooze until.")
    locked = _locked(conversation.pk)
    before = locked.status
    locked.status = ConversationStatus.SNOOZED
    locked.snoozed_until = until
    locked.status_changed_at = timezone.now()
    _changed(locked, "status", "snoozed_until", "status_changed_at")
    event_record(
        conversation=locked,
        actor=actor,
        kind=EventKind.SNOOZED,
        details={"from": before, "to": ConversationStatus.SNOOZED, "until": until.isoformat()},
    )
    return locked


def snoozes_wake(*, now: datetime | None = None) -> int:
    """Beat: reopen every conversation whose snooze has run out; returns how many woke."""
    now = now or timezone.now()
    due = list(
        Conversation.objects.filter(status=ConversationStatus.SNOOZED, snoozed_until__lte=now)
        .order_by("snoozed_until")
        .values_list("pk", flat=True)[:500]
    )
    woken = 0
    for conversation_id in due:
        with transaction.atomic():
            locked = Conversation.objects.select_for_update().filter(pk=conversation_id).first()
            # Re-checked under the lock: staff may have reopened or re-snoozed it meanwhile.
            if locked is None or locked.status != ConversationStatus.SNOOZED:
                continue
            if locked.snoozed_until is not None and locked.snoozed_until > now:
                continue
            locked.status = ConversationStatus.OPEN
            locked.snoozed_until = None
            locked.status_changed_at = now
            _changed(locked, "status", "snoozed_until", "status_changed_at")
            event_record(
                conversation=locked,
                actor=None,
                kind=EventKind.STATUS,
                details={"from": ConversationStatus.SNOOZED, "to": ConversationStatus.OPEN, "reason": "snooze ended"},
            )
            woken += 1
    if woken:
        live.staff_inbox_changed()
    return woken


def read_pointer_get(*, conversation_id: int, user_id: int) -> int:
    pointer = ReadState.objects.filter(conversation_id=conversation_id, user_id=user_id).values_list(
        "last_read_message_id", flat=True
    )
    return pointer.first() or 0


def _pointer_set(*, conversation: Conversation, user: User, message_id: int) -> tuple[int, int]:
    state, _ = ReadState.objects.select_for_update().get_or_create(conversation=conversation, user=user)
    before = state.last_read_message_id
    if before != message_id:
        state.last_read_message_id = message_id
        state.save(update_fields=["last_read_message_id", "updated_at"])
    return before, message_id


def conversation_mark_read(*, conversation: Conversation, user: User) -> bool:
    """Move MY read pointer to the newest inbound message (others' pointers stay); True when anything was
    unread (for me, or still counted in the team's unread count).

    The team's `unread_count` (what the badge counted before per-staff pointers) is cleared as well.
    Opening a conversation already read costs one SELECT (none when `conversation_get(reader=user)` read
    my pointer with the row): no transaction, no lock, no write.
    """
    _require_staff(user)
    newest = conversation.last_inbound_id or 0
    known: dict[int, int] = getattr(conversation, "read_pointers", {})  # read with the row (conversation_get)
    pointer = known.get(user.pk)
    if pointer is None and conversation.unread_count == 0:
        pointer = read_pointer_get(conversation_id=conversation.pk, user_id=user.pk)
    if conversation.unread_count == 0 and pointer is not None and pointer >= newest:
        return False
    moved = _mark_read(conversation=conversation, user=user)
    conversation.unread_count = 0
    if known:
        known.pop(user.pk, None)  # moved under the lock, possibly past `newest`: re-read if asked again
    return moved


@transaction.atomic
def _mark_read(*, conversation: Conversation, user: User) -> bool:
    locked = _locked(conversation.pk)
    newest = locked.last_inbound_id or 0
    before, after = _pointer_set(conversation=locked, user=user, message_id=newest)
    team_cleared = bool(
        Conversation.objects.filter(pk=locked.pk, unread_count__gt=0).update(
            unread_count=0, last_read_at=timezone.now()
        )
    )
    moved = after > before
    if after != before:
        badge_reconcile(conversation_ids=[locked.pk])
    if moved:
        event_record(conversation=locked, actor=user, kind=EventKind.READ, details={"from": before, "to": after})
        live.readers_changed(user_ids=[user.pk])
    if team_cleared:
        live.staff_inbox_changed()
    return moved or team_cleared


@transaction.atomic
def conversation_mark_unread(*, conversation: Conversation, user: User) -> bool:
    """Move MY pointer back to just before the newest inbound message: it is unread for me again."""
    _require_staff(user)
    locked = _locked(conversation.pk)
    inbound = InboxMessage.objects.filter(conversation=locked, direction=Direction.INBOUND).order_by("-pk")
    newest_two = list(inbound.values_list("pk", flat=True)[:2])
    if not newest_two:
        raise ActionNotAllowed("There is no message from the member to mark unread.")
    previous = newest_two[1] if len(newest_two) > 1 else 0
    before, after = _pointer_set(conversation=locked, user=user, message_id=previous)
    if before == after:
        return False
    badge_reconcile(conversation_ids=[locked.pk])
    event_record(conversation=locked, actor=user, kind=EventKind.UNREAD, details={"from": before, "to": after})
    live.readers_changed(user_ids=[user.pk])
    return True


def mentions_find(*, body: str) -> list[User]:
    """Active staff an @word names: by username (exactly, any case) or by first name when only one has it."""
    words = {match.rstrip(".") for match in MENTION.findall(body)}
    words.discard("")
    words = set(sorted(words)[:MENTIONS_MAX])  # a bounded query, however many @words a note holds
    if not words:
        return []
    staff = list(User.objects.inbox_staff().filter(Q(username__in=words) | Q(first_name__in=words) | _iexact(words)))
    found: dict[int, User] = {}
    lowered = {word.lower() for word in words}
    for user in staff:
        if user.username.lower() in lowered:
            found[user.pk] = user
    for word in lowered:
        by_first = [user for user in staff if user.first_name and user.first_name.lower() == word]
        if len(by_first) == 1:
            found.setdefault(by_first[0].pk, by_first[0])
    return sorted(found.values(), key=lambda user: user.pk)


def _iexact(words: Iterable[str]) -> Q:
    query = Q()
    for word in words:
        query |= Q(username__iexact=word) | Q(first_name__iexact=word)
    return query


@transaction.atomic
def note_add(*, conversation: Conversation, author: User, body: str) -> Note:
    """An internal note (staff only, never sent); @mentioned staff see the conversation in "mine"."""
    _require_staff(author)
    body = body.strip() if isinstance(body, str) else ""
    if not body:
        raise ActionNotAllowed("Write the note first.")
    if has_control_characters(body):
        raise ActionNotAllowed(CONTROL_CHARACTERS_MESSAGE)
    if len(body) > NOTE_MAX_LENGTH:
        raise ActionNotAllowed(f"A note can be at most {NOTE_MAX_LENGTH} characters.")
    locked = _locked(conversation.pk)
    note = Note.objects.create(conversation=locked, author=author, body=body, created_at=timezone.now())
    mentioned = mentions_find(body=body)
    if mentioned:
        note.mentions.set(mentioned)
    _changed(locked)
    event_record(
        conversation=locked,
        actor=author,
        kind=EventKind.NOTED,
        details={"note_id": note.pk, "mentions": [user.pk for user in mentioned]},
    )
    if mentioned:
        live.readers_changed(user_ids=[user.pk for user in mentioned])
    return note
