import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django import forms

from core.validators import validate_no_control_characters

from .models import Channel, ConversationStatus
from .selectors import ListCursor, Scope
from .services.outbound import BODY_MAX_LENGTH, IDEMPOTENCY_KEY_MAX_LENGTH, SUBJECT_MAX_LENGTH


def _new_key() -> str:
    return uuid.uuid4().hex


class ReplyForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.SMS, widget=forms.RadioSelect)
    subject = forms.CharField(
        max_length=SUBJECT_MAX_LENGTH,
        required=False,
        help_text="Email only.",
        validators=[validate_no_control_characters],
    )
    body = forms.CharField(
        label="Message",
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        validators=[validate_no_control_characters],
    )
    # One per rendered form: submitting the same form twice queues one reply.
    idempotency_key = forms.CharField(
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH, required=False, initial=_new_key, widget=forms.HiddenInput
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("channel") == Channel.EMAIL and not str(data.get("subject") or "").strip():
            self.add_error("subject", "An email needs a subject.")
        return data


SEARCH_MAX_LENGTH = 200
_CURSOR = re.compile(r"^(\d{1,17})-(\d{1,18})$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def list_cursor_encode(cursor: ListCursor) -> str:
    """`<microseconds since the epoch>-<id>`: exact (no float), short, URL-safe."""
    return f"{(cursor.last_message_at - _EPOCH) // _MICROSECOND}-{cursor.conversation_id}"


def list_cursor_decode(value: str) -> ListCursor:
    match = _CURSOR.match(value)
    if match is None:
        raise forms.ValidationError("Not a page of this list.")
    micros, conversation_id = int(match.group(1)), int(match.group(2))
    try:
        moment = _EPOCH + micros * _MICROSECOND
    except OverflowError as exc:
        raise forms.ValidationError("Not a page of this list.") from exc
    if conversation_id > 2**63 - 1:
        raise forms.ValidationError("Not a page of this list.")
    return ListCursor(last_message_at=moment, conversation_id=conversation_id)


class ConversationFilterForm(forms.Form):
    """The list's filter bar (GET): every value is checked, a bad one is a 400, never a 500."""

    status = forms.ChoiceField(choices=[("", "All"), *ConversationStatus.choices], required=False)
    scope = forms.ChoiceField(
        choices=[(Scope.ALL, "All"), (Scope.MINE, "Mine"), (Scope.UNASSIGNED, "Unassigned")], required=False
    )
    label = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    channel = forms.ChoiceField(choices=[("", "Any channel"), *Channel.choices], required=False)
    source = forms.CharField(max_length=50, required=False, validators=[validate_no_control_characters])
    unread = forms.BooleanField(label="Unread only", required=False)
    q = forms.CharField(
        label="Search", max_length=SEARCH_MAX_LENGTH, required=False, validators=[validate_no_control_characters]
    )
    after = forms.CharField(max_length=40, required=False)

    def clean_scope(self) -> str:
        return self.cleaned_data.get("scope") or Scope.ALL

    def clean_after(self) -> ListCursor | None:
        value = self.cleaned_data.get("after") or ""
        return list_cursor_decode(value) if value else None

    @staticmethod
    def default_filters() -> dict[str, Any]:
        return {
            "status": "", "scope": Scope.ALL, "label_id": None, "channel": "", "source": "", "unread_only": False,
            "q": "",
        }  # fmt: skip

    def list_filters(self) -> dict[str, Any]:
        """The selector's keyword arguments (the form must be valid)."""
        data = self.cleaned_data
        return {
            "status": data["status"],
            "scope": data["scope"],
            "label_id": data["label"],
            "channel": data["channel"],
            "source": data["source"].strip(),
            "unread_only": data["unread"],
            "q": data["q"].strip(),
        }


class SavedReplyForm(forms.Form):
    title = forms.CharField(max_length=100, validators=[validate_no_control_characters])
    body = forms.CharField(
        label="Text",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        validators=[validate_no_control_characters],
        help_text="Placeholders: {first_name}, {last_name}, {name}.",
    )
