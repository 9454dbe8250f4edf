from typing import Any

from django.http import HttpRequest


def messaging(request: HttpRequest) -> dict[str, Any]:
    return {"messaging_enabled": False, "messages_unread": 0}
