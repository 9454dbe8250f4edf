"""Admin: the direct-messaging switch (with its history), reported messages and blocks."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from . import moderation, services
from .exceptions import ModerationNotAllowed
from .models import (
    Block,
    MessagingSettings,
    MessagingSuspension,
    ModerationAction,
    Preferences,
    Report,
    ToggleChange,
)


@admin.register(MessagingSettings)
class MessagingSettingsAdmin(admin.ModelAdmin):
    """A singleton: the list page goes straight to the one row; saving goes through the service."""

    fields = ("enabled", "start_policy", "updated_at", "history")
    readonly_fields = ("updated_at", "history")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        row, _ = MessagingSettings.objects.get_or_create(pk=MessagingSettings.SINGLETON_PK)
        return HttpResponseRedirect(reverse("admin:messaging_messagingsettings_change", args=[row.pk]))

    def save_model(self, request: HttpRequest, obj: MessagingSettings, form: Any, change: bool) -> None:
        services.messaging_set_enabled(actor=request.user, enabled=obj.enabled)  # type: ignore[arg-type]
        services.messaging_set_start_policy(actor=request.user, start_policy=obj.start_policy)  # type: ignore[arg-type]
        obj.refresh_from_db()

    @admin.display(description="History of the switch (who, when, on/off)")
    def history(self, obj: MessagingSettings) -> str:
        changes = ToggleChange.objects.filter(switch=obj).select_related("changed_by")[:100]
        if not changes:
            return "Never changed."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    timezone.localtime(c.changed_at).strftime("%Y-%m-%d %H:%M:%S %Z"),
                    "on" if c.enabled else "off",
                    c.changed_by or "system",
                )
                for c in changes
            ),
        )
        return format_html("<table><tr><th>When</th><th>Turned</th><th>By</th></tr>{}</table>", rows)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "status", "decision", "reporter", "message_sender", "message_snippet")
    list_filter = ("status", "decision")
    search_fields = ("reason", "message__body", "reporter__username", "message__sender__username")
    list_select_related = ("reporter", "message__sender")
    readonly_fields = (
        "message",
        "message_sender",
        "message_body",
        "reporter",
        "reason",
        "created_at",
        "reviewed_by",
        "reviewed_at",
        "decision",
        "decision_note",
    )
    fields = (*readonly_fields[:6], "status", "reviewed_by", "reviewed_at", "decision", "decision_note")
    actions = ("mark_reviewed",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="sender")
    def message_sender(self, obj: Report) -> str:
        return str(obj.message.sender)

    @admin.display(description="message")
    def message_snippet(self, obj: Report) -> str:
        return Truncator(obj.message.body).chars(80)

    @admin.display(description="message body")
    def message_body(self, obj: Report) -> str:
        return obj.message.body

    @admin.action(description="Mark selected reports as reviewed")
    def mark_reviewed(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        count = services.report_mark_reviewed(
            reviewer=request.user,  # type: ignore[arg-type]
            report_ids=list(queryset.values_list("pk", flat=True)),
        )
        self.message_user(request, f"{count} report(s) marked reviewed.", messages.SUCCESS)


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    list_display = ("blocker", "blocked", "created_at")
    list_select_related = ("blocker", "blocked")
    search_fields = ("blocker__username", "blocked__username")
    readonly_fields = ("blocker", "blocked", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Preferences)
class PreferencesAdmin(admin.ModelAdmin):
    list_display = ("user", "read_receipts", "email_unread", "updated_at")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    readonly_fields = ("user", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(MessagingSuspension)
class MessagingSuspensionAdmin(admin.ModelAdmin):
    """Suspensions are made in the safety queue (/inbox/reports/); here they are seen and lifted."""

    list_display = ("member", "created_at", "created_by", "until", "lifted_at", "lifted_by")
    list_filter = (("lifted_at", admin.EmptyFieldListFilter),)
    list_select_related = ("member", "created_by", "lifted_by")
    search_fields = ("member__username", "member__display_name", "reason")
    readonly_fields = ("member", "created_by", "reason", "report", "created_at", "until", "lifted_at", "lifted_by")
    actions = ("lift",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # lifted, never deleted: the history stays

    @admin.action(description="Lift the selected suspensions")
    def lift(self, request: HttpRequest, queryset: QuerySet[MessagingSuspension]) -> None:
        lifted = 0
        for suspension_id in queryset.filter(lifted_at__isnull=True).values_list("pk", flat=True):
            try:
                moderation.suspension_lift(suspension_id=suspension_id, actor=request.user)  # type: ignore[arg-type]
            except ModerationNotAllowed as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                lifted += 1
        self.message_user(request, f"{lifted} suspension(s) lifted.", messages.SUCCESS)


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    """The safety queue's audit trail: read only."""

    list_display = ("created_at", "kind", "actor", "member", "reports_resolved", "note_snippet")
    list_filter = ("kind",)
    list_select_related = ("actor", "member")
    search_fields = ("member__username", "actor__username", "note")
    readonly_fields = (
        "kind", "actor", "member", "message", "suspension", "reports_resolved", "note", "created_at", "notified_at"
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="note")
    def note_snippet(self, obj: ModerationAction) -> str:
        return Truncator(obj.note).chars(80)
