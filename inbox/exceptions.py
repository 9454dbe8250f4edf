"""Domain errors of the staff inbox; views and APIs turn them into 400s with the message shown."""


class ReplyNotAllowed(Exception):
    """A reply cannot be queued (no ClubOS contact, empty body, email without subject…)."""
