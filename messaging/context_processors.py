from typing import Any

from django.http import HttpRequest

from . import selectors


def messaging(request: HttpRequest) -> dict[str, Any]:
    """`messaging_enabled` and `messages_unread` for the nav (the switch is memoised; one sum query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"messaging_enabled": False, "messages_unread": 0}
    enabled = selectors.messaging_enabled()
    unread = selectors.messages_unread_count(user_id=user.pk) if enabled else 0
    return {"messaging_enabled": enabled, "messages_unread": unread}
