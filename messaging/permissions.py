"""Who may use the direct-message API: one rule."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from . import selectors


class DirectMessagingMember(BasePermission):
    """Signed in (else 401), and direct messaging switched on (else MessagingDisabled: 404)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        selectors.messaging_require_enabled()
        return True
