"""The Stats page's figures on known data (club days and hours, exact medians, age buckets), its CSV,
its roles and its query count. Dates are relative to the suite's clock (`--clubroom-now`)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ai_agent.models import Decision
from inbox import stats
from inbox.exceptions import InvalidStatsRange
from inbox.models import AuthorKind, ConversationStatus
from tests.inbox.factories import ConversationFactory, InboxMessageFactory
from tests.messaging.factories import make_member, make_staff

pytestmark = pytest.mark.django_db


def _club(day: date, hour: int, minute: int = 0) -> datetime:
    """An instant on a club day (the club's time zone, whatever the machine's)."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def base_day() -> date:
    return timezone.localdate() - timedelta(days=10)


def _msg(conversation, when, *, direction="inbound", kind=AuthorKind.MEMBER, channel="sms", author=None):
    return InboxMessageFactory(
        conversation=conversation, sent_at=when, direction=direction, author_kind=kind, channel=channel, author=author
    )


# --- the range ---------------------------------------------------------------------------------


def test_default_range_is_the_last_30_club_days_up_to_today():
    span = stats.stats_range_parse(first=None, last=None)
    assert span.last == timezone.localdate()
    assert (span.last - span.first).days == 29
    assert len(span.days) == 30


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2026-13-01", "2026-12-01", "YYYY-MM-DD"),
        ("yesterday", None, "YYYY-MM-DD"),
        ("2026-03-02", "2026-03-01", "starts after it ends"),
        ("2025-01-01", "2026-03-01", "at most 366"),
        ("1000-01-01", "1000-01-02", "between 2000 and 2999"),
    ],
)
def test_bad_ranges_are_refused(first, last, message):
    with pytest.raises(InvalidStatsRange, match=message):
        stats.stats_range_parse(first=first, last=last)


def test_a_club_day_runs_midnight_to_midnight_club_time():
    span = stats.stats_range_parse(first="2026-03-01", last="2026-03-01")
    assert timezone.localtime(span.start).time() == time(0, 0)
    assert timezone.localtime(span.start).date() == date(2026, 3, 1)
    assert timezone.localtime(span.end).time() == time(0, 0)
    assert timezone.localtime(span.end).date() == date(2026, 3, 2)


# --- messages per day and hour ---------------------------------------------------------------


def test_messages_per_day_by_channel_with_the_club_day_boundary(base_day):
    conversation = ConversationFactory()
    _msg(conversation, _club(base_day, 23, 59))  # the last minute of the day, club time
    _msg(conversation, _club(base_day + timedelta(days=1), 0, 0))  # the next day's first
    _msg(conversation, _club(base_day, 12), direction="outbound", kind=AuthorKind.STAFF)
    _msg(conversation, _club(base_day, 13), channel="email")
    _msg(conversation, _club(base_day - timedelta(days=1), 23, 59))  # before the range
    span = stats.StatsRange(first=base_day, last=base_day + timedelta(days=1))

    rows = {(r.day, r.channel): (r.inbound, r.outbound) for r in stats.messages_per_day(span=span)}

    assert rows == {
        (base_day, "sms"): (1, 1),
        (base_day, "email"): (1, 0),
        (base_day + timedelta(days=1), "sms"): (1, 0),
        (base_day + timedelta(days=1), "email"): (0, 0),
    }


def test_busiest_hours_count_inbound_per_club_hour(base_day):
    conversation = ConversationFactory()
    for hour, minute in ((7, 0), (7, 59), (18, 30), (0, 0), (23, 59)):
        _msg(conversation, _club(base_day, hour, minute))
    _msg(conversation, _club(base_day, 7, 30), direction="outbound", kind=AuthorKind.STAFF)  # not inbound

    hours = stats.busiest_hours(span=stats.StatsRange(first=base_day, last=base_day))

    assert hours[7] == 2
    assert hours[18] == 1
    assert hours[0] == 1
    assert hours[23] == 1
    assert sum(hours) == 5


# --- first response ----------------------------------------------------------------------------


def test_median_first_response_is_exact(base_day):
    one, two, three, four = (ConversationFactory() for _ in range(4))
    # one: member writes twice (one wait), staff answers after 10 min; later a new exchange answered in 30 min
    _msg(one, _club(base_day, 9, 0))
    _msg(one, _club(base_day, 9, 5))
    _msg(one, _club(base_day, 9, 10), direction="outbound", kind=AuthorKind.STAFF)
    _msg(one, _club(base_day, 11, 0))
    _msg(one, _club(base_day, 11, 30), direction="outbound", kind=AuthorKind.AI)
    # two: a system message does not answer; staff does after 2 h
    _msg(two, _club(base_day, 10, 0))
    _msg(two, _club(base_day, 10, 1), direction="outbound", kind=AuthorKind.SYSTEM)
    _msg(two, _club(base_day, 12, 0), direction="outbound", kind=AuthorKind.STAFF)
    # three: answered the next day, after the range ends: still counted (20 h)
    _msg(three, _club(base_day, 14, 0))
    _msg(three, _club(base_day + timedelta(days=1), 10, 0), direction="outbound", kind=AuthorKind.STAFF)
    # four: never answered
    _msg(four, _club(base_day, 15, 0))

    result = stats.first_response(span=stats.StatsRange(first=base_day, last=base_day))

    # waits: 10 min, 30 min, 120 min, 1200 min → median (30 + 120) / 2 = 75 min
    assert result.answered == 4
    assert result.unanswered == 1
    assert result.median_seconds == 75 * 60


