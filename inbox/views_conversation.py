"""The conversation page `/inbox/<id>/`: the timeline, the member panel, the reply box and the actions.

Staff only: anonymous → the sign-in page, members → 404 (a staff page does not exist for them).
`/inbox/<id>/act/` takes the action forms; `/inbox/<id>/live/` renders the parts the page swaps in
when its socket says the conversation changed (static/js/inbox_conversation.js).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.permissions import inbox_staff_required
from core.exceptions import DomainError

from . import panels, selectors
from .forms import ReplyForm
from .forms_conversation import STATUS_CHOICES, ConversationActionForm
from .models import Conversation, Priority
from .services import actions, conversations


def _live_context(conversation: Conversation, user: User) -> dict[str, Any]:
    """What the socket-driven refresh swaps: the timeline and the team state."""
    labels = list(selectors.labels_with_selection(conversation=conversation))
    return {
        "conversation": conversation,
        "contact": conversation.contact,
        "timeline": selectors.conversation_timeline(conversation=conversation),
        "labels": labels,
        "conversation_labels": [label for label in labels if getattr(label, "selected", False)],
        "staff_members": selectors.assignable_staff(),
        "priorities": Priority.choices,
        "statuses": STATUS_CHOICES,
    }


def _page(
    request: HttpRequest,
    conversation: Conversation,
    *,
    form: ReplyForm | None = None,
    action_error: str = "",
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context = _live_context(conversation, user)
    context |= {
        "form": form or ReplyForm(),
        "action_error": action_error,
        "others": selectors.conversation_others(conversation=conversation)[:10],
        "saved_replies": selectors.saved_replies_for(conversation=conversation),
        "panels": panels.panels_for(conversation=conversation, user=user),
    }
    return render(request, "inbox/conversation_detail.html", context, status=status)


@inbox_staff_required
@require_http_methods(["GET", "POST"])
def conversation_detail(request: HttpRequest, conversation_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    conversation = selectors.conversation_get(conversation_id=conversation_id, reader=user)
    if request.method == "GET":
        actions.conversation_mark_read(conversation=conversation, user=user)
        return _page(request, conversation)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            conversations.conversation_reply(
                conversation=conversation,
                author=user,
                channel=form.cleaned_data["channel"],
                body=form.cleaned_data["body"],
                subject=form.cleaned_data["subject"],
                idempotency_key=form.cleaned_data["idempotency_key"] or None,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            # No flash: the reply itself shows its delivery state (queued → sent / failed), live.
            return redirect("inbox:conversation_detail", conversation_id=conversation.pk)
    return _page(request, conversation, form=form, status=400)


def _act(form: ConversationActionForm, conversation: Conversation, user: User) -> None:
    data, action = form.cleaned_data, form.cleaned_data["action"]
    if action == "take":
        actions.conversation_assign(conversation=conversation, actor=user, assignee=user)
    elif action == "assign":
        assignee = selectors.staff_member_get(user_id=data["assignee"]) if data.get("assignee") else None
        actions.conversation_assign(conversation=conversation, actor=user, assignee=assignee)
    elif action == "labels":
        names = [data["new_label"]] if data.get("new_label", "").strip() else []
        actions.conversation_labels_set(conversation=conversation, actor=user, label_ids=data["labels"], names=names)
    elif action == "priority":
        actions.conversation_priority_set(conversation=conversation, actor=user, priority=data["priority"])
    elif action == "status":
        actions.conversation_status_set(conversation=conversation, actor=user, status=data["status"])
    elif action == "snooze":
        actions.conversation_snooze(conversation=conversation, actor=user, until=data["until"])
    elif action == "unread":
        actions.conversation_mark_unread(conversation=conversation, user=user)
    elif action == "note":
        actions.note_add(conversation=conversation, author=user, body=data["body"])
    elif action == "retry":
        conversations.message_retry(conversation=conversation, message_id=data["message"], author=user)


@inbox_staff_required
@require_POST
def conversation_act(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = selectors.conversation_get(conversation_id=conversation_id)
    user: User = request.user  # type: ignore[assignment]
    label_ids = list(selectors.labels_list().values_list("pk", flat=True))
    form = ConversationActionForm(request.POST, label_ids=label_ids)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        label = "" if field == "__all__" else f"{field.replace('_', ' ').capitalize()}: "
        return _page(request, conversation, action_error=f"{label}{errors[0]}", status=400)
    try:
        _act(form, conversation, user)
    except DomainError as exc:
        return _page(request, conversation, action_error=str(exc), status=400)
    if form.cleaned_data["action"] == "unread":
        # Reopening the page would read it again: back to the list, where it now shows unread.
        return redirect("inbox:conversation_list")
    return redirect("inbox:conversation_detail", conversation_id=conversation.pk)


@inbox_staff_required
@require_GET
def conversation_live(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The timeline and the team state, for the open page to swap in (not a page of its own)."""
    user: User = request.user  # type: ignore[assignment]
    conversation = selectors.conversation_get(conversation_id=conversation_id, reader=user)
    # The page is open and the member wrote: it is read for me (as if I had reloaded).
    if request.GET.get("read") == "1":
        actions.conversation_mark_read(conversation=conversation, user=user)
    return render(request, "inbox/_conversation_live.html", _live_context(conversation, user))
