"""Reads of the staff inbox."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connection, models
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Lower

from accounts.models import User
from core.timefmt import club_time_format

from .exceptions import ConversationNotFound, SavedReplyNotFound, StaffMemberNotFound
from .models import (
    BadgeEntry,
    Contact,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    EventKind,
    InboxMessage,
    Label,
    Note,
    Priority,
    ReadState,
    SavedReply,
    StaffBadge,
)


class Scope:
    """Whose conversations the list shows."""

    ALL = "all"
    MINE = "mine"
    UNASSIGNED = "unassigned"
    CHOICES = (ALL, MINE, UNASSIGNED)


def _read_by(user: Any) -> Exists:
    """The user's read pointer has reached the conversation's newest inbound message."""
    return Exists(
        ReadState.objects.filter(
            conversation=OuterRef("pk"), user=user, last_read_message_id__gte=OuterRef("last_inbound_id")
        )
    )


def _unread_for(user: Any) -> Q:
    """Unread for this staff member: an inbound message past their own read pointer (or no pointer yet)."""
    return Q(last_inbound_id__isnull=False) & ~Q(_read_by(user))


def _mentioned(user: Any) -> Exists:
    return Exists(Note.objects.filter(conversation=OuterRef("pk"), mentions=user))


def _mine(user: Any) -> Q:
    """Assigned to me, or I'm @mentioned in a note of a conversation that isn't resolved."""
    return Q(assignee=user) | (~Q(status=ConversationStatus.RESOLVED) & Q(_mentioned(user)))


def staff_unread_count(*, user: Any) -> int | None:
    """The staff badge: conversations unread *for me* that are open or assigned to me.

    One index-only COUNT of my badge entries (kept by `services.badges`); the first read of a new
    staff member's badge builds them. None for anyone who isn't inbox staff (members and anonymous
    visitors have no inbox badge).
    """
    if not getattr(user, "is_authenticated", False) or not user.is_inbox_staff:
        return None
    entries, badges = BadgeEntry._meta.db_table, StaffBadge._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {entries} WHERE user_id = %s AND counted = %s),"  # noqa: S608 (table names)
            f" EXISTS (SELECT 1 FROM {badges} WHERE user_id = %s)",
            [user.pk, True, user.pk],
        )
        count, built = cursor.fetchone()
    if built:
        return int(count)
    from .services.badges import badge_build  # the one write a read may need: a badge's first build

    badge_build(user_id=user.pk)
    return BadgeEntry.objects.filter(user_id=user.pk, counted=True).count()


# Up to this many matching messages, search keeps their conversation ids (a small hashed set); past it,
# a common word, each listed conversation is checked for a match in order, so a page fills quickly.
TEXT_MATCHES_AS_SET = 2000


def _estimated_rows(queryset: QuerySet[Any]) -> int:
    """PostgreSQL's estimate of how many rows the query returns (EXPLAIN: planned, not run)."""
    plan = json.loads(queryset.explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def _message_text_matches(query: str) -> Q:
    if connection.vendor != "postgresql":
        return Q(pk__in=InboxMessage.objects.filter(body__icontains=query).values("conversation_id"))
    # The GIN index of migration 0007 (the same expression): stemmed English, web-search syntax.
    document = Func(
        Value("english"),
        Func(F("body"), Value("<>"), Value("  "), function="translate"),
        function="to_tsvector",
        output_field=SearchVectorField(),
    )
    matching = InboxMessage.objects.annotate(document=document).filter(
        document=SearchQuery(query, config="english", search_type="websearch")
    )
    # A rare word's few conversations as a set, or a common word checked per listed conversation (an IN
    # over hundreds of thousands of ids is a slow subplan). The planner's estimate (from the index's word
    # statistics) spots a common word without reading it: even a bounded read of a GIN index first
    # collects every match (~90 ms for a word in a sixth of 2,000,000 messages).
    if _estimated_rows(matching.order_by().values("conversation_id")) > 10 * TEXT_MATCHES_AS_SET:
        return Q(Exists(matching.filter(conversation=OuterRef("pk"))))
    found = list(matching.order_by().values_list("conversation_id", flat=True)[: TEXT_MATCHES_AS_SET + 1])
    if len(found) <= TEXT_MATCHES_AS_SET:
        return Q(pk__in=set(found))
    return Q(Exists(matching.filter(conversation=OuterRef("pk"))))


def _people_matches(query: str) -> Q:
    if connection.vendor != "postgresql":
        return (
            Q(contact__name__icontains=query)
            | Q(contact__email__icontains=query)
            | Q(contact__phone__icontains=query)
            | Q(contact__user__display_name__icontains=query)
        )
    # As for text: bounded reads by the trigram indexes of migration 0007 (a BitmapOr over the three),
    # then a set of contact ids; an OR across joined tables would read every conversation instead.
    own = Contact.objects.filter(Q(name__icontains=query) | Q(email__icontains=query) | Q(phone__icontains=query))
    linked = Contact.objects.filter(user__display_name__icontains=query)
    found: set[int] = set()
    for contacts in (own, linked):
        ids = list(contacts.order_by().values_list("pk", flat=True)[: TEXT_MATCHES_AS_SET + 1])
        if len(ids) > TEXT_MATCHES_AS_SET:  # a fragment half the club shares: checked per listed conversation
            return (
                Q(contact__name__icontains=query)
                | Q(contact__email__icontains=query)
                | Q(contact__phone__icontains=query)
                | Q(contact__user__display_name__icontains=query)
            )
        found.update(ids)
    return Q(contact_id__in=found)


def _search(query: str) -> Q:
    """Contact name (and the linked account's), phone, email, and message text."""
    return _people_matches(query) | _message_text_matches(query)


@dataclass(frozen=True)
class ListCursor:
    """Where a page of the list ends: the last row's (last_message_at, id), for keyset pagination."""

    last_message_at: datetime
    conversation_id: int


def conversation_list(
    *,
    user: Any,
    status: str = "",
    scope: str = Scope.ALL,
    label_id: int | None = None,
    channel: str = "",
    source: str = "",
    unread_only: bool = False,
    q: str = "",
    updated_since: datetime | None = None,
    after: ListCursor | None = None,
) -> QuerySet[Conversation]:
    """Conversations with messages, latest activity first, each row with what the list shows.

    A constant number of queries however many rows: the contact, its account and the assignee are
    joined, `unread_for_me` is an EXISTS on the user's read pointer, and labels are one prefetch
    (`label_list` on each row).
    """
    conversations = (
        Conversation.objects.filter(last_message_at__isnull=False)
        .select_related("contact", "contact__user", "assignee")
        # to_attr: a plain list per row, without a related manager built for each of them.
        .prefetch_related(Prefetch("labels", to_attr="label_list"))
        .annotate(unread_for_me=ExpressionWrapper(_unread_for(user), output_field=BooleanField()))
        .order_by("-last_message_at", "-pk")
    )
    if status:
        conversations = conversations.filter(status=status)
    if scope == Scope.MINE:
        conversations = conversations.filter(_mine(user))
    elif scope == Scope.UNASSIGNED:
        conversations = conversations.filter(assignee__isnull=True)
    if label_id is not None:
        conversations = conversations.filter(labels=label_id)
    if channel:
        conversations = conversations.filter(last_message_channel=channel)
    if source:
        conversations = conversations.filter(source=source)
    if unread_only:
        conversations = conversations.filter(_unread_for(user))
    if q:
        conversations = conversations.filter(_search(q))
    if updated_since is not None:
        conversations = conversations.filter(updated_at__gte=updated_since)
    if after is not None:
        conversations = conversations.filter(
            Q(last_message_at__lt=after.last_message_at)
            | Q(last_message_at=after.last_message_at, pk__lt=after.conversation_id)
        )
    return conversations


def conversation_exists(*, conversation_id: int) -> bool:
    if not 0 < conversation_id < 2**63:  # the URL takes any digits; the database takes 64-bit ids
        return False
    return Conversation.objects.filter(pk=conversation_id).exists()


def conversation_list_page(
    *, conversations: QuerySet[Conversation], size: int
) -> tuple[list[Conversation], ListCursor | None]:
    """One page of a conversation_list and the cursor of the next (None on the last page): no COUNT."""
    rows = list(conversations[: size + 1])
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    last = rows[-1]
    if last.last_message_at is None:  # conversation_list only lists conversations with messages
        return rows, None
    return rows, ListCursor(last_message_at=last.last_message_at, conversation_id=last.pk)


def conversation_recent(*, user: Any, since: datetime) -> QuerySet[Conversation]:
    """Conversations with activity since then, latest first."""
    return conversation_list(user=user).filter(last_message_at__gte=since)


# The filter bar counts up to this many and then says "1,000+": a count never scans the whole inbox.
COUNT_CAP = 1000


def conversation_filter_counts(*, user: Any) -> dict[str, int]:
    """The numbers on the filter bar (one query; each capped at COUNT_CAP + 1, see count_label).

    Per status over every listed conversation; mine / unassigned / unread (for me) over the ones not resolved.
    """
    listed = Conversation.objects.filter(last_message_at__isnull=False).order_by()
    active = listed.exclude(status=ConversationStatus.RESOLVED)
    parts: dict[str, QuerySet[Any]] = {value: listed.filter(status=value) for value in ConversationStatus.values}
    parts["all"] = listed
    # Mine = assigned to me ∪ mentioning me: a union, so each side is read by its own index (an OR of the
    # two is one scan of every conversation not resolved).
    assigned = active.filter(assignee=user).values("pk")
    mentioning = active.filter(pk__in=Note.objects.filter(mentions=user).values("conversation_id")).values("pk")
    parts["mine"] = assigned.union(mentioning).order_by()
    parts["unassigned"] = active.filter(assignee__isnull=True)
    parts["unread"] = active.filter(_unread_for(user))
    # Once my badge is built, my entries are every conversation unread for me and not resolved (or mine):
    # walking them replaces an anti-join over every conversation not resolved (~70 ms at 100k when I have
    # read nearly all of them).
    unread_by_entries = active.filter(pk__in=BadgeEntry.objects.filter(user=user).values("conversation_id"))
    selects: list[str] = []
    params: list[Any] = []

    def capped(name: str, queryset: QuerySet[Any]) -> str:
        ids = queryset if queryset.query.combinator else queryset.values("pk")
        sql, part_params = ids[: COUNT_CAP + 1].query.sql_with_params()
        params.extend(part_params)
        return f"(SELECT COUNT(*) FROM ({sql}) AS capped_{name})"  # noqa: S608 (compiled by the ORM)

    for name, queryset in parts.items():
        if name == "unread":
            built = f"EXISTS (SELECT 1 FROM {StaffBadge._meta.db_table} WHERE user_id = %s)"  # noqa: S608
            params.append(user.pk)
            fast = capped("unread_entries", unread_by_entries)
            selects.append(f"CASE WHEN {built} THEN {fast} ELSE {capped(name, queryset)} END")
        elif name == "mine":
            # Past the cap with my assignments alone (the partial index, counted without the table), the
            # union is never read: PostgreSQL runs a CASE branch's subquery only when it is taken.
            enough = capped("assigned", assigned)
            selects.append(f"CASE WHEN {enough} > {COUNT_CAP} THEN {COUNT_CAP + 1} ELSE {capped(name, queryset)} END")
        else:
            selects.append(capped(name, queryset))
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        row = cursor.fetchone()
    return {name: int(value) for name, value in zip(parts, row, strict=True)}


def count_label(count: int) -> str:
    """ "12", or "1,000+" past the cap."""
    return f"{COUNT_CAP:,}+" if count > COUNT_CAP else f"{count:,}"


def conversation_sources() -> list[str]:
    """The sources conversations came from (for the filter bar), without reading every conversation: a
    loose index scan (each step one lookup in the source index), as DISTINCT would scan them all."""
    table = Conversation._meta.db_table
    sql = f"""
        WITH RECURSIVE found(source) AS (
            SELECT MIN(source) FROM {table}
            UNION ALL
            SELECT (SELECT MIN(source) FROM {table} WHERE source > found.source) FROM found
            WHERE found.source IS NOT NULL
        )
        SELECT source FROM found WHERE source IS NOT NULL
    """  # noqa: S608 (no input: the table name comes from the model)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [source for (source,) in cursor.fetchall()]


def label_list() -> QuerySet[Label]:
    return Label.objects.all()


def conversation_get(*, conversation_id: int, reader: Any = None) -> Conversation:
    """The conversation with its contact, linked account and assignee; with a `reader`, also how far they
    have read, in the same query (`read_pointers[reader.pk]`, which `conversation_mark_read` then trusts)."""
    conversations = Conversation.objects.select_related("contact", "contact__user", "assignee").filter(
        pk=conversation_id
    )
    if reader is not None:
        pointer = ReadState.objects.filter(conversation=OuterRef("pk"), user=reader).values("last_read_message_id")
        conversations = conversations.annotate(reader_pointer=Subquery(pointer[:1]))
    conversation = conversations.first()
    if conversation is None:
        raise ConversationNotFound()
    if reader is not None:
        conversation.read_pointers = {reader.pk: getattr(conversation, "reader_pointer", None) or 0}  # type: ignore[attr-defined]
    return conversation


def conversation_messages(*, conversation: Conversation) -> QuerySet[InboxMessage]:
    """Oldest first, as a conversation reads."""
    return InboxMessage.objects.filter(conversation=conversation).select_related("author").order_by("sent_at", "pk")


def conversations_mentioning(*, user: Any) -> QuerySet[Conversation]:
    """Conversations with a note that @mentions this staff member (the list's "mine" adds these to the
    assigned ones; filter by status on top). One subquery, chainable."""
    return Conversation.objects.filter(pk__in=Note.objects.filter(mentions=user).values("conversation_id"))


@dataclass(frozen=True)
class TimelineItem:
    """One row of the conversation page's timeline: a message, a note or an audit event."""

    kind: str  # "message" | "note" | "event"
    at: datetime
    obj: Any

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.obj.pk}"

    @property
    def summary(self) -> str:
        return event_summary(self.obj) if self.kind == "event" else ""


