"""Reads for direct messages: the switch, unread counts, threads, messages, blocks."""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connection
from django.db.models import Exists, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import escape

from core.exceptions import NotFound

from .app_settings import app_settings
from .exceptions import MessagingDisabled, NotAParticipant
from .models import (
    Block,
    Message,
    MessagingSettings,
    MessagingSuspension,
    Participant,
    Preferences,
    StartPolicy,
    Thread,
)

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

# (read at, value): each process trusts its copy of the switch for TOGGLE_CACHE_SECONDS at most.
_toggle_memo: tuple[float, bool] | None = None


def messaging_enabled(*, fresh: bool = False) -> bool:
    """Is direct messaging on? One tiny query at most once a second per process (or always if fresh)."""
    global _toggle_memo
    now = time.monotonic()
    memo = _toggle_memo
    if not fresh and memo is not None and now - memo[0] < app_settings.TOGGLE_CACHE_SECONDS:
        return memo[1]
    value = bool(
        MessagingSettings.objects.filter(pk=MessagingSettings.SINGLETON_PK).values_list("enabled", flat=True).first()
    )
    _toggle_memo = (now, value)
    return value


def messaging_enabled_cache_clear() -> None:
    global _toggle_memo
    _toggle_memo = None


def messaging_require_enabled(*, fresh: bool = False) -> None:
    if not messaging_enabled(fresh=fresh):
        raise MessagingDisabled()


def messages_unread_count(*, user_id: int) -> int:
    """The nav badge: unread messages over the member's unmuted threads (a partial-index sum)."""
    total = Participant.objects.filter(user_id=user_id, unread_count__gt=0, muted=False).aggregate(
        total=Sum("unread_count")
    )["total"]
    return int(total or 0)


def messages_badge(*, user: User) -> int:
    """The `messages` badge of `/ws/notifications/`: 0 while direct messaging is switched off."""
    return messages_unread_count(user_id=user.pk) if messaging_enabled() else 0


def thread_watchable(*, user_id: int, thread_id: int) -> bool:
    """May this user open the thread's socket? Only while switched on, and only their own thread."""
    if not 0 < thread_id < 2**63:  # the URL takes any digits; the database takes 64-bit ids
        return False
    return messaging_enabled(fresh=True) and Participant.objects.filter(user_id=user_id, thread_id=thread_id).exists()


def participant_list(*, user_id: int, archived: bool = False) -> QuerySet[Participant]:
    """The member's threads for one tab, latest activity first, with everything a row shows."""
    return (
        Participant.objects.for_user(user_id)
        .inbox(archived=archived)
        .select_related("other", "thread__last_message__sender")
    )


def _unread_total_subquery(*, user_id: int) -> Coalesce:
    """The nav badge's sum as a scalar subquery: uncorrelated, so the database runs it once per query
    (over the partial `messaging_part_unread` index), and a page reads it with its own rows."""
    total = (
        Participant.objects.filter(user_id=user_id, unread_count__gt=0, muted=False)
        .values("user_id")
        .annotate(total=Sum("unread_count"))
        .values("total")
    )
    return Coalesce(Subquery(total), Value(0), output_field=IntegerField())


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"^(-?\d{1,18})\.(\d{1,19})$")