def test_odd_count_median_and_a_wait_opened_after_the_range_is_left_out(base_day):
    conversation = ConversationFactory()
    for start, minutes in ((8, 1), (9, 3), (10, 7)):
        _msg(conversation, _club(base_day, start))
        _msg(conversation, _club(base_day, start, minutes), direction="outbound", kind=AuthorKind.STAFF)
    _msg(conversation, _club(base_day + timedelta(days=1), 8))  # the next day: outside the range

    result = stats.first_response(span=stats.StatsRange(first=base_day, last=base_day))

    assert (result.median_seconds, result.answered, result.unanswered) == (180, 3, 0)


# --- open conversations by age ------------------------------------------------------------------


def test_open_conversations_by_age_bucket():
    now = timezone.now()
    for ago in (timedelta(minutes=5), timedelta(hours=2), timedelta(hours=3), timedelta(days=2), timedelta(days=30)):
        ConversationFactory(status=ConversationStatus.OPEN, status_changed_at=now - ago)
    ConversationFactory(status=ConversationStatus.RESOLVED, status_changed_at=now - timedelta(days=30))

    buckets = dict(stats.open_by_age(now=now))

    assert buckets == {
        "Under 1 hour": 1,
        "1–4 hours": 2,
        "4–24 hours": 0,
        "1–3 days": 1,
        "3–7 days": 0,
        "Over 7 days": 1,
    }


# --- replies per staff and the AI figure --------------------------------------------------------


def test_replies_per_staff_member_most_first(base_day):
    sam, kim = make_staff(display_name="Sam Front"), make_staff(display_name="Kim Desk")
    conversation = ConversationFactory()
    for author, count in ((sam, 1), (kim, 3)):
        for n in range(count):
            _msg(conversation, _club(base_day, 9, n), direction="outbound", kind=AuthorKind.STAFF, author=author)
    _msg(conversation, _club(base_day, 10), direction="outbound", kind=AuthorKind.AI)

    rows = stats.replies_per_staff(span=stats.StatsRange(first=base_day, last=base_day))

    assert [(r.name, r.replies) for r in rows] == [("Kim Desk", 3), ("Sam Front", 1)]


def test_ai_decisions_by_reason_come_from_the_agent(base_day):
    conversation = ConversationFactory.create()
    for reason in ("quiet_hours", "quiet_hours", "auto", ""):
        message = _msg(conversation, _club(base_day, 9))
        Decision.objects.create(message=message, conversation=conversation, reason=reason)
    span = stats.stats_range_parse(first=None, last=None)  # today's decisions: created now

    [figure] = [f for f in stats.stats_get(span=span).extra if f.key == "ai_reasons"]

    assert figure.rows == [("Quiet hours", 2), ("Not decided yet", 1), ("Within every guardrail", 1)]


# --- the page and the CSV ------------------------------------------------------------------------


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_page_renders_svg_charts_without_inline_styles_or_scripts(base_day):
    conversation = ConversationFactory()
    _msg(conversation, _club(base_day, 9))
    _msg(conversation, _club(base_day, 9, 12), direction="outbound", kind=AuthorKind.STAFF, author=make_staff())
    response = _client(make_staff()).get(f"/inbox/stats/?from={base_day}&to={base_day}")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") == 4  # SMS, email, hours, ages
    assert "style=" not in html
    assert "<script>" not in html
    assert ">12 min<" in html


@pytest.mark.parametrize("query", ["from=2026-02-30", "from=2026-03-02&to=2026-03-01", "from=2020-01-01&to=2026-01-01"])
def test_bad_dates_are_a_400_on_the_page_and_the_csv(query):
    client = _client(make_staff())
    page = client.get(f"/inbox/stats/?{query}")
    assert page.status_code == 400
    assert b'role="alert"' in page.content
    assert client.get(f"/inbox/stats/export.csv?{query}").status_code == 400


def test_csv_export_content(base_day):
    sam = make_staff(display_name="=Sam Front")  # a formula-looking name is neutralised
    conversation = ConversationFactory()
    _msg(conversation, _club(base_day, 9))
    _msg(conversation, _club(base_day, 9, 4), direction="outbound", kind=AuthorKind.STAFF, author=sam)

    response = _client(sam).get(f"/inbox/stats/export.csv?from={base_day}&to={base_day}")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="clubroom-stats-{base_day}-to-{base_day}.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[:3] == [
        ["date", "channel", "inbound", "outbound"],
        [base_day.isoformat(), "sms", "1", "1"],
        [base_day.isoformat(), "email", "0", "0"],
    ]
    assert ["all", "240", "1", "0"] in rows
    assert ["09:00", "1"] in rows
    assert ["'=Sam Front", "1"] in rows
    assert ["ai_reasons", "count"] in rows


def test_roles_members_404_anonymous_sign_in():
    member = make_member()
    for path in ("/inbox/stats/", "/inbox/stats/export.csv"):
        assert _client(member).get(path).status_code == 404
        response = Client().get(path)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("size", [2, 20])
def test_page_queries_stay_constant(base_day, size, django_assert_num_queries):
    staff = make_staff()
    for n in range(size):
        conversation = ConversationFactory(status=ConversationStatus.OPEN)
        _msg(conversation, _club(base_day, 9, n % 60))
        _msg(conversation, _club(base_day, 10, n % 60), direction="outbound", kind=AuthorKind.STAFF, author=staff)
    client = _client(staff)
    client.get("/inbox/stats/")  # warm the session and the messaging switch memo

    with django_assert_num_queries(STATS_PAGE_QUERIES):
        assert client.get(f"/inbox/stats/?from={base_day}&to={base_day}").status_code == 200


# Session, user; per day, first response, ages, hours, per staff, AI reasons; the nav's inbox badge and
# ClubOS sync warning; the staff tabs' open reports.
STATS_PAGE_QUERIES = 11
