from __future__ import annotations

from django import forms

from .models import Preferences


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = Preferences
        fields = ("read_receipts", "email_unread")
