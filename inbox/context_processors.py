from typing import Any

from django.http import HttpRequest


def inbox(request: HttpRequest) -> dict[str, Any]:
    return {"inbox_unread": None}
