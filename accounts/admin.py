from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from . import services
from .forms import AdminSignInForm
from .models import ApiToken, User

PROFILE_FIELDS = ("display_name", "bio", "email", "mobile_phone", "clubos_member_id", "membership_status")


# Admin's sign-in page is throttled like the site's (accounts.throttle).
admin.site.login_form = AdminSignInForm


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Admins (superusers) edit everything; club staff see and edit members' profiles, nothing more.

    For non-superusers: the list and every object view hold members only (staff and admin accounts
    are invisible, so nobody can edit a colleague or the admin), the form has profile fields only
    (no password, role, permissions or groups), and the password form is refused for everyone but
    superusers. Staff help a member with a password by sending Django's reset email (the action).
    Every change, and every reset email sent, is recorded in the admin log (LogEntry).
    """

    list_display = ("username", "display_name", "email", "role", "membership_status", "clubos_member_id", "is_staff")
    list_filter = ("role", "membership_status", "is_staff", "is_active")
    search_fields = ("username", "display_name", "first_name", "last_name", "email", "mobile_phone")
    # Plain multiple selects for groups and permissions: Django's two-box widget (SelectFilter2.js) puts
    # aria-label on role-less spans, a serious axe violation (tests/config/test_accessibility.py).
    filter_horizontal = ()
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Club profile", {"fields": ("role", *[f for f in PROFILE_FIELDS if f != "email"])}),
    )
    actions = ["send_password_reset"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=User.objects.manageable_by_staff())

    def _manageable(self, request: HttpRequest, obj: Any) -> bool:
        return obj is None or request.user.is_superuser or services.user_staff_can_manage(target=obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self._manageable(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._manageable(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._manageable(request, obj)

    def get_list_filter(self, request: HttpRequest) -> Any:
        return self.list_filter if request.user.is_superuser else ("membership_status", "is_active")

    def get_list_display(self, request: HttpRequest) -> Any:
        if request.user.is_superuser:
            return self.list_display
        return ("username", "display_name", "email", "membership_status", "clubos_member_id")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
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

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        # Only an admin sets another person's password; staff send a reset link instead.
        if not request.user.is_superuser:
            raise PermissionDenied("Only an admin can set a password. Send the member a reset email instead.")
        return super().user_change_password(request, id, form_url)

    @admin.action(description="Send a password-reset email", permissions=["change"])
    def send_password_reset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        sent, skipped = 0, 0
        for user in queryset:
            if services.password_reset_send(actor=request.user, user=user, request=request):  # type: ignore[arg-type]
                self.log_change(request, user, "Sent a password-reset email.")
                sent += 1
            else:
                skipped += 1
        if sent:
            self.message_user(request, f"Sent {sent} password-reset email(s).", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} account(s) skipped: no email address, no usable password, or not a member.",
                messages.WARNING,
            )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Admins create keys for integrations (shown once, on creation) and revoke them; staff see nothing."""

    list_display = ("name", "prefix", "user", "scope", "created_at", "last_used_at", "revoked_at")
    list_filter = ("scope", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "user__username")
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("name", "user", "scope")
        return ("name", "user", "scope", "prefix", "created_at", "last_used_at", "revoked_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        # The key cannot be shown again, and a scope or owner change would surprise its holder: revoke
        # it and create another instead.
        return ("user", "scope", "prefix", "created_at", "last_used_at", "revoked_at")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.inbox_staff()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, key = services.api_token_create(name=obj.name, user=obj.user, scope=obj.scope)
        for field in ("pk", "prefix", "key_hash", "created_at"):
            setattr(obj, field, getattr(token, field))
        self.message_user(
            request,
            f"The key for “{token.name}” is {key} — copy it now: it is stored hashed and will not be shown again.",
            messages.WARNING,
        )

    @admin.action(description="Revoke the selected API tokens", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = 0
        for token in queryset:
            if services.api_token_revoke(token=token):
                self.log_change(request, token, "Revoked.")
                revoked += 1
        self.message_user(request, f"Revoked {revoked} API token(s).", messages.SUCCESS)
