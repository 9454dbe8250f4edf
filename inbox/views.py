"""Staff inbox pages: the conversation list and one conversation with its reply form."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import inbox_staff_required

from . import panels, selectors
from .exceptions import ReplyNotAllowed
from .forms import ReplyForm
from .models import ConversationStatus
from .services import actions, conversations


@inbox_staff_required
@require_GET
def conversation_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in ConversationStatus.values:
        status = ""
    page = Paginator(selectors.conversation_list(status=status), 50).get_page(request.GET.get("page"))
    return render(request, "inbox/conversation_list.html", {"page": page, "status": status})


@inbox_staff_required
@require_http_methods(["GET", "POST"])
def conversation_detail(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = selectors.conversation_get(conversation_id=conversation_id)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            conversations.conversation_reply(
                conversation=conversation,
                author=request.user,  # type: ignore[arg-type]
                channel=form.cleaned_data["channel"],
                body=form.cleaned_data["body"],
                subject=form.cleaned_data["subject"],
                idempotency_key=form.cleaned_data["idempotency_key"] or None,
            )
        except ReplyNotAllowed as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Reply queued for ClubOS.")
            return redirect("inbox:conversation_detail", conversation_id=conversation.pk)
    if request.method == "GET":
        actions.conversation_mark_read(conversation=conversation, user=request.user)  # type: ignore[arg-type]
    status = 400 if request.method == "POST" else 200
    context = {
        "conversation": conversation,
        "contact": conversation.contact,
        "inbox_messages": selectors.conversation_messages(conversation=conversation),
        "form": form,
    }
    context["panels"] = panels.panels_for(conversation=conversation, user=request.user)
    return render(request, "inbox/conversation_detail.html", context, status=status)
