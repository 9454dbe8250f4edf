from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from core.html import UrlPattern, csrf_input

from .. import selectors

register = template.Library()


@register.inclusion_tag("messaging/_profile_buttons.html", takes_context=True)
def messaging_profile_actions(context: template.Context, person: Any) -> dict[str, Any]:
    """Message / Block / Unblock on a profile: only when enabled, never on your own profile."""
    user = context.get("user")
    request = context.get("request")
    show = bool(
        context.get("messaging_enabled")
        and user is not None
        and user.is_authenticated
        and person.pk != user.pk
        and person.is_active
    )
    state = selectors.block_state(user_id=user.pk, other_id=person.pk) if show and user is not None else None
    # A member who may not start conversations still opens the ones they have: the reason shows
    # instead of the Message button only when there is no thread yet.
    start_refusal = ""
    if show and user is not None:
        start_refusal = selectors.start_refusal_reason(user=user)
        if start_refusal and selectors.thread_id_between(user_id=user.pk, other_id=person.pk):
            start_refusal = ""
    return {
        "show": show,
        "person": person,
        "state": state,
        "start_refusal": start_refusal,
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def reports_open_count() -> int:
    """Open reports in the safety queue, for the staff area's tabs (one indexed count)."""
    from .. import moderation_selectors

    return moderation_selectors.reports_open_count()


@register.simple_tag(takes_context=True)
def dm_message_items(context: template.Context, messages: Sequence[Any]) -> SafeString:
    """A conversation page's `<li>`s, built in Python: the same markup the template had, at a fraction of
    its cost (a page of 50 took ~10 ms of template rendering, most of the page). Every value is escaped
    by format_html; the body keeps its line breaks through CSS."""
    user_id = context["user"].pk
    edit_cutoff = context["edit_cutoff"]
    csrf = csrf_input(context.get("csrf_token"))
    urls = {name: UrlPattern(f"messaging:message_{name}") for name in ("edit", "delete", "report")}
    items = (_message_item(m, user_id=user_id, edit_cutoff=edit_cutoff, csrf=csrf, urls=urls) for m in messages)
    return mark_safe("".join(items))  # noqa: S308 (each item built with format_html)


def _message_item(
    message: Any, *, user_id: int, edit_cutoff: datetime, csrf: SafeString, urls: dict[str, UrlPattern]
) -> SafeString:
    mine = message.sender_id == user_id
    created = message.created_at
    classes = "dm-message" + (" is-mine" if mine else "") + (" is-deleted" if message.deleted_at else "")
    meta = format_html(
        '<div class="dm-meta muted"><strong>{}</strong>\n    · <time datetime="{}" data-time>{}</time>{}</div>',
        "You" if mine else message.sender.name,
        created.isoformat(),
        date_format(timezone.localtime(created), "j M Y, H:i"),
        mark_safe(' <span class="dm-edited" data-edited>(edited)</span>')
        if message.edited_at and not message.deleted_at
        else "",
    )
    if message.deleted_at:
        body = mark_safe('<div class="message-body dm-deleted" data-body><em>Message deleted</em></div>')
    else:
        if mine:
            edit = (
                format_html(
                    '<li><a href="{}" data-action="edit">Edit</a></li>',
                    urls["edit"](message.pk),
                )
                if created > edit_cutoff
                else ""
            )
            actions = format_html(
                '{}\n      <li><form method="post" action="{}" data-action="delete">{}'
                '<button type="submit" class="link">Delete</button></form></li>',
                edit,
                urls["delete"](message.pk),
                csrf,
            )
        else:
            actions = format_html('<li><a href="{}">Report</a></li>', urls["report"](message.pk))
        body = format_html(
            '<div class="message-body" data-body>{}</div>\n  <details class="dm-actions" data-actions>\n'
            '    <summary aria-label="Actions for this message">⋯</summary>\n    <ul>\n      {}\n    </ul>\n'
            "  </details>",
            message.body,
            actions,
        )
    return format_html(
        '<li id="m{}" class="{}" data-message-id="{}" data-created-at="{}"{}>\n  {}\n  {}\n</li>\n',
        message.pk,
        classes,
        message.pk,
        created.isoformat(),
        mark_safe(" data-mine") if mine else "",
        meta,
        body,
    )
