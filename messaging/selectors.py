"""Reads for direct messages: the switch, unread counts, threads, messages, blocks."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Exists, Func, OuterRef, Q, QuerySet, Sum, Value
from django.utils.html import escape

from .app_settings import app_settings
from .exceptions import MessagingDisabled, NotAParticipant
from .models import Block, Message, MessagingSettings, Participant, Preferences, StartPolicy, Thread

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


def participant_page(*, user_id: int, archived: bool, page_number: str | None, per_page: int) -> Page:
    """One page of the thread list. Pages by ids first (an index-only scan, however deep the page),
    then joins what the rows show for those 25 ids only."""
    ids = Participant.objects.for_user(user_id).inbox(archived=archived).values_list("id", flat=True)
    page = Paginator(ids, per_page).get_page(page_number)
    rows = {
        row.pk: row
        for row in Participant.objects.filter(id__in=list(page.object_list)).select_related(
            "other", "thread__last_message__sender"
        )
    }
    return Page([rows[pk] for pk in page.object_list if pk in rows], page.number, page.paginator)


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
    queryset = Message.objects.filter(thread_id=thread_id).select_related("sender")
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
