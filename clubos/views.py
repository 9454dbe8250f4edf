"""The staff control page for the ClubOS sync: status, Sync now, Pause, Resume."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import inbox_staff_required

from . import selectors
from .services import runs
from .tasks import sync_inbox


@inbox_staff_required
@require_GET
def status(request: HttpRequest) -> HttpResponse:
    return render(request, "clubos/status.html", {"status": selectors.sync_status()})


@inbox_staff_required
@require_POST
def action(request: HttpRequest, action: str) -> HttpResponse:
    if action == "sync":
        transaction.on_commit(lambda: sync_inbox.delay(force=True, trigger="manual"))
        messages.success(request, "Sync queued.")
    elif action == "pause":
        runs.sync_pause()
        messages.success(request, "Polling paused. Sync now still works.")
    elif action == "resume":
        runs.sync_resume()
        messages.success(request, "Polling resumed.")
    else:  # the URL pattern only admits the three actions
        raise PermissionDenied("Unknown action.")
    return redirect("clubos:status")
