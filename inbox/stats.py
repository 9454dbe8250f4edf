"""Reads for the staff Stats page (/inbox/stats/) and its CSV: a few aggregate queries over a date range.

Days and hours are the club's (Django's current time zone, TIME_ZONE). Every figure costs one query
whatever the data's size, except the first-response median, which reads the range's messages once
(timestamps only) and pairs them in Python. Other apps add figures through `source_register` (the
AI agent's decisions by reason), so the inbox never imports them.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import Coalesce, ExtractHour, TruncDate
from django.utils import timezone

from .exceptions import InvalidStatsRange
from .models import AuthorKind, Channel, Conversation, ConversationStatus, Direction, InboxMessage

DEFAULT_DAYS = 30
MAX_DAYS = 366
RESPONDERS = (AuthorKind.STAFF, AuthorKind.AI)
REPLY_HORIZON = timedelta(days=7)


@dataclass(frozen=True)
class StatsRange:
    """Club days `first` to `last`, both included."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def end(self) -> datetime:
        """The first instant after the range (midnight after `last`, club time)."""
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), time.min))

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def stats_range_parse(*, first: str | None, last: str | None, today: date | None = None) -> StatsRange:
    """The range from `?from=YYYY-MM-DD&to=YYYY-MM-DD`; by default the last 30 club days up to today."""
    today = today or timezone.localdate()
    try:
        last_day = date.fromisoformat(last) if last else today
        first_day = date.fromisoformat(first) if first else last_day - timedelta(days=DEFAULT_DAYS - 1)
    except (TypeError, ValueError) as error:
        raise InvalidStatsRange("Dates are written YYYY-MM-DD, e.g. 2026-03-01.") from error
    if first_day > last_day:
        raise InvalidStatsRange("The range starts after it ends.")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise InvalidStatsRange(f"Choose at most {MAX_DAYS} days.")
    if first_day.year < 2000 or last_day.year > 2999:
        raise InvalidStatsRange("Choose dates between 2000 and 2999.")
    return StatsRange(first=first_day, last=last_day)


@dataclass(frozen=True)
class DayCount:
    day: date
    channel: str
    inbound: int
    outbound: int


