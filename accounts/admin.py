from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "email", "role", "membership_status", "clubos_member_id", "is_staff")
    list_filter = ("role", "membership_status", "is_staff", "is_active")
    search_fields = ("username", "display_name", "first_name", "last_name", "email", "mobile_phone")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (
            "Club profile",
            {"fields": ("role", "display_name", "bio", "mobile_phone", "clubos_member_id", "membership_status")},
        ),
    )