def _display(choices: type[models.TextChoices], value: Any) -> str:
    return str(choices(value).label) if value in choices.values else str(value)


def event_summary(event: ConversationEvent) -> str:
    """One line for the timeline: "Sam assigned it to Alex", "Status: Open → Resolved" (plain text)."""
    who = event.actor.name if event.actor is not None else "Clubroom"
    details = event.details
    if event.kind == EventKind.ASSIGNED:
        return f"{who} assigned it to {details['to_name']}" if details.get("to") else f"{who} unassigned it"
    if event.kind == EventKind.LABELLED:
        labels = ", ".join(details.get("to") or []) or "none"
        return f"{who} set the labels: {labels}"
    if event.kind == EventKind.PRIORITY:
        before, after = _display(Priority, details.get("from")), _display(Priority, details.get("to"))
        return f"{who} changed the priority: {before} → {after}"
    if event.kind == EventKind.STATUS:
        before, after = (
            _display(ConversationStatus, details.get("from")),
            _display(ConversationStatus, details.get("to")),
        )
        reason = f" ({details['reason']})" if details.get("reason") else ""
        return f"{who} changed the status: {before} → {after}{reason}"
    if event.kind == EventKind.SNOOZED:
        until = details.get("until")
        when = club_time_format(datetime.fromisoformat(until)) if until else "later"
        return f"{who} snoozed it until {when}"
    return f"{who}: {event.get_kind_display().lower()}"


