"""API shapes for direct messages. Bodies are plain text: clients must render them as text."""

from __future__ import annotations

from rest_framework import serializers

from core.fields import PlainTextField, StrictBooleanField

from .models import Block, Message, Participant


class PersonSerializer(serializers.Serializer):
    username = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    initials = serializers.CharField(read_only=True)


class MessageSerializer(serializers.ModelSerializer):
    sender = PersonSerializer(read_only=True)
    thread = serializers.IntegerField(source="thread_id", read_only=True)
    body = serializers.SerializerMethodField(help_text="Plain text; empty when the message was deleted.")
    deleted = serializers.BooleanField(source="is_deleted", read_only=True)

    class Meta:
        model = Message
        fields = ("id", "thread", "sender", "body", "created_at", "edited_at", "deleted")
        read_only_fields = fields

    def get_body(self, message: Message) -> str:
        return "" if message.is_deleted else message.body


class MessageUpdateSerializer(serializers.Serializer):
    body = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text="The new text (within 15 minutes of sending)."
    )


class PreferencesSerializer(serializers.Serializer):
    read_receipts = StrictBooleanField(
        required=False, help_text="Share when you have read messages (off also hides others' from you)."
    )
    email_unread = StrictBooleanField(required=False, help_text="Email me when a message waits unread.")


class ThreadSerializer(serializers.ModelSerializer):
    """A thread as one member sees it (built from that member's Participant row)."""

    id = serializers.IntegerField(source="thread_id", read_only=True)
    other = PersonSerializer(read_only=True)
    # Declared once (not built per row in a method field): the list API serialises 25 of these.
    last_message = MessageSerializer(source="thread.last_message", read_only=True, allow_null=True)

    class Meta:
        model = Participant
        fields = (
            *("id", "other", "unread_count", "archived", "muted"),
            *("last_activity_at", "last_read_at", "last_message"),
        )
        read_only_fields = ("id", "other", "unread_count", "last_activity_at", "last_read_at", "last_message")


class ThreadStartSerializer(serializers.Serializer):
    username = PlainTextField(max_length=150, require_text=True, help_text="The member's username.")


class ThreadListQuerySerializer(serializers.Serializer):
    archived = serializers.BooleanField(required=False, default=False, help_text="The archived tab instead.")


class MessageListQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(
        required=False, min_value=0, max_value=999_999_999_999_999_999, help_text="Only messages with a larger id."
    )


class ThreadUpdateSerializer(serializers.Serializer):
    archived = serializers.BooleanField(required=False)
    muted = serializers.BooleanField(required=False)


class MessageCreateSerializer(serializers.Serializer):
    # Length and emptiness are checked by the service after trimming, with one clear message.
    body = PlainTextField(
        max_length=5000,
        require_text=True,
        trim_whitespace=False,
        help_text="1 to 5,000 characters; plain text without control characters (newline and tab are fine).",
    )


class ReportCreateSerializer(serializers.Serializer):
    reason = PlainTextField(allow_blank=True, required=False, default="", max_length=1000)


class ReportSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    message = serializers.IntegerField(source="message_id", read_only=True)
    status = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class BlockSerializer(serializers.ModelSerializer):
    blocked = PersonSerializer(read_only=True)

    class Meta:
        model = Block
        fields = ("blocked", "created_at")
        read_only_fields = fields


class UnreadSerializer(serializers.Serializer):
    messages = serializers.IntegerField(read_only=True, help_text="Unread direct messages (0 when switched off).")
    inbox = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Unread staff-inbox conversations; null for members."
    )


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ThreadDetailSerializer(ThreadSerializer):
    """One thread with `seen_up_to`: the last message the other member has read (null while either of
    the two has read receipts off). The view passes it in the context."""

    seen_up_to = serializers.SerializerMethodField()

    class Meta(ThreadSerializer.Meta):
        fields: tuple[str, ...] = (*ThreadSerializer.Meta.fields, "seen_up_to")  # type: ignore[assignment]
        read_only_fields: tuple[str, ...] = fields  # type: ignore[assignment]

    def get_seen_up_to(self, participant: Participant) -> int | None:
        value = self.context.get("seen_up_to")
        return int(value) if value is not None else None
