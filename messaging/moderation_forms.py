"""Forms of the safety queue pages (the API validates with serializers; both call the same services)."""

from __future__ import annotations

from django import forms

from core.validators import validate_no_control_characters

from .models import ReportDecision


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=ReportDecision.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[validate_no_control_characters],
        help_text="Kept with the decision; a warning emails it to the member.",
    )
    until = forms.DateTimeField(
        required=False,
        label="Suspend until (optional)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text="Club time. Empty: until staff lift it.",
    )


class LiftForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[validate_no_control_characters],
    )
