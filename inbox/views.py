"""Staff inbox pages: the conversation list and saved replies (one conversation's page is in `views_conversation`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import inbox_staff_required
from core.exceptions import InvalidInput

from . import selectors
from .forms import ConversationFilterForm, SavedReplyForm, list_cursor_encode
from .models import ConversationStatus
from .services import actions, saved_replies

LIST_PAGE_SIZE = 50


def _list_context(request: HttpRequest) -> tuple[dict[str, Any], int]:
    """Rows (one keyset page) for the filter bar's values; a bad value is a 400 with the first page."""
    form = ConversationFilterForm(request.GET)
    valid = form.is_valid()
    filters = form.list_filters() if valid else ConversationFilterForm.default_filters()
    after = form.cleaned_data.get("after") if valid else None
    user = request.user
    rows, next_cursor = selectors.conversation_list_page(
        conversations=selectors.conversation_list(user=user, after=after, **filters), size=LIST_PAGE_SIZE
    )
    kept = {key: value for key, value in request.GET.items() if key != "after" and value}
    context = {
        "form": form,
        "filters": filters,
        "rows": rows,
        "query": urlencode(kept),
        "next_query": urlencode({**kept, "after": list_cursor_encode(next_cursor)}) if next_cursor else "",
        "first_page": after is None,
    }
    return context, 200 if valid else 400


def _tab_query(request: HttpRequest, **changes: str) -> str:
    params = {key: value for key, value in request.GET.items() if key not in ("after", *changes) and value}
    params.update({key: value for key, value in changes.items() if value})
    return urlencode(params)


@inbox_staff_required
@require_GET
def conversation_list(request: HttpRequest) -> HttpResponse:
    context, status = _list_context(request)
    counts = selectors.conversation_filter_counts(user=request.user)
    filters = context["filters"]
    context["status_tabs"] = [
        {
            "value": value,
            "label": label,
            "count": selectors.count_label(counts[value or "all"]),
            "query": _tab_query(request, status=value),
        }
        for value, label in ConversationFilterForm.base_fields["status"].choices  # type: ignore[attr-defined]
    ]
    context["scope_tabs"] = [
        {
            "value": value,
            "label": label,
            "count": selectors.count_label(counts[value]) if value in counts and value != "all" else None,
            "query": _tab_query(request, scope="" if value == "all" else value),
        }
        for value, label in ConversationFilterForm.base_fields["scope"].choices  # type: ignore[attr-defined]
    ]
    context["unread_label"] = selectors.count_label(counts["unread"])
    context["labels"] = selectors.label_list()
    context["sources"] = selectors.conversation_sources()
    context["current_status"] = filters["status"]
    context["current_scope"] = filters["scope"]
    return render(request, "inbox/conversation_list.html", context, status=status)


@inbox_staff_required
@require_GET
def conversation_rows(request: HttpRequest) -> HttpResponse:
    """The list's rows alone, for the live refresh (static/js/inbox_list.js).

    Rendered without the request's context processors: a refresh needs no nav badge nor sync banner
    (the badge comes over the socket), only the CSRF token of the rows' Resolve forms.
    """
    context, status = _list_context(request)
    html = render_to_string("inbox/_conversation_rows.html", {**context, "csrf_token": get_token(request)})
    return HttpResponse(html, status=status)


@inbox_staff_required
@require_POST
def conversation_resolve(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = selectors.conversation_get(conversation_id=conversation_id)
    if conversation.status != ConversationStatus.RESOLVED:
        actions.conversation_status_set(
            conversation=conversation,
            actor=request.user,  # type: ignore[arg-type]
            status=ConversationStatus.RESOLVED,
        )
        messages.success(request, f"Resolved the conversation with {conversation.contact.display_name}.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("inbox:conversation_list")
    return redirect(back)


# --- Saved replies ------------------------------------------------------------------------------


@inbox_staff_required
@require_http_methods(["GET", "POST"])
def saved_reply_list(request: HttpRequest) -> HttpResponse:
    """The team's saved replies, and the form that adds one."""
    form = SavedReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = saved_replies.saved_reply_create(user=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except InvalidInput as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved “{saved.title}”.")
            return redirect("inbox:saved_reply_list")
    context = {"form": form, "saved_replies": selectors.saved_reply_list()}
    return render(request, "inbox/saved_reply_list.html", context, status=400 if request.method == "POST" else 200)


@inbox_staff_required
@require_http_methods(["GET", "POST"])
def saved_reply_edit(request: HttpRequest, saved_reply_id: int) -> HttpResponse:
    saved = selectors.saved_reply_get(saved_reply_id=saved_reply_id)
    form = SavedReplyForm(request.POST or None, initial={"title": saved.title, "body": saved.body})
    if request.method == "POST" and form.is_valid():
        try:
            saved_replies.saved_reply_update(user=request.user, saved_reply=saved, **form.cleaned_data)  # type: ignore[arg-type]
        except InvalidInput as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved “{saved.title}”.")
            return redirect("inbox:saved_reply_list")
    context = {"form": form, "saved_reply": saved}
    return render(request, "inbox/saved_reply_edit.html", context, status=400 if request.method == "POST" else 200)


@inbox_staff_required
@require_POST
def saved_reply_delete(request: HttpRequest, saved_reply_id: int) -> HttpResponse:
    saved = selectors.saved_reply_get(saved_reply_id=saved_reply_id)
    saved_replies.saved_reply_delete(user=request.user, saved_reply=saved)  # type: ignore[arg-type]
    messages.success(request, f"Deleted “{saved.title}”.")
    return redirect("inbox:saved_reply_list")
