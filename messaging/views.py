"""Direct-message pages: thin views over selectors and services (they work without JavaScript)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors as accounts_selectors

from . import context_processors, moderation_selectors, selectors, services
from .app_settings import app_settings
from .exceptions import (
    InvalidMessage,
    MessageNotEditable,
    MessagingSuspended,
    NotAParticipant,
    RateLimited,
    RecipientUnavailable,
    StartNotAllowed,
)
from .forms import PreferencesForm

if TYPE_CHECKING:
    from accounts.models import User

View = Callable[..., HttpResponse]


def messaging_required(view: View) -> View:
    """Signed in, and direct messaging switched on (else a clear 'turned off' page with status 404)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.messaging_enabled():
            return render(request, "messaging/disabled.html", status=404)
        try:
            return view(request, *args, **kwargs)
        except NotAParticipant as error:
            raise Http404(str(error)) from error

    return wrapper


def _me(request: HttpRequest) -> User:
    return cast("User", request.user)  # messaging_required has checked the sign-in


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@messaging_required
@require_http_methods(["GET"])
def thread_list(request: HttpRequest) -> HttpResponse:
    archived = request.GET.get("tab") == "archived"
    page = selectors.participant_page(
        user_id=_me(request).pk,
        archived=archived,
        older_than=request.GET.get("older") or None,
        newer_than=request.GET.get("newer") or None,
        per_page=app_settings.THREADS_PER_PAGE,
    )
    if page.unread_total is not None:
        context_processors.unread_total_remember(request, total=page.unread_total)
    context = {"page": page, "archived": archived, "me_id": _me(request).pk}
    return render(request, "messaging/thread_list.html", context)


def _render_thread(
    request: HttpRequest,
    conversation: selectors.Conversation,
    *,
    draft: str = "",
    error: str = "",
    status: int = 200,
    read_up_to: int | None = None,
) -> HttpResponse:
    participant = conversation.participant
    before_id = _int_or_none(request.GET.get("before"))
    thread_messages = selectors.thread_messages(thread_id=participant.thread_id, before_id=before_id)
    other = participant.other
    context_processors.unread_total_remember(request, total=conversation.unread_total)
    context = {
        "suspension_notice": moderation_selectors.suspension_notice(suspension=conversation.suspension),
        "participant": participant,
        "thread": participant.thread,
        "other": other,
        "thread_messages": thread_messages,
        "has_earlier": len(thread_messages) == app_settings.MESSAGES_PER_PAGE,
        "can_reply": other.is_active and not conversation.blocked,
        "draft": draft,
        "error": error,
        "body_max_length": app_settings.BODY_MAX_LENGTH,
        "edit_window_seconds": app_settings.EDIT_WINDOW_SECONDS,
        # Messages sent after this may still be edited (the script hides Edit as the window closes).
        "edit_cutoff": timezone.now() - timedelta(seconds=app_settings.EDIT_WINDOW_SECONDS),
        # Where the "new messages" divider goes: after what was read before this visit.
        "read_up_to": read_up_to if read_up_to is not None else participant.last_read_message_id,
        "receipts": conversation.receipts,
        "seen_up_to": conversation.seen_up_to,
    }
    return render(request, "messaging/thread_detail.html", context, status=status)


@messaging_required
@require_http_methods(["GET"])
def thread_detail(request: HttpRequest, thread_id: int) -> HttpResponse:
    conversation = selectors.conversation_get(user_id=_me(request).pk, thread_id=thread_id)
    participant = conversation.participant
    read_up_to = participant.last_read_message_id or 0
    if services.participant_needs_read(participant=participant):
        # Mark read before loading messages, so nothing newer than the page is marked read unseen.
        services.thread_mark_read(user=_me(request), thread_id=thread_id)
        # This thread's unread messages leave the badge with it (a muted one never counted).
        unread_total = conversation.unread_total - (0 if participant.muted else participant.unread_count)
        participant.unread_count = 0
        conversation = replace(conversation, unread_total=max(unread_total, 0))
    return _render_thread(request, conversation, read_up_to=read_up_to)


@messaging_required
@require_POST
def thread_reply(request: HttpRequest, thread_id: int) -> HttpResponse:
    conversation = selectors.conversation_get(user_id=_me(request).pk, thread_id=thread_id)
    body = request.POST.get("body", "")
    try:
        message = services.message_send(sender=_me(request), thread_id=thread_id, body=body)
    except InvalidMessage as error:
        return _render_thread(request, conversation, draft=body, error=str(error), status=400)
    except (RecipientUnavailable, MessagingSuspended) as error:
        return _render_thread(request, conversation, error=str(error), status=403)
    except RateLimited as error:
        messages.error(request, str(error))
        response = _render_thread(request, conversation, draft=body, error=str(error), status=429)
        response["Retry-After"] = str(error.retry_after)
        return response
    return redirect(f"{reverse('messaging:thread_detail', args=[thread_id])}#m{message.pk}")


@messaging_required
@require_POST
def thread_start(request: HttpRequest, username: str) -> HttpResponse:
    recipient = accounts_selectors.user_get(username=username)
    try:
        thread, _ = services.thread_start(initiator=_me(request), recipient=recipient)
    except (RecipientUnavailable, StartNotAllowed, MessagingSuspended) as error:
        raise PermissionDenied(str(error)) from error
    return redirect("messaging:thread_detail", thread_id=thread.pk)


