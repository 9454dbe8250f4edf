from django import forms

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
