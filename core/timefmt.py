"""One time format for the staff side, in the club's time zone (static/js/clubtime.js mirrors it).

- within the last minute: "just now"; earlier today: "3 min ago", "2 h ago" (relative);
- yesterday: "Yesterday 14:05"; this year: "Mon 24 Nov, 14:05"; other years: "4 Jan 2025, 14:05".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone


def club_time_format(moment: datetime, *, now: datetime | None = None) -> str:
    now = timezone.localtime(now or timezone.now())
    local = timezone.localtime(moment)
    clock = local.strftime("%H:%M")
    if local.date() == now.date():
        if local > now:
            return clock  # later today (a scheduled time, a snooze)
        seconds = int((now - local).total_seconds())
        if seconds < 60:
            return "just now"
        if seconds < 3600:
            return f"{seconds // 60} min ago"
        return f"{seconds // 3600} h ago"
    if local.date() == (now - timedelta(days=1)).date():
        return f"Yesterday {clock}"
    day = f"{local:%a} {local.day} {local:%b}"
    if local.year == now.year:
        return f"{day}, {clock}"
    return f"{local.day} {local:%b} {local.year}, {clock}"


def club_day_label(moment: datetime, *, now: datetime | None = None) -> str:
    """A day separator: Today, Yesterday, Mon 24 Nov, 4 Jan 2025."""
    today = timezone.localtime(now or timezone.now()).date()
    day = timezone.localtime(moment).date()
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    if day.year == today.year:
        return f"{day:%a} {day.day} {day:%b}"
    return f"{day.day} {day:%b} {day.year}"
