"""Domain errors raised by messaging services and selectors (core.exceptions turns them into 404/400/403/429)."""

from __future__ import annotations

from core import exceptions as core


class MessagingError(core.DomainError):
    """Base class: `str(error)` is a message fit to show the person."""


class MessagingDisabled(MessagingError, core.NotFound):
    """Direct messaging is turned off in admin (404 everywhere)."""

    default_message = "Direct messaging is turned off."


class NotAParticipant(MessagingError, core.NotFound):
    """The thread does not exist or is not the user's (404: never reveal which)."""

    default_message = "Thread not found."


class InvalidMessage(MessagingError, core.InvalidInput):
    """The body is empty or too long (400)."""


class RecipientUnavailable(MessagingError, core.Forbidden):
    """Self-messaging, an inactive member or a block between the two (403)."""


class RateLimited(MessagingError, core.RateLimited):
    """The sender went over the per-minute limit (429)."""


class StartNotAllowed(MessagingError, core.Forbidden):
    """The member may reply in existing threads but not start new ones (membership rule, 403)."""


class MessageNotEditable(MessagingError, core.Forbidden):
    """Not the sender's own message, already deleted, or past the edit window (403)."""


class MessagingSuspended(MessagingError, core.Forbidden):
    """Staff suspended this member's messaging: they can read but not send (403)."""

    default_message = "The club's staff suspended your messaging: you can read your conversations but not send."


class ReportNotFound(MessagingError, core.NotFound):
    """No such report, or not one this person may see (404)."""

    default_message = "Report not found."


class ModerationNotAllowed(MessagingError, core.Forbidden):
    """Not club staff, or a decision about a staff or admin account (403)."""


class InvalidDecision(MessagingError, core.InvalidInput):
    """An unknown decision, a note too long, an end in the past (400)."""


class ReportAlreadyDecided(MessagingError, core.Conflict):
    """Another staff member decided this report a moment ago (409)."""

    default_message = "This report was already decided."