# Read and unread are one staff member's own business: the shared timeline leaves them out.
PRIVATE_EVENTS = (EventKind.READ, EventKind.UNREAD)
_ORDER = {"message": 0, "note": 1, "event": 2}


def conversation_timeline(*, conversation: Conversation) -> list[TimelineItem]:
    """Messages, notes and team events, oldest first (three queries, merged in Python)."""
    messages = conversation_messages(conversation=conversation)
    notes = Note.objects.filter(conversation=conversation).select_related("author").prefetch_related("mentions")
    events = (
        ConversationEvent.objects.filter(conversation=conversation)
        .exclude(kind__in=PRIVATE_EVENTS)
        .exclude(kind__in=[EventKind.REPLIED, EventKind.NOTED])  # the message or note itself shows them
        .select_related("actor")
    )
    items = [
        *(TimelineItem("message", message.sent_at, message) for message in messages),
        *(TimelineItem("note", note.created_at, note) for note in notes),
        *(TimelineItem("event", event.created_at, event) for event in events),
    ]
    items.sort(key=lambda item: (item.at, _ORDER[item.kind], item.obj.pk))
    return items


def conversation_events(*, conversation: Conversation) -> QuerySet[ConversationEvent]:
    """The whole audit trail (the API's), oldest first."""
    return (
        ConversationEvent.objects.filter(conversation=conversation).select_related("actor").order_by("created_at", "pk")
    )


