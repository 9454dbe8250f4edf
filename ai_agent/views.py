"""Staff pages of the AI agent: its stats and decision log, and one-click actions on a suggestion."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import inbox_staff_required
from inbox.exceptions import ReplyNotAllowed

from . import selectors, services
from .forms import DecisionFilterForm, SuggestionForm
from .intents import Intent
from .models import Decision, DecisionKind, Reason


@inbox_staff_required
@require_GET
def stats_page(request: HttpRequest) -> HttpResponse:
    form = DecisionFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    decisions = selectors.decisions_filtered(
        intent=filters.get("intent") or "",
        decision=filters.get("decision") or "",
        reason=filters.get("reason") or "",
        on=filters.get("date"),
    )
    page = Paginator(decisions, 50).get_page(request.GET.get("page"))
    context = {
        "stats": selectors.agent_stats(),
        "page": page,
        "filters": filters,
        "intents": Intent.choices,
        "kinds": DecisionKind.choices,
        "reasons": Reason.choices,
    }
    return render(request, "ai_agent/stats.html", context)


@inbox_staff_required
@require_POST
def suggestion_act(request: HttpRequest, decision_id: int) -> HttpResponse:
    decision = get_object_or_404(Decision, pk=decision_id)
    form = SuggestionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("inbox:conversation_detail", conversation_id=decision.conversation_id)
    try:
        if form.cleaned_data["action"] == "send":
            services.suggestion_send(decision_id=decision.pk, user=request.user, body=form.cleaned_data["body"])  # type: ignore[arg-type]
            messages.success(request, "Reply queued for ClubOS.")
        else:
            services.suggestion_discard(decision_id=decision.pk, user=request.user)  # type: ignore[arg-type]
            messages.success(request, "Suggestion discarded.")
    except (services.SuggestionNotOpen, ReplyNotAllowed) as exc:
        messages.error(request, str(exc))
    return redirect("inbox:conversation_detail", conversation_id=decision.conversation_id)
