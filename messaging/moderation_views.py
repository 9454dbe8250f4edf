"""The safety queue pages, mounted under /inbox/reports/: thin views over moderation selectors and services.

Club staff only: members get a 404 (the page does not exist for them), anonymous visitors the sign-in page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import inbox_staff_required

from . import moderation, moderation_selectors
from .exceptions import InvalidDecision, ModerationNotAllowed, ReportAlreadyDecided
from .models import ReportStatus
from .moderation_forms import DecisionForm, LiftForm

if TYPE_CHECKING:
    from accounts.models import User

REPORTS_PER_PAGE = 50


def _me(request: HttpRequest) -> User:
    return cast("User", request.user)


@inbox_staff_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", ReportStatus.OPEN)
    if status not in ReportStatus.values:
        status = ReportStatus.OPEN
    page = Paginator(moderation_selectors.report_queue(status=status), REPORTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "messaging/moderation/report_list.html", {"page": page, "status": status})


def _render_detail(request: HttpRequest, *, report_id: int, form: DecisionForm, status: int = 200) -> HttpResponse:
    detail = moderation_selectors.report_detail(report_id=report_id)
    context = {"detail": detail, "report": detail.report, "form": form, "lift_form": LiftForm()}
    return render(request, "messaging/moderation/report_detail.html", context, status=status)


@inbox_staff_required
@require_http_methods(["GET", "POST"])
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    if request.method == "GET":
        moderation_selectors.report_get(report_id=report_id)  # 404 before anything else
        return _render_detail(request, report_id=report_id, form=DecisionForm())
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, report_id=report_id, form=form, status=400)
    try:
        action = moderation.report_decide(
            report_id=report_id,
            actor=_me(request),
            decision=form.cleaned_data["decision"],
            note=form.cleaned_data["note"],
            until=form.cleaned_data["until"],
        )
    except InvalidDecision as error:
        form.add_error(None, str(error))
        return _render_detail(request, report_id=report_id, form=form, status=400)
    except ReportAlreadyDecided as error:
        messages.info(request, str(error))
        return redirect("moderation:report_detail", report_id=report_id)
    except ModerationNotAllowed as error:
        form.add_error(None, str(error))
        return _render_detail(request, report_id=report_id, form=form, status=403)
    messages.success(request, f"{action.get_kind_display()}: {action.reports_resolved} report(s) resolved.")
    return redirect("moderation:report_list")


@inbox_staff_required
@require_POST
def suspension_lift(request: HttpRequest, suspension_id: int) -> HttpResponse:
    back = _report_url(request) or reverse("moderation:report_list")
    form = LiftForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not lifted: " + " ".join(str(e) for e in form.errors.get("note", [])))
        return redirect(back)
    try:
        moderation.suspension_lift(suspension_id=suspension_id, actor=_me(request), note=form.cleaned_data["note"])
    except ModerationNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Suspension lifted: the member can send messages again.")
    return redirect(back)


def _report_url(request: HttpRequest) -> str:
    """Back to the report the lift was made from (an id only: never an arbitrary redirect)."""
    value = request.POST.get("next_report", "")
    if value.isdigit() and 0 < int(value) < 2**63:
        return reverse("moderation:report_detail", args=[int(value)])
    return ""
