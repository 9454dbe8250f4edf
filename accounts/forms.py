from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from core.validators import validate_no_control_characters

from . import throttle
from .models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("display_name", "bio", "email", "mobile_phone")
        widgets = {"bio": forms.Textarea(attrs={"rows": 4, "maxlength": 500})}

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError("Enter the name other members will see.")
        return name


class ThrottledSignInMixin:
    """Sign-in forms (the site's and admin's) that apply accounts.throttle before checking a password."""

    request: Any
    cleaned_data: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].validators.append(validate_no_control_characters)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        username = str(self.cleaned_data.get("username") or "")
        address = throttle.client_address(self.request)
        wait = throttle.signin_wait_seconds(username=username, address=address)
        if wait:
            if throttle.signin_is_locked(username=username, address=address):
                minutes = max(1, round(wait / 60))
                message = (
                    "Too many failed sign-ins: this account or your address is locked. "
                    f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
                )
            else:
                message = f"Too many failed sign-ins. Wait {wait} second{'s' if wait != 1 else ''} and try again."
            raise forms.ValidationError(message, code="throttled")
        try:
            cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        except forms.ValidationError as error:
            if getattr(error, "code", None) == "invalid_login":
                throttle.signin_failed(username=username, address=address)
            raise
        if username:
            throttle.signin_succeeded(username=username)
        return cleaned


class SignInForm(ThrottledSignInMixin, AuthenticationForm):
    pass


class AdminSignInForm(ThrottledSignInMixin, AdminAuthenticationForm):
    pass
