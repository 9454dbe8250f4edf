from __future__ import annotations

from typing import Any

from django import template

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
