from django.contrib import admin

from .models import Contact, Conversation, InboxMessage


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
