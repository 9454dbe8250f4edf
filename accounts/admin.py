from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from .models import User

PROFILE_FIELDS = ("display_name", "bio", "email", "mobile_phone", "clubos_member_id", "membership_status")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Admins edit everything; club staff (the "Club staff" group) edit members' profiles only."""

    list_display = ("username", "display_name", "email", "role", "membership_status", "clubos_member_id", "is_staff")
    list_filter = ("role", "membership_status", "is_staff", "is_active")
    search_fields = ("username", "display_name", "first_name", "last_name", "email", "mobile_phone")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Club profile", {"fields": ("role", *[f for f in PROFILE_FIELDS if f != "email"])}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None or request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        # No password, roles or permissions for non-admins: they could otherwise promote themselves.
        return (
            (None, {"fields": ("username", "first_name", "last_name")}),
            ("Club profile", {"fields": PROFILE_FIELDS}),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ("username",)
