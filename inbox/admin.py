from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import (
    Contact,
    Conversation,
    ConversationEvent,
    InboxMessage,
    IntegrationSource,
    Label,
    Note,
    SavedReply,
)
from .services import sources
from .services.badges import badge_reconcile


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "clubos_id", "email", "phone", "user", "can_text")
    search_fields = ("name", "email", "phone", "clubos_id")
    raw_id_fields = ("user",)


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("contact", "status", "assignee", "unread_count", "last_message_at")
    list_filter = ("status",)
    raw_id_fields = ("contact", "assignee")

    def save_model(self, request: HttpRequest, obj: Conversation, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Status and assignee are editable here: the staff badges follow, in the admin's transaction.
        badge_reconcile(conversation_ids=[obj.pk])


@admin.register(InboxMessage)
class InboxMessageAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "conversation",
        "direction",
        "channel",
        "author_kind",
        "sent_at",
        "delivery_status",
        "clubos_message_id",
    )
    list_filter = ("direction", "channel", "delivery_status", "author_kind")
    search_fields = ("body", "clubos_message_id")
    raw_id_fields = ("conversation", "author")


@admin.register(IntegrationSource)
class IntegrationSourceAdmin(admin.ModelAdmin):
    """Admins add the systems that feed the inbox; the signing secret is generated, and visible to admins only."""

    list_display = ("name", "slug", "is_active", "callback_url", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "slug")
    actions = ["rotate_secret"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        base = ("name", "slug", "callback_url", "is_active")
        return base if obj is None else (*base, "secret", "created_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The slug is in every conversation's `source` and every contact's external id: fixed once made.
        return () if obj is None else ("slug", "secret", "created_at")

    @admin.action(description="Generate a new signing secret (the old one stops working)", permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[IntegrationSource]) -> None:
        for source in queryset:
            sources.source_secret_rotate(source=source)
            self.log_change(request, source, "Generated a new signing secret.")
        self.message_user(
            request, f"New secrets for {queryset.count()} source(s): see each source's page.", messages.WARNING
        )


@admin.register(ConversationEvent)
class ConversationEventAdmin(admin.ModelAdmin):
    """The audit trail: read only (written by the inbox's actions, never by hand)."""

    list_display = ("created_at", "conversation", "kind", "actor", "data")
    list_filter = ("kind",)
    list_select_related = ("conversation__contact", "actor")
    search_fields = ("actor__username", "conversation__contact__name")
    date_hierarchy = "created_at"
    readonly_fields = ("conversation", "kind", "actor", "data", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    """Internal notes are written on the conversation page (with their audit event); here they are looked up."""

    list_display = ("created_at", "conversation", "author")
    list_select_related = ("conversation__contact", "author")
    search_fields = ("body", "author__username")
    readonly_fields = ("conversation", "author", "mentions", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ("name", "color", "created_at")
    search_fields = ("name",)


@admin.register(SavedReply)
class SavedReplyAdmin(admin.ModelAdmin):
    list_display = ("title", "created_by", "updated_at")
    search_fields = ("title", "body")
    raw_id_fields = ("created_by",)