def messages_per_day(*, span: StatsRange) -> list[DayCount]:
    """Inbound and outbound messages per club day and channel (every day and channel, zeros included)."""
    rows = (
        InboxMessage.objects.filter(sent_at__gte=span.start, sent_at__lt=span.end)
        .annotate(day=TruncDate("sent_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "channel", "direction")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {(row["day"], row["channel"], row["direction"]): row["n"] for row in rows}
    return [
        DayCount(
            day=day,
            channel=channel,
            inbound=counts.get((day, channel, Direction.INBOUND), 0),
            outbound=counts.get((day, channel, Direction.OUTBOUND), 0),
        )
        for day in span.days
        for channel in Channel.values
    ]


@dataclass(frozen=True)
class FirstResponse:
    median_seconds: float | None
    answered: int
    unanswered: int


def first_response(*, span: StatsRange, now: datetime | None = None) -> FirstResponse:
    """How long a member who writes waits for the first staff or AI reply.

    A wait opens with an inbound message that starts or reopens the exchange (the conversation's first
    message in the range, or the first inbound after an outbound one) and closes with the next staff or
    AI reply (a system message does not answer). Waits opened in the range count; their replies are
    looked for up to REPLY_HORIZON after it (later, or none: unanswered).
    """
    horizon = min(span.end + REPLY_HORIZON, now or timezone.now())
    rows = (
        InboxMessage.objects.filter(sent_at__gte=span.start, sent_at__lt=horizon)
        .order_by("conversation_id", "sent_at", "id")
        .values_list("conversation_id", "direction", "author_kind", "sent_at")
    )
    waits: list[float] = []
    unanswered = 0
    conversation: int | None = None
    opened: datetime | None = None  # the inbound message the member is waiting on a reply to
    may_open = True  # the next inbound message starts a new wait (the conversation's first, or after a reply)
    for conversation_id, direction, author_kind, sent_at in rows.iterator(chunk_size=2000):
        if conversation_id != conversation:
            unanswered += opened is not None
            conversation, opened, may_open = conversation_id, None, True
        if direction == Direction.INBOUND:
            if may_open and opened is None and sent_at < span.end:
                opened = sent_at
            may_open = False
        else:
            if opened is not None and author_kind in RESPONDERS:
                waits.append((sent_at - opened).total_seconds())
                opened = None
            may_open = True
    unanswered += opened is not None
    return FirstResponse(
        median_seconds=statistics.median(waits) if waits else None, answered=len(waits), unanswered=unanswered
    )


AGE_BUCKETS: list[tuple[str, timedelta | None]] = [
    ("Under 1 hour", timedelta(hours=1)),
    ("1–4 hours", timedelta(hours=4)),
    ("4–24 hours", timedelta(days=1)),
    ("1–3 days", timedelta(days=3)),
    ("3–7 days", timedelta(days=7)),
    ("Over 7 days", None),
]


def open_by_age(*, now: datetime | None = None) -> list[tuple[str, int]]:
    """Open conversations by how long they have been open (since their last status change), right now."""
    now = now or timezone.now()
    since = Coalesce("status_changed_at", "created_at")
    aggregates: dict[str, Any] = {}
    lower: timedelta = timedelta(0)
    for index, (_, upper) in enumerate(AGE_BUCKETS):
        condition = Q(opened_at__lte=now - lower)
        if upper is not None:
            condition &= Q(opened_at__gt=now - upper)
        aggregates[f"b{index}"] = Count("id", filter=condition)
        lower = upper or lower
    counts = (
        Conversation.objects.filter(status=ConversationStatus.OPEN).annotate(opened_at=since).aggregate(**aggregates)
    )
    return [(label, counts[f"b{index}"]) for index, (label, _) in enumerate(AGE_BUCKETS)]


def busiest_hours(*, span: StatsRange) -> list[int]:
    """Inbound messages per hour of the club's day (24 numbers, 0:00–23:00)."""
    rows = (
        InboxMessage.objects.filter(sent_at__gte=span.start, sent_at__lt=span.end, direction=Direction.INBOUND)
        .annotate(hour=ExtractHour("sent_at", tzinfo=timezone.get_current_timezone()))
        .values("hour")
        .annotate(n=Count("id"))
        .order_by()
    )
    hours = [0] * 24
    for row in rows:
        hours[row["hour"]] = row["n"]
    return hours


@dataclass(frozen=True)
class StaffReplies:
    name: str
    replies: int


def replies_per_staff(*, span: StatsRange) -> list[StaffReplies]:
    """Staff replies in the range per author, most first."""
    rows = (
        InboxMessage.objects.filter(
            sent_at__gte=span.start,
            sent_at__lt=span.end,
            direction=Direction.OUTBOUND,
            author_kind=AuthorKind.STAFF,
        )
        .values("author_id", "author__display_name", "author__first_name", "author__last_name", "author__username")
        .annotate(n=Count("id"))
        .order_by("-n", "author_id")
    )
    result = []
    for row in rows:
        full = f"{row['author__first_name']} {row['author__last_name']}".strip()
        name = row["author__display_name"] or full or row["author__username"] or "A former staff member"
        result.append(StaffReplies(name=name, replies=row["n"]))
    return result


# --- Figures other apps add ------------------------------------------------------------------------

StatsSource = Callable[..., list[tuple[str, int]]]  # source(*, start, end) -> [(label, count)]


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    read: StatsSource


_sources: dict[str, Source] = {}


def source_register(*, key: str, title: str, read: StatsSource) -> None:
    """Add a labelled-count figure to the Stats page and CSV (registered again: replaced)."""
    _sources[key] = Source(key=key, title=title, read=read)


def source_unregister(key: str) -> None:
    _sources.pop(key, None)


@dataclass(frozen=True)
class SourceFigure:
    key: str
    title: str
    rows: list[tuple[str, int]]


@dataclass(frozen=True)
class Stats:
    span: StatsRange
    per_day: list[DayCount]
    first_response: FirstResponse
    open_by_age: list[tuple[str, int]]
    busiest_hours: list[int]
    replies_per_staff: list[StaffReplies]
    extra: list[SourceFigure] = field(default_factory=list)


def stats_get(*, span: StatsRange, now: datetime | None = None) -> Stats:
    return Stats(
        span=span,
        per_day=messages_per_day(span=span),
        first_response=first_response(span=span, now=now),
        open_by_age=open_by_age(now=now),
        busiest_hours=busiest_hours(span=span),
        replies_per_staff=replies_per_staff(span=span),
        extra=[
            SourceFigure(key=s.key, title=s.title, rows=s.read(start=span.start, end=span.end))
            for s in list(_sources.values())
        ],
    )
