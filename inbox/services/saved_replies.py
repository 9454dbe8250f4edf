"""Saved replies: canned texts the whole team shares, with `{first_name}`-style placeholders.

A placeholder is filled from the conversation's contact (or its linked account) when a reply box
asks for the text; a name the inbox does not know is refused when the reply is saved, and would be
left visible (never silently dropped) if one got in another way.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User

from ..exceptions import NotInboxStaff, SavedReplyInvalid, SavedReplyTitleTaken
from ..models import Conversation, SavedReply

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
PLACEHOLDERS = ("first_name", "last_name", "name")


def _require_staff(user: User) -> None:
    if not user.is_inbox_staff:
        raise NotInboxStaff()


def saved_reply_unknown_placeholders(*, body: str) -> list[str]:
    """The `{names}` in a text that saved_reply_render cannot fill, in order of appearance."""
    unknown: list[str] = []
    for name in PLACEHOLDER.findall(body):
        if name not in PLACEHOLDERS and name not in unknown:
            unknown.append(name)
    return unknown


def _validated(saved_reply: SavedReply) -> None:
    saved_reply.title = saved_reply.title.strip()
    saved_reply.body = saved_reply.body.strip()
    unknown = saved_reply_unknown_placeholders(body=saved_reply.body)
    if unknown:
        names = ", ".join("{" + name + "}" for name in unknown)
        known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise SavedReplyInvalid(f"Unknown placeholder {names}: use {known}.")
    try:
        saved_reply.full_clean(validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise SavedReplyInvalid(f"{field}: {messages[0]}") from exc


def _saved(saved_reply: SavedReply) -> SavedReply:
    try:
        with transaction.atomic():
            saved_reply.save()
    except IntegrityError as exc:  # the case-insensitive unique title
        raise SavedReplyTitleTaken() from exc
    return saved_reply


@transaction.atomic
def saved_reply_create(*, user: User, title: str, body: str) -> SavedReply:
    _require_staff(user)
    saved_reply = SavedReply(title=title, body=body, created_by=user)
    _validated(saved_reply)
    return _saved(saved_reply)


@transaction.atomic
def saved_reply_update(
    *, user: User, saved_reply: SavedReply, title: str | None = None, body: str | None = None
) -> SavedReply:
    _require_staff(user)
    if title is not None:
        saved_reply.title = title
    if body is not None:
        saved_reply.body = body
    _validated(saved_reply)
    return _saved(saved_reply)


@transaction.atomic
def saved_reply_delete(*, user: User, saved_reply: SavedReply) -> None:
    _require_staff(user)
    saved_reply.delete()


def _placeholder_values(conversation: Conversation) -> dict[str, str]:
    contact = conversation.contact
    account = contact.user
    if account is not None and (account.first_name or account.last_name):
        first, last = account.first_name.strip(), account.last_name.strip()
    else:
        parts = contact.display_name.split()
        first, last = (parts[0], " ".join(parts[1:])) if parts else ("", "")
    return {"first_name": first, "last_name": last, "name": contact.display_name}


def saved_reply_render(*, saved_reply: SavedReply, conversation: Conversation) -> str:
    """The text with its placeholders filled for this conversation's member; unknown ones stay visible."""
    values = _placeholder_values(conversation)

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name] if name in values else match.group(0)

    return PLACEHOLDER.sub(fill, saved_reply.body)