def conversation_notes(*, conversation: Conversation) -> QuerySet[Note]:
    return Note.objects.filter(conversation=conversation).select_related("author").prefetch_related("mentions")


def read_pointer(*, conversation: Conversation, user: Any) -> int:
    """How far this staff member has read (0: nothing)."""
    state = ReadState.objects.filter(conversation=conversation, user=user).values_list(
        "last_read_message_id", flat=True
    )
    return state.first() or 0


def conversation_others(*, conversation: Conversation) -> QuerySet[Conversation]:
    """Other conversations of the same person: the same linked account, email or phone."""
    contact = conversation.contact
    same = Q()
    if contact.user_id is not None:
        same |= Q(contact__user_id=contact.user_id)
    if contact.email:
        same |= Q(contact__email__iexact=contact.email)
    if contact.phone:
        same |= Q(contact__phone=contact.phone)
    if not same:
        return Conversation.objects.none()
    return Conversation.objects.filter(same).exclude(pk=conversation.pk).select_related("contact").latest_first()


def labels_list() -> QuerySet[Label]:
    return Label.objects.order_by(Lower("name"), "pk")


def labels_with_selection(*, conversation: Conversation) -> QuerySet[Label]:
    """Every label, each with `selected`: whether it is on this conversation (one query)."""
    on_it = Conversation.labels.through.objects.filter(conversation_id=conversation.pk, label_id=OuterRef("pk"))
    return Label.objects.annotate(selected=Exists(on_it)).order_by(Lower("name"), "pk")


def assignable_staff() -> QuerySet[User]:
    return User.objects.inbox_staff().order_by("first_name", "username")


def staff_member_get(*, user_id: int) -> User:
    """An active staff member someone may assign a conversation to."""
    user = User.objects.inbox_staff().filter(pk=user_id).first()
    if user is None:
        raise StaffMemberNotFound()
    return user


def saved_replies_list() -> QuerySet[SavedReply]:
    return SavedReply.objects.order_by("title", "pk")


def saved_replies_for(*, conversation: Conversation) -> list[tuple[SavedReply, str]]:
    """Each saved reply with its text filled in for this member (one query)."""
    from .services.saved_replies import saved_reply_render  # a pure function over the rows read here

    return [(reply, saved_reply_render(saved_reply=reply, conversation=conversation)) for reply in saved_replies_list()]


def saved_reply_list() -> QuerySet[SavedReply]:
    return SavedReply.objects.select_related("created_by")


def saved_reply_get(*, saved_reply_id: int) -> SavedReply:
    saved_reply = SavedReply.objects.select_related("created_by").filter(pk=saved_reply_id).first()
    if saved_reply is None:
        raise SavedReplyNotFound()
    return saved_reply
