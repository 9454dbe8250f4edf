"""The staff Stats page and its CSV export: thin views over inbox.stats (staff only; members get 404)."""

from __future__ import annotations

import csv
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.permissions import inbox_staff_required

from . import charts, stats
from .exceptions import InvalidStatsRange
from .models import Channel


def _day_label(day: Any) -> str:
    return day.strftime("%-d %b")


def _charts(figures: stats.Stats) -> dict[str, Any]:
    days = figures.span.days
    label_every = max(1, len(days) // 8)
    per_channel = []
    for channel, channel_label in Channel.choices:
        rows = [row for row in figures.per_day if row.channel == channel]
        per_channel.append(
            (
                channel_label,
                charts.bar_chart(
                    categories=[_day_label(row.day) for row in rows],
                    series=[
                        ("inbound", "chart-bar", [row.inbound for row in rows]),
                        ("outbound", "chart-bar-alt", [row.outbound for row in rows]),
                    ],
                    label_every=label_every,
                ),
                sum(row.inbound for row in rows),
                sum(row.outbound for row in rows),
            )
        )
    return {
        "per_channel": per_channel,
        "hours_chart": charts.bar_chart(
            categories=[f"{hour:02d}" for hour in range(24)],
            series=[("inbound", "chart-bar", figures.busiest_hours)],
            label_every=3,
        ),
        "age_chart": charts.bar_chart(
            categories=[label for label, _ in figures.open_by_age],
            series=[("open", "chart-bar", [count for _, count in figures.open_by_age])],
        ),
    }


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours < 48 else f"{hours // 24} days"


@inbox_staff_required
@require_GET
def stats_page(request: HttpRequest) -> HttpResponse:
    try:
        span = stats.stats_range_parse(first=request.GET.get("from"), last=request.GET.get("to"))
    except InvalidStatsRange as error:
        failed = {"error": str(error), "first": request.GET.get("from", ""), "last": request.GET.get("to", "")}
        return render(request, "inbox/stats.html", failed, status=400)
    figures = stats.stats_get(span=span)
    context: dict[str, Any] = {
        "stats": figures,
        "first": span.first.isoformat(),
        "last": span.last.isoformat(),
        "median": _duration(figures.first_response.median_seconds),
        **_charts(figures),
    }
    return render(request, "inbox/stats.html", context)


CsvRow = list[str | int]


def stats_csv_rows(figures: stats.Stats) -> list[CsvRow]:
    """The export: the per-day table first, then each other figure under its own header, blank lines between."""
    rows: list[CsvRow] = [["date", "channel", "inbound", "outbound"]]
    rows += [[row.day.isoformat(), row.channel, row.inbound, row.outbound] for row in figures.per_day]
    response = figures.first_response
    median = "" if response.median_seconds is None else round(response.median_seconds)
    rows += [[], ["first_response", "median_seconds", "answered", "unanswered"]]
    rows += [["all", median, response.answered, response.unanswered]]
    sections: list[tuple[CsvRow, list[CsvRow]]] = [
        (["open_conversations_by_age", "count"], [[label, count] for label, count in figures.open_by_age]),
        (["hour", "inbound"], [[f"{hour:02d}:00", n] for hour, n in enumerate(figures.busiest_hours)]),
        (["staff_member", "replies"], [[row.name, row.replies] for row in figures.replies_per_staff]),
    ]
    sections += [([extra.key, "count"], [[label, count] for label, count in extra.rows]) for extra in figures.extra]
    for header, body in sections:
        rows += [[], header, *body]
    return rows


def _csv_safe(value: str | int) -> str | int:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) is prefixed with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@inbox_staff_required
@require_GET
def stats_export(request: HttpRequest) -> HttpResponse:
    try:
        span = stats.stats_range_parse(first=request.GET.get("from"), last=request.GET.get("to"))
    except InvalidStatsRange as error:
        return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
    figures = stats.stats_get(span=span)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="clubroom-stats-{span.first}-to-{span.last}.csv"'
    writer = csv.writer(response)
    for row in stats_csv_rows(figures):
        writer.writerow([_csv_safe(value) for value in row])
    return response
