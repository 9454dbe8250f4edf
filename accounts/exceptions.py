"""Domain errors of the accounts app."""

from __future__ import annotations

from core.exceptions import NotFound


class MemberNotFound(NotFound):
    """No (active) account with that username (404)."""

    default_message = "No member with that username."
