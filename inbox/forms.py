import uuid

from django import forms

from core.validators import validate_no_control_characters

from .models import Channel
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
