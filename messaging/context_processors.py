from typing import Any

from django.http import HttpRequest

from . import selectors

# A page that already read the badge's sum with its own rows leaves it here for the nav (one query less).
_UNREAD_ATTRIBUTE = "_messaging_unread_total"


def unread_total_remember(request: HttpRequest, *, total: int) -> None:
    """Tell the nav what this request already read, so it does not ask the database again."""
    setattr(request, _UNREAD_ATTRIBUTE, total)


def messaging(request: HttpRequest) -> dict[str, Any]:
    """`messaging_enabled` and `messages_unread` for the nav (the switch is memoised; one sum query
    unless the page already read it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"messaging_enabled": False, "messages_unread": 0}
    enabled = selectors.messaging_enabled()
    if not enabled:
        return {"messaging_enabled": False, "messages_unread": 0}
    unread = getattr(request, _UNREAD_ATTRIBUTE, None)
    if unread is None:
        unread = selectors.messages_unread_count(user_id=user.pk)
    return {"messaging_enabled": enabled, "messages_unread": unread}
