"""Reads of the staff inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connection
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, Func, OuterRef, Q, QuerySet, Value

from .exceptions import ConversationNotFound, SavedReplyNotFound
from .models import Contact, Conversation, ConversationStatus, InboxMessage, Label, Note, ReadState, SavedReply


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
    """The staff badge: conversations unread *for me* that are open or assigned to me (one COUNT).

    None for anyone who isn't inbox staff (members and anonymous visitors have no inbox badge).
    """
    if not getattr(user, "is_authenticated", False) or not user.is_inbox_staff:
        return None
    return (
        Conversation.objects.filter(Q(status=ConversationStatus.OPEN) | Q(assignee=user))
        .filter(_unread_for(user))
        .count()
    )


# Up to this many matching messages, search keeps their conversation ids (a small hashed set); past it,
# a common word, each listed conversation is checked for a match in order, so a page fills quickly.
TEXT_MATCHES_AS_SET = 2000


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
    # One bounded read of the index decides the plan: a rare word's few conversations as a set, or a
    # common word checked per conversation (an IN over hundreds of thousands of ids is a slow subplan).
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
    joined, `unread_for_me` is an EXISTS on the user's read pointer, and labels are one prefetch.
    """
    conversations = (
        Conversation.objects.filter(last_message_at__isnull=False)
        .select_related("contact", "contact__user", "assignee")
        .prefetch_related("labels")
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
    parts: dict[str, QuerySet[Conversation]] = {
        value: listed.filter(status=value) for value in ConversationStatus.values
    }
    parts["all"] = listed
    parts["mine"] = active.filter(Q(assignee=user) | Q(_mentioned(user)))
    parts["unassigned"] = active.filter(assignee__isnull=True)
    parts["unread"] = active.filter(_unread_for(user))
    selects: list[str] = []
    params: list[Any] = []
    for name, queryset in parts.items():
        sql, part_params = queryset.values("pk")[: COUNT_CAP + 1].query.sql_with_params()
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped_{name})")  # noqa: S608 (compiled by the ORM)
        params.extend(part_params)
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


def conversation_get(*, conversation_id: int) -> Conversation:
    conversation = Conversation.objects.select_related("contact", "contact__user").filter(pk=conversation_id).first()
    if conversation is None:
        raise ConversationNotFound()
    return conversation


def conversation_messages(*, conversation: Conversation) -> QuerySet[InboxMessage]:
    """Oldest first, as a conversation reads."""
    return InboxMessage.objects.filter(conversation=conversation).select_related("author").order_by("sent_at", "pk")


def saved_reply_list() -> QuerySet[SavedReply]:
    return SavedReply.objects.select_related("created_by")


def saved_reply_get(*, saved_reply_id: int) -> SavedReply:
    saved_reply = SavedReply.objects.select_related("created_by").filter(pk=saved_reply_id).first()
    if saved_reply is None:
        raise SavedReplyNotFound()
    return saved_reply
