from typing import Any

from django.http import HttpRequest

from .selectors import staff_unread_count


def inbox(request: HttpRequest) -> dict[str, Any]:
    """`inbox_unread` for the staff inbox badge: a number for staff, None for everyone else."""
    user = getattr(request, "user", None)
    return {"inbox_unread": staff_unread_count(user=user) if user is not None else None}
