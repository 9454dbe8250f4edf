"""Domain errors raised by messaging services; interfaces turn them into 404/400/403/429."""

from __future__ import annotations


class MessagingError(Exception):
    """Base class: `str(error)` is a message fit to show the person."""


class MessagingDisabled(MessagingError):
    """Direct messaging is turned off in admin (404 everywhere)."""

    def __init__(self, message: str = "Direct messaging is turned off.") -> None:
        super().__init__(message)


class NotAParticipant(MessagingError):
    """The thread does not exist or is not the user's (404: never reveal which)."""

    def __init__(self, message: str = "Thread not found.") -> None:
        super().__init__(message)


class InvalidMessage(MessagingError):
    """The body is empty or too long (400)."""


class RecipientUnavailable(MessagingError):
    """Self-messaging, an inactive member or a block between the two (403)."""


class RateLimited(MessagingError):
    """The sender went over the per-minute limit (429)."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
