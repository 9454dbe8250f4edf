from django import forms

from .models import Channel
from .services import MAX_BODY_LENGTH


class ReplyForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.SMS, widget=forms.RadioSelect)
    subject = forms.CharField(max_length=200, required=False, help_text="Email only.")
    body = forms.CharField(label="Message", max_length=MAX_BODY_LENGTH, widget=forms.Textarea(attrs={"rows": 4}))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("channel") == Channel.EMAIL and not str(data.get("subject") or "").strip():
            self.add_error("subject", "An email needs a subject.")
        return data