def thread_list_position(participant: Participant) -> str:
    """A row's place in the thread list, as the page's `older`/`newer` links carry it."""
    micros = (participant.last_activity_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{participant.pk}"


def _cursor_decode(value: str) -> tuple[datetime, int]:
    """A list position (`<microseconds since 1970>.<participant id>`); anything else is NotFound."""
    match = _CURSOR.match(value)
    if match is None:
        raise NotFound("That page of conversations does not exist.")
    micros, row_id = int(match[1]), int(match[2])
    try:
        moment = _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        raise NotFound("That page of conversations does not exist.") from None
    if not 0 < row_id < 2**63 or not 1 < moment.year < 9999:
        raise NotFound("That page of conversations does not exist.")
    return moment, row_id


@dataclass(frozen=True)
class ThreadListPage:
    """One page of the thread list, with the positions of its neighbours (None: there is none)."""

    object_list: Sequence[Participant]
    newer: str | None
    older: str | None
    is_first: bool
    # The nav badge's sum, read with the rows (None when the page is empty and nothing was read).
    unread_total: int | None


def participant_page(
    *, user_id: int, archived: bool, older_than: str | None = None, newer_than: str | None = None, per_page: int
) -> ThreadListPage:
    """One page of the thread list by keyset: the rows after (or before) a position, seeking the
    `messaging_part_inbox` index, so the 1st and the 800th page cost one query of 25 (+1) rows each,
    however many threads the member has. No count, no OFFSET."""
    rows = (
        Participant.objects.for_user(user_id)
        .filter(archived=archived)
        .select_related("other", "thread__last_message")
        .annotate(unread_total=_unread_total_subquery(user_id=user_id))
    )
    position = _cursor_decode(newer_than or older_than or "") if (newer_than or older_than) else None
    if position is not None and newer_than:
        moment, row_id = position
        # `>=` on the leading column bounds the index range; the OR settles ties on the id.
        rows = rows.filter(Q(last_activity_at__gt=moment) | Q(last_activity_at=moment, id__gt=row_id)).filter(
            last_activity_at__gte=moment
        )
        found = list(rows.order_by("last_activity_at", "id")[: per_page + 1])
        has_more = len(found) > per_page
        page = list(reversed(found[:per_page]))
        has_newer, has_older = has_more, True
    else:
        if position is not None:
            moment, row_id = position
            rows = rows.filter(Q(last_activity_at__lt=moment) | Q(last_activity_at=moment, id__lt=row_id)).filter(
                last_activity_at__lte=moment
            )
        found = list(rows.order_by("-last_activity_at", "-id")[: per_page + 1])
        page = found[:per_page]
        has_newer, has_older = position is not None, len(found) > per_page
    return ThreadListPage(
        object_list=page,
        newer=thread_list_position(page[0]) if page and has_newer else None,
        older=thread_list_position(page[-1]) if page and has_older else None,
        is_first=not has_newer,
        unread_total=page[0].unread_total if page else None,  # type: ignore[attr-defined]
    )


def participant_get(*, user_id: int, thread_id: int) -> Participant:
    """The user's side of a thread, or NotAParticipant (a foreign thread and a missing one look alike)."""
    participant = (
        Participant.objects.filter(user_id=user_id, thread_id=thread_id)
        .select_related("thread", "other", "thread__last_message__sender")
        .first()
    )
    if participant is None:
        raise NotAParticipant()
    return participant


# What a page shows of a person (name, initials, profile link, can they still be messaged).
_PERSON_FIELDS = ("id", "username", "display_name", "first_name", "last_name", "is_active")


@dataclass(frozen=True)
class Conversation:
    """What the conversation page shows about a thread besides its messages, read in one query."""

    participant: Participant
    blocked: bool  # either side blocked the other
    receipts: bool  # both share read receipts
    seen_up_to: int | None  # the other side's read pointer (None when receipts are off)
    unread_total: int  # the viewer's nav badge
    suspension: MessagingSuspension | None  # the viewer's suspension in force (its id and end only)


@functools.cache
def _conversation_sql() -> str:
    """The conversation page's one query, written out once from the models' tables and columns.

    The ORM spent ~5 ms of CPU building this query (eight subqueries and annotations) for a
    0.3 ms read, most of a 15 ms page; the SQL never changes, only its four parameters.
    Subqueries run on the unique and primary-key indexes; the badge's sum on `messaging_part_unread`.
    """

    def table(model: Any) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    def columns(model: Any, names: Sequence[str], alias: str) -> str:
        return ", ".join(f"{alias}.{connection.ops.quote_name(model._meta.get_field(n).column)}" for n in names)

    user_model = Participant._meta.get_field("other").related_model
    suspensions = (
        f"FROM {table(MessagingSuspension)} s WHERE s.member_id = %s AND s.lifted_at IS NULL "
        "AND (s.until IS NULL OR s.until > %s) ORDER BY s.created_at DESC, s.id DESC LIMIT 1"
    )
    # Only table and column names from the models are formatted in; every value is a parameter.
    return (
        f"SELECT {columns(Participant, _PARTICIPANT_ATTNAMES, 'p')}, t.last_message_id, "  # noqa: S608
        f"{columns(user_model, _OTHER_ATTNAMES, 'u')}, "
        f"EXISTS(SELECT 1 FROM {table(Block)} b WHERE (b.blocker_id = p.user_id AND b.blocked_id = p.other_id) "
        "OR (b.blocker_id = p.other_id AND b.blocked_id = p.user_id)), "
        f"EXISTS(SELECT 1 FROM {table(Preferences)} r WHERE r.user_id IN (p.user_id, p.other_id) "
        "AND NOT r.read_receipts), "
        f"(SELECT o.last_read_message_id FROM {table(Participant)} o WHERE o.thread_id = p.thread_id "
        "AND o.user_id = p.other_id), "
        f"(SELECT COALESCE(SUM(n.unread_count), 0) FROM {table(Participant)} n WHERE n.user_id = p.user_id "
        "AND n.unread_count > 0 AND NOT n.muted), "
        f"(SELECT s.id {suspensions}), (SELECT s.until {suspensions}) "
        f"FROM {table(Participant)} p INNER JOIN {table(Thread)} t ON t.id = p.thread_id "
        f"INNER JOIN {connection.ops.quote_name(user_model._meta.db_table)} u ON u.id = p.other_id "
        "WHERE p.user_id = %s AND p.thread_id = %s"
    )


_PARTICIPANT_ATTNAMES = tuple(f.attname for f in Participant._meta.concrete_fields)
# Model.from_db takes a subset of columns in the model's own field order.
_OTHER_ATTNAMES = tuple(
    f.attname
    for f in Participant._meta.get_field("other").related_model._meta.concrete_fields
    if f.name in _PERSON_FIELDS
)


def _from_db_value(model: Any, field: str, value: Any) -> Any:
    """A column as the ORM would return it (SQLite hands back datetimes as text and booleans as 0/1)."""
    target = model._meta.get_field(field)
    for converter in connection.ops.get_db_converters(target.cached_col) + target.get_db_converters(connection):
        value = converter(value, target.cached_col, connection)
    return value


def conversation_get(*, user_id: int, thread_id: int) -> Conversation:
    """The user's side of a thread with the thread, the other member, the block either way, both
    members' receipt settings, the other side's read pointer, the viewer's suspension and the nav
    badge's sum: one query. NotAParticipant when it is not theirs."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_conversation_sql(), [user_id, now, user_id, now, user_id, thread_id])
        row = cursor.fetchone()
    if row is None:
        raise NotAParticipant()
    width = len(_PARTICIPANT_ATTNAMES)
    values = [
        _from_db_value(Participant, Participant._meta.get_field(name).name, value)
        for name, value in zip(_PARTICIPANT_ATTNAMES, row[:width], strict=True)
    ]
    participant = Participant.from_db(connection.alias, _PARTICIPANT_ATTNAMES, values)
    last_message_id, rest = row[width], row[width + 1 :]
    person, (blocked, receipts_off, other_read_up_to, unread_total, suspension_id, suspension_until) = (
        rest[: len(_OTHER_ATTNAMES)],
        rest[len(_OTHER_ATTNAMES) :],
    )
    user_model = Participant._meta.get_field("other").related_model
    other = user_model.from_db(
        connection.alias,
        _OTHER_ATTNAMES,
        [_from_db_value(user_model, name, value) for name, value in zip(_OTHER_ATTNAMES, person, strict=True)],
    )
    thread = Thread.from_db(connection.alias, ("id", "last_message_id"), (participant.thread_id, last_message_id))
    Participant._meta.get_field("thread").set_cached_value(participant, thread)
    Participant._meta.get_field("other").set_cached_value(participant, other)
    receipts = not receipts_off
    return Conversation(
        participant=participant,
        blocked=bool(blocked),
        receipts=receipts,
        seen_up_to=other_read_up_to if receipts else None,
        unread_total=int(unread_total or 0),
        suspension=(
            MessagingSuspension(
                pk=suspension_id,
                member_id=user_id,
                until=_from_db_value(MessagingSuspension, "until", suspension_until),
            )
            if suspension_id is not None
            else None
        ),
    )


def message_list(*, user_id: int, thread_id: int, after_id: int | None = None) -> QuerySet[Message]:
    """A thread's messages for the API (newest first once paginated), or NotAParticipant."""
    if not Participant.objects.filter(user_id=user_id, thread_id=thread_id).exists():
        raise NotAParticipant()
    rows = Message.objects.filter(thread_id=thread_id).select_related("sender")
    return rows.filter(id__gt=after_id) if after_id is not None else rows


def thread_messages(
    *, thread_id: int, before_id: int | None = None, after_id: int | None = None, limit: int | None = None
) -> list[Message]:
    """Up to `limit` messages oldest to newest: the latest ones, or those before/after an id."""
    limit = limit or app_settings.MESSAGES_PER_PAGE
    queryset = (
        Message.objects.filter(thread_id=thread_id)
        .select_related("sender")
        .only(*(f.name for f in Message._meta.concrete_fields), *(f"sender__{f}" for f in _PERSON_FIELDS))
    )
    if after_id is not None:
        return list(queryset.filter(id__gt=after_id).order_by("id")[:limit])
    if before_id is not None:
        queryset = queryset.filter(id__lt=before_id)
    return list(reversed(queryset.order_by("-id")[:limit]))


def message_get_for_user(*, user_id: int, message_id: int) -> Message:
    """A message in one of the user's threads (else NotAParticipant)."""
    message = (
        Message.objects.filter(id=message_id, thread__participants__user_id=user_id).select_related("sender").first()
    )
    if message is None:
        raise NotAParticipant("Message not found.")
    return message


def block_exists_between(*, user_id: int, other_id: int) -> bool:
    return Block.objects.filter(
        Q(blocker_id=user_id, blocked_id=other_id) | Q(blocker_id=other_id, blocked_id=user_id)
    ).exists()


class BlockState(TypedDict):
    blocked_by_me: bool
    blocked_by_them: bool


def block_state(*, user_id: int, other_id: int) -> BlockState:
    pairs = set(
        Block.objects.filter(
            Q(blocker_id=user_id, blocked_id=other_id) | Q(blocker_id=other_id, blocked_id=user_id)
        ).values_list("blocker_id", flat=True)
    )
    return {"blocked_by_me": user_id in pairs, "blocked_by_them": other_id in pairs}


def blocks_for_user(*, user_id: int) -> QuerySet[Block]:
    return Block.objects.filter(blocker_id=user_id).select_related("blocked").order_by("-created_at", "-id")


def message_payload(*, message: Message, viewer_id: int) -> dict[str, Any]:
    """A message as sent on a thread socket: the body as text, and escaped for HTML (line breaks kept by CSS).
    A deleted message has no body, for either side."""
    sender = message.sender
    body = "" if message.is_deleted else message.body
    return {
        "id": message.pk,
        "thread": message.thread_id,
        "sender": {"username": sender.username, "name": sender.name, "initials": sender.initials},
        "mine": message.sender_id == viewer_id,
        "body": body,
        "body_html": str(escape(body)),
        "created_at": message.created_at.isoformat(),
        "edited_at": message.edited_at.isoformat() if message.edited_at else None,
        "deleted": message.is_deleted,
    }


def message_payload_for_user(*, user_id: int, message_id: int) -> dict[str, Any]:
    return message_payload(message=message_get_for_user(user_id=user_id, message_id=message_id), viewer_id=user_id)


# --- Who may start a conversation ---------------------------------------------------------------


def start_policy() -> str:
    value = MessagingSettings.objects.filter(pk=MessagingSettings.SINGLETON_PK).values_list("start_policy", flat=True)
    return value.first() or StartPolicy.ALL_MEMBERS


def start_refusal_reason(*, user: User) -> str:
    """Why this person may not start new conversations ("" when they may). Staff always may."""
    from accounts.models import MembershipStatus

    from . import moderation_selectors  # it reads this module's models; imported late to stay acyclic

    if user.is_inbox_staff:
        return ""
    suspension = moderation_selectors.suspension_in_force(member_id=user.pk)
    if suspension is not None:
        return moderation_selectors.suspension_notice(suspension=suspension)
    if user.membership_status == MembershipStatus.ACTIVE:
        return ""
    if start_policy() != StartPolicy.ACTIVE_MEMBERS:
        return ""
    status = user.get_membership_status_display().lower()
    return (
        f"Your membership is {status}: you can read and reply in your conversations, "
        "but only members with an active membership can start new ones."
    )


def thread_id_between(*, user_id: int, other_id: int) -> int | None:
    low, high = sorted((user_id, other_id))
    return Thread.objects.filter(user_low_id=low, user_high_id=high).values_list("pk", flat=True).first()


def recipient_search(*, user: User, query: str, limit: int = 10) -> list[User]:
    """Members this user may message whose name matches: active, not themselves, no block either way;
    only people they already talk to when they may not start new conversations."""
    query = query.strip()[:100]
    if not query:
        return []
    from accounts.models import User

    people = (
        User.objects.filter(is_active=True)
        .exclude(pk=user.pk)
        .search(query)
        .exclude(Exists(Block.objects.filter(blocker_id=user.pk, blocked_id=OuterRef("pk"))))
        .exclude(Exists(Block.objects.filter(blocker_id=OuterRef("pk"), blocked_id=user.pk)))
    )
    if start_refusal_reason(user=user):
        people = people.filter(Exists(Participant.objects.filter(user_id=user.pk, other_id=OuterRef("pk"))))
    return list(people.order_by("display_name", "username", "pk")[:limit])


# --- Preferences and read receipts --------------------------------------------------------------


def preferences_get(*, user_id: int) -> Preferences:
    """The member's settings; the defaults (unsaved) when they never changed any."""
    return Preferences.objects.filter(user_id=user_id).first() or Preferences(user_id=user_id)


def receipts_visible(*, viewer_id: int, other_id: int) -> bool:
    """Read receipts show only between two people who both share them (turning them off hides both ways)."""
    return not Preferences.objects.filter(user_id__in=[viewer_id, other_id], read_receipts=False).exists()


def other_read_up_to(*, participant: Participant) -> int | None:
    """The last message the other side of this participant's thread has read (None: nothing yet)."""
    return (
        Participant.objects.filter(thread_id=participant.thread_id, user_id=participant.other_id)
        .values_list("last_read_message_id", flat=True)
        .first()
    )


def seen_up_to(*, viewer_id: int, participant: Participant) -> int | None:
    """The last message the other side has read, as the viewer may see it (None when receipts are off)."""
    if not receipts_visible(viewer_id=viewer_id, other_id=participant.other_id):
        return None
    return other_read_up_to(participant=participant)


# --- Search -------------------------------------------------------------------------------------


def _tsvector(column: str) -> Func:
    # The same expression as the GIN index in migration 0005, so the index serves it. Angle brackets
    # become spaces first: PostgreSQL's parser would otherwise swallow "<towel>" as an XML tag.
    text = Func(column, Value("<>"), Value("  "), function="translate")
    return Func(Value("english"), text, function="to_tsvector", output_field=SearchVectorField())


def message_search(*, user_id: int, query: str, limit: int | None = None) -> list[Message]:
    """The user's own conversations' messages matching `query`, newest first (deleted ones never).
    PostgreSQL: full-text (stemmed English, web-search syntax); elsewhere a case-insensitive match."""
    query = query.strip()[:200]
    if not query:
        return []
    limit = limit or app_settings.SEARCH_RESULTS
    messages = Message.objects.filter(
        thread_id__in=Participant.objects.filter(user_id=user_id).values("thread_id"), deleted_at__isnull=True
    )
    if connection.vendor == "postgresql":
        messages = messages.annotate(document=_tsvector("body")).filter(
            document=SearchQuery(query, config="english", search_type="websearch")
        )
    else:
        messages = messages.filter(body__icontains=query)
    return list(messages.select_related("sender", "thread").order_by("-id")[:limit])
