from django import forms

ACTIONS = [("send", "Send"), ("discard", "Discard")]


class SuggestionForm(forms.Form):
    action = forms.ChoiceField(choices=ACTIONS)
    body = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("action") == "send" and not str(data.get("body") or "").strip():
            self.add_error("body", "Write a message first.")
        return data


class DecisionFilterForm(forms.Form):
    intent = forms.CharField(required=False, max_length=40)
    decision = forms.CharField(required=False, max_length=16)
    reason = forms.CharField(required=False, max_length=32)
    date = forms.DateField(required=False)
