"""Staff inbox pages: the conversation list (one conversation's page is in `views_conversation`)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.permissions import inbox_staff_required

from . import selectors
from .models import ConversationStatus


@inbox_staff_required
@require_GET
def conversation_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in ConversationStatus.values:
        status = ""
    page = Paginator(selectors.conversation_list(status=status), 50).get_page(request.GET.get("page"))
    return render(request, "inbox/conversation_list.html", {"page": page, "status": status})
