"""Domain errors of the staff inbox (core.exceptions: pages and APIs turn them into 400/403/404)."""

from __future__ import annotations

from core import exceptions as core


class ReplyNotAllowed(core.InvalidInput):
    """A message cannot be queued (no ClubOS contact, empty body, email without subject…)."""


class NotInboxStaff(core.Forbidden):
    """Only club staff work the staff inbox (403)."""

    default_message = "Only club staff can use the staff inbox."


class ConversationNotFound(core.NotFound):
    """No such conversation (404)."""

    default_message = "Conversation not found."


class InvalidStatsRange(core.InvalidInput):
    """The Stats page's dates: not YYYY-MM-DD, reversed, or more than a year apart (400)."""


class ActionNotAllowed(core.InvalidInput):
    """A conversation action cannot be done as asked (an assignee who isn't staff, a snooze in the past…)."""


class StaffMemberNotFound(core.NotFound):
    """No such (active) staff member to assign to (404)."""

    default_message = "No such staff member."


class SavedReplyNotFound(core.NotFound):
    """No such saved reply (404)."""

    default_message = "Saved reply not found."


class SavedReplyInvalid(core.InvalidInput):
    """A saved reply that cannot be saved as it is (blank, too long, an unknown placeholder…)."""


class SavedReplyTitleTaken(SavedReplyInvalid):
    """Another saved reply has this title (any case): a form error on pages, a 409 in the API."""

    default_message = "title: A saved reply with this title already exists."
