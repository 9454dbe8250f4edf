"""The action forms of the conversation page (`/inbox/<id>/act/`): one form, the `action` says which."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from core.validators import validate_no_control_characters

from .models import ConversationStatus, Priority
from .services.actions import LABELS_MAX, NOTE_MAX_LENGTH

ACTIONS = [
    ("take", "Take"),
    ("assign", "Assign"),
    ("labels", "Labels"),
    ("priority", "Priority"),
    ("status", "Status"),
    ("snooze", "Snooze"),
    ("unread", "Mark unread"),
    ("note", "Note"),
    ("retry", "Send again"),
]
MAX_ID = 10**18 - 1
# Snoozing needs a time: it has its own action.
STATUS_CHOICES = [(value, label) for value, label in ConversationStatus.choices if value != ConversationStatus.SNOOZED]
# What a datetime-local input sends, read in the club's time zone (the active one on staff pages).
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


class ConversationActionForm(forms.Form):
    action = forms.ChoiceField(choices=ACTIONS)
    assignee = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    labels = forms.TypedMultipleChoiceField(required=False, coerce=int)
    new_label = forms.CharField(required=False, max_length=40, validators=[validate_no_control_characters])
    priority = forms.ChoiceField(required=False, choices=Priority.choices)
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)
    until = forms.DateTimeField(required=False, input_formats=LOCAL_FORMATS)
    body = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH, validators=[validate_no_control_characters])
    message = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)

    def __init__(self, *args: Any, label_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = cast("forms.TypedMultipleChoiceField", self.fields["labels"])
        labels.choices = [(pk, str(pk)) for pk in label_ids]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        required = {"priority": "priority", "status": "status", "snooze": "until", "note": "body", "retry": "message"}
        field = required.get(data.get("action", ""))
        if field and not data.get(field):
            self.add_error(field if field in self.fields else None, "This field is required.")
        if len(data.get("labels") or []) > LABELS_MAX:
            self.add_error("labels", f"At most {LABELS_MAX} labels.")
        return data
