from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone

from core.timefmt import club_day_label, club_time_format

CLUB = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=CLUB)


@pytest.fixture(autouse=True)
def _club_zone(settings):
    settings.TIME_ZONE = "America/Chicago"
    with timezone.override(CLUB):
        yield


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 30, 14, 59, 30, tzinfo=CLUB), "just now"),
        (datetime(2026, 11, 30, 14, 57, tzinfo=CLUB), "3 min ago"),
        (datetime(2026, 11, 30, 12, 10, tzinfo=CLUB), "2 h ago"),
        (datetime(2026, 11, 30, 0, 5, tzinfo=CLUB), "14 h ago"),
        (datetime(2026, 11, 30, 18, 0, tzinfo=CLUB), "18:00"),
        (datetime(2026, 11, 29, 23, 55, tzinfo=CLUB), "Yesterday 23:55"),
        (datetime(2026, 11, 24, 7, 5, tzinfo=CLUB), "Tue 24 Nov, 07:05"),
        (datetime(2025, 1, 4, 9, 30, tzinfo=CLUB), "4 Jan 2025, 09:30"),
    ],
)
def test_club_time_format_is_relative_today_and_names_the_year_only_when_not_this_year(moment, expected):
    assert club_time_format(moment, now=NOW) == expected


def test_times_are_in_the_club_zone_whatever_zone_the_moment_carries():
    utc_moment = datetime(2026, 11, 30, 5, 30, tzinfo=ZoneInfo("UTC"))  # 23:30 the day before in Chicago
    assert club_time_format(utc_moment, now=NOW) == "Yesterday 23:30"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 30, 0, 0, tzinfo=CLUB), "Today"),
        (datetime(2026, 11, 29, 0, 0, tzinfo=CLUB), "Yesterday"),
        (datetime(2026, 11, 23, 12, 0, tzinfo=CLUB), "Mon 23 Nov"),
        (datetime(2025, 1, 4, 12, 0, tzinfo=CLUB), "4 Jan 2025"),
    ],
)
def test_club_day_label(moment, expected):
    assert club_day_label(moment, now=NOW) == expected


def test_clubtime_filter_renders_a_machine_readable_time_element():
    moment = datetime(2025, 1, 4, 9, 30, tzinfo=CLUB)
    html = Template("{% load clubtime %}{{ moment|clubtime }}").render(Context({"moment": moment}))
    assert html.startswith(f'<time datetime="{moment.isoformat()}"')
    assert "data-clubtime" in html
    assert ">4 Jan 2025, 09:30</time>" in html