@messaging_required
@require_http_methods(["GET"])
def new_message(request: HttpRequest) -> HttpResponse:
    """Search-as-you-type over the members one may message; picking one starts (or opens) the thread.
    With `?fragment=1` only the results list is rendered (what the page's script swaps in)."""
    query = request.GET.get("q", "")[:100]
    people = selectors.recipient_search(user=_me(request), query=query)
    context = {"query": query, "people": people, "refusal": selectors.start_refusal_reason(user=_me(request))}
    template = "messaging/_recipient_results.html" if request.GET.get("fragment") else "messaging/new_message.html"
    return render(request, template, context)


@messaging_required
@require_http_methods(["GET"])
def message_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    results = selectors.message_search(user_id=_me(request).pk, query=query)
    return render(request, "messaging/search.html", {"query": query, "results": results, "me_id": _me(request).pk})


@messaging_required
@require_http_methods(["GET", "POST"])
def message_edit(request: HttpRequest, message_id: int) -> HttpResponse:
    """The no-JavaScript path for editing (the page's menu edits in place through the API)."""
    message = selectors.message_get_for_user(user_id=_me(request).pk, message_id=message_id)
    body, error, status = message.body, "", 200
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            services.message_edit(user=_me(request), message_id=message_id, body=body)
        except InvalidMessage as exc:
            error, status = str(exc), 400
        except (MessageNotEditable, MessagingSuspended) as exc:
            error, status = str(exc), 403
        else:
            return redirect(f"{reverse('messaging:thread_detail', args=[message.thread_id])}#m{message_id}")
    elif message.sender_id != _me(request).pk or message.is_deleted:
        raise PermissionDenied("You can only edit your own messages.")
    context = {"message": message, "body": body, "error": error, "body_max_length": app_settings.BODY_MAX_LENGTH}
    return render(request, "messaging/edit.html", context, status=status)


@messaging_required
@require_POST
def message_delete(request: HttpRequest, message_id: int) -> HttpResponse:
    try:
        message = services.message_delete(user=_me(request), message_id=message_id)
    except MessageNotEditable as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, "Message deleted.")
    return redirect(f"{reverse('messaging:thread_detail', args=[message.thread_id])}#m{message_id}")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """A member's messaging settings (reachable while messaging is off: they govern emails too)."""
    current = selectors.preferences_get(user_id=_me(request).pk)
    form = PreferencesForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.preferences_update(
            user_id=_me(request).pk,
            read_receipts=form.cleaned_data["read_receipts"],
            email_unread=form.cleaned_data["email_unread"],
        )
        messages.success(request, "Messaging settings saved.")
        return redirect("messaging:preferences")
    return render(request, "messaging/preferences.html", {"form": form})


@csrf_exempt  # the signed token is the credential; mail clients POST here for one-click unsubscribe (RFC 8058)
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One click from the email turns unread emails off, signed in or not."""
    try:
        services.preferences_unsubscribe(token=token)
    except signing.BadSignature:
        return render(request, "messaging/unsubscribe.html", {"invalid": True}, status=400)
    return render(request, "messaging/unsubscribe.html", {"invalid": False})


@messaging_required
@require_POST
def thread_archive(request: HttpRequest, thread_id: int) -> HttpResponse:
    archived = request.POST.get("archived", "1") == "1"
    services.participant_set_archived(user=_me(request), thread_id=thread_id, archived=archived)
    messages.success(request, "Conversation archived." if archived else "Conversation moved back to your inbox.")
    return redirect(f"{reverse('messaging:thread_list')}{'?tab=archived' if not archived else ''}")


@messaging_required
@require_POST
def thread_mute(request: HttpRequest, thread_id: int) -> HttpResponse:
    muted = request.POST.get("muted", "1") == "1"
    services.participant_set_muted(user=_me(request), thread_id=thread_id, muted=muted)
    messages.success(request, "Conversation muted." if muted else "Conversation unmuted.")
    return redirect("messaging:thread_detail", thread_id=thread_id)


@messaging_required
@require_POST
def block(request: HttpRequest, username: str) -> HttpResponse:
    other = accounts_selectors.user_get(username=username, active_only=False)
    try:
        services.block_create(blocker=_me(request), blocked=other)
    except RecipientUnavailable as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, f"You blocked {other}. Neither of you can message the other.")
    return redirect("accounts:profile", username=other.username)


@messaging_required
@require_POST
def unblock(request: HttpRequest, username: str) -> HttpResponse:
    other = accounts_selectors.user_get(username=username, active_only=False)
    services.block_delete(blocker=_me(request), blocked=other)
    messages.success(request, f"You unblocked {other}.")
    return redirect("accounts:profile", username=other.username)


@messaging_required
@require_http_methods(["GET", "POST"])
def message_report(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.message_get_for_user(user_id=_me(request).pk, message_id=message_id)
    error = ""
    if request.method == "POST":
        try:
            services.report_create(
                reporter=_me(request),
                message_id=message_id,
                reason=request.POST.get("reason", ""),
            )
        except InvalidMessage as exc:
            error = str(exc)
        else:
            messages.success(request, "Thanks. The message was reported to the staff.")
            return redirect("messaging:thread_detail", thread_id=message.thread_id)
    context = {"message": message, "error": error, "reason": request.POST.get("reason", "")}
    return render(request, "messaging/report.html", context, status=400 if error else 200)
