"""`{% load clubtime %}{{ moment|clubtime }}`: a <time> element in the one staff-side format.

static/js/clubtime.js re-renders every `time[data-clubtime]` with the same rules (relative times
age while the page is open), and formats the ones live frames append.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html

from core.timefmt import club_day_label, club_time_format

register = template.Library()


@register.filter
def clubtime(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return format_html(
        '<time datetime="{}" title="{}" data-clubtime>{}</time>',
        moment.isoformat(),
        local.strftime("%-d %b %Y, %H:%M %Z"),
        club_time_format(moment),
    )


@register.filter
def clubday(moment: datetime | None) -> str:
    return club_day_label(moment) if moment is not None else ""
