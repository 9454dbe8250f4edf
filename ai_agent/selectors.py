"""Reads of the AI agent: its settings, decisions, stats and what the conversation page shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from inbox.panels import Panel

from .models import AgentSettings, Decision, DecisionKind, Mode, Reason, SuggestionOutcome, ThreadInsight

DEMO_FACTS = """name: Clubroom Fitness
hours: Mon-Fri 5am-11pm, Sat-Sun 7am-9pm; the pool closes 30 minutes earlier
hours_es: lunes a viernes de 5:00 a 23:00, sábados y domingos de 7:00 a 21:00; la piscina cierra 30 minutos antes
classes: The class timetable is in the Clubroom app and on the board by reception.
classes_es: El horario de clases está en la app de Clubroom y en el tablón de recepción.
membership: Plans: Monthly $49, Annual $490, Off-peak $35 a month; freezes of up to 3 months a year.
membership_es: Planes: mensual 49 $, anual 490 $, horario valle 35 $ al mes; congelaciones de hasta 3 meses al año.
billing: Dues are charged on the 1st of each month to the card on file; receipts are in the app under Billing.
billing_es: La cuota se cobra el día 1 de cada mes en la tarjeta registrada; los recibos están en la app, en Pagos.
booking: Classes and sessions can be booked in the Clubroom app or at the front desk.
booking_es: Las clases y sesiones se reservan en la app de Clubroom o en recepción.
cancellation: Bookings can be cancelled in the app up to 2 hours before the start.
cancellation_es: Las reservas se pueden cancelar en la app hasta 2 horas antes.
training: Ask any coach on the gym floor, or book a session with Jo (head coach) at the front desk.
training_es: Pregunta a cualquier entrenador en la sala o reserva una sesión con Jo (entrenador jefe) en recepción.
general: We're at 200 W Lake St, Chicago. Staff: Sam (front desk), Jo (head coach).
general_es: Estamos en 200 W Lake St, Chicago.
"""


def agent_settings_get() -> AgentSettings:
    settings_row, _ = AgentSettings.objects.get_or_create(pk=1)
    return settings_row


def decisions_filtered(
    *,
    intent: str = "",
    decision: str = "",
    reason: str = "",
    on: date | None = None,
    since: datetime | None = None,
) -> QuerySet[Decision]:
    decisions = Decision.objects.select_related("message", "conversation__contact").order_by("-created_at", "-pk")
    if intent:
        decisions = decisions.filter(intent=intent)
    if decision:
        decisions = decisions.filter(decision=decision)
    if reason:
        decisions = decisions.filter(reason=reason)
    if on is not None:
        start = timezone.make_aware(datetime.combine(on, datetime.min.time()))
        decisions = decisions.filter(created_at__gte=start, created_at__lt=start + timedelta(days=1))
    if since is not None:
        decisions = decisions.filter(created_at__gte=since)
    return decisions


@dataclass
class AgentStats:
    enabled: bool
    mode: str
    total: int
    pending: int
    auto_replied: int
    suggested: int
    skipped: int
    skipped_by_reason: dict[str, int]
    suggested_by_reason: dict[str, int]
    backend_errors: int
    success_rate: float | None
    last_hour: dict[str, int]
    hourly_cap: int
    cap_remaining: int
    suggestions: dict[str, int] = field(default_factory=dict)
    staff_edits: int = 0


def agent_stats(*, now: datetime | None = None) -> AgentStats:
    """Counts over every decision (a few aggregate queries, whatever the size of the log)."""
    now = now or timezone.now()
    config = agent_settings_get()
    totals = Decision.objects.aggregate(
        total=Count("pk"),
        pending=Count("pk", filter=Q(decision=DecisionKind.PENDING)),
        auto=Count("pk", filter=Q(decision=DecisionKind.AUTO_REPLIED)),
        suggested=Count("pk", filter=Q(decision=DecisionKind.SUGGESTED)),
        skipped=Count("pk", filter=Q(decision=DecisionKind.SKIPPED)),
        errors=Count("pk", filter=Q(reason=Reason.BACKEND_ERROR)),
        sent=Count("pk", filter=Q(suggestion_outcome=SuggestionOutcome.SENT)),
        edited=Count("pk", filter=Q(suggestion_outcome=SuggestionOutcome.EDITED)),
        discarded=Count("pk", filter=Q(suggestion_outcome=SuggestionOutcome.DISCARDED)),
        awaiting=Count("pk", filter=Q(decision=DecisionKind.SUGGESTED, suggestion_outcome="") & ~Q(reply="")),
    )
    by_reason: dict[str, dict[str, int]] = {DecisionKind.SKIPPED: {}, DecisionKind.SUGGESTED: {}}
    for row in (
        Decision.objects.filter(decision__in=list(by_reason)).values("decision", "reason").annotate(n=Count("pk"))
    ):
        by_reason[row["decision"]][row["reason"]] = row["n"]
    hour = Decision.objects.filter(decided_at__gte=now - timedelta(hours=1)).aggregate(
        total=Count("pk"),
        auto_replied=Count("pk", filter=Q(decision=DecisionKind.AUTO_REPLIED)),
        suggested=Count("pk", filter=Q(decision=DecisionKind.SUGGESTED)),
        skipped=Count("pk", filter=Q(decision=DecisionKind.SKIPPED)),
    )
    decided = totals["total"] - totals["pending"]
    return AgentStats(
        enabled=config.mode != Mode.OFF,
        mode=config.mode,
        total=totals["total"],
        pending=totals["pending"],
        auto_replied=totals["auto"],
        suggested=totals["suggested"],
        skipped=totals["skipped"],
        skipped_by_reason=by_reason[DecisionKind.SKIPPED],
        suggested_by_reason=by_reason[DecisionKind.SUGGESTED],
        backend_errors=totals["errors"],
        success_rate=round((decided - totals["errors"]) / decided, 4) if decided else None,
        last_hour=hour,
        hourly_cap=config.hourly_cap,
        cap_remaining=max(0, config.hourly_cap - hour["auto_replied"]),
        suggestions={
            "sent": totals["sent"],
            "edited": totals["edited"],
            "discarded": totals["discarded"],
            "awaiting": totals["awaiting"],
        },
        staff_edits=totals["edited"],
    )


def inbox_panel(*, conversation: Any, user: Any) -> Panel:
    """The agent's panel on the staff inbox conversation page (registered with inbox.panels)."""
    return Panel(
        title="AI agent",
        template="ai_agent/_conversation_panel.html",
        context=conversation_panel(conversation_id=conversation.pk),
    )


def conversation_panel(*, conversation_id: int) -> dict[str, Any]:
    """What the inbox conversation page shows of the agent: the open suggestion, recent decisions, the insight."""
    decisions = list(
        Decision.objects.filter(conversation_id=conversation_id)
        .select_related("outcome_by")
        .order_by("-created_at", "-pk")[:5]
    )
    suggestion = next((d for d in decisions if d.awaits_staff), None)
    insight = ThreadInsight.objects.filter(conversation_id=conversation_id).first()
    return {"ai_decisions": decisions, "ai_suggestion": suggestion, "ai_insight": insight}


def decisions_by_reason(*, start: datetime, end: datetime) -> list[tuple[str, int]]:
    """The Stats page's "AI decisions by reason" (registered with inbox.stats): decisions made in
    [start, end) per reason, most first; pending ones under "Not decided yet"."""
    rows = (
        Decision.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("reason")
        .annotate(n=Count("id"))
        .order_by("-n", "reason")
    )
    labels = dict(Reason.choices)
    return [(labels.get(row["reason"], row["reason"]) or "Not decided yet", row["n"]) for row in rows]
