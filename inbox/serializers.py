"""API shapes of the staff inbox's list and saved replies (/api/v1/inbox/...)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.fields import PlainTextField

from .models import Channel, Contact, Conversation, ConversationStatus, Label, SavedReply
from .selectors import Scope

MAX_ID = 2**63 - 1


class InboxErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class QuerySerializer(serializers.Serializer):
    """Query parameters: one given empty is refused (DRF would treat `?hours=` as absent; the schema says no)."""

    def to_internal_value(self, data: Any) -> Any:
        for name, field in self.fields.items():
            if data.get(name) == "" and not getattr(field, "allow_blank", False):
                raise serializers.ValidationError({name: ["This field may not be blank."]})
        return super().to_internal_value(data)


class ConversationListQuerySerializer(QuerySerializer):
    status = serializers.ChoiceField(choices=ConversationStatus.choices, required=False)
    scope = serializers.ChoiceField(
        choices=Scope.CHOICES,
        required=False,
        default=Scope.ALL,
        help_text="mine: assigned to me or @mentioned in a note of a conversation that isn't resolved.",
    )
    label = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="A label id.")  # type: ignore[assignment]
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, help_text="The last message's.")
    source = PlainTextField(required=False, max_length=50, help_text='"clubos" or an integration source slug.')  # type: ignore[assignment]
    unread = serializers.BooleanField(required=False, default=False, help_text="Only the ones unread for me.")
    q = PlainTextField(
        required=False, max_length=200, help_text="Search names, phone, email and message text.", trim_whitespace=True
    )
    updated_since = serializers.DateTimeField(required=False, help_text="Only conversations changed since (ISO 8601).")

    def list_filters(self) -> dict[str, Any]:
        data = self.validated_data
        return {
            "status": data.get("status", ""),
            "scope": data["scope"],
            "label_id": data.get("label"),
            "channel": data.get("channel", ""),
            "source": (data.get("source") or "").strip(),
            "unread_only": data["unread"],
            "q": data.get("q", ""),
            "updated_since": data.get("updated_since"),
        }


class RecentQuerySerializer(QuerySerializer):
    hours = serializers.IntegerField(required=False, default=24, min_value=1, max_value=168)


class ContactSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = Contact
        fields = ["id", "name", "email", "phone", "clubos_id", "user_id"]
        read_only_fields = fields


class AssigneeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class LabelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Label
        fields = ["id", "name", "color"]
        read_only_fields = fields


class ConversationRowSerializer(serializers.ModelSerializer):
    """One row of the list (conversation_list's annotations included)."""

    contact = ContactSerializer(read_only=True)
    assignee = AssigneeSerializer(read_only=True, allow_null=True)
    labels = LabelSerializer(source="label_list", many=True, read_only=True)
    channel = serializers.CharField(source="last_message_channel", read_only=True)
    unread_for_me = serializers.BooleanField(read_only=True, help_text="An inbound message past my read pointer.")

    class Meta:
        model = Conversation
        fields = [
            "id", "contact", "status", "priority", "assignee", "labels", "source", "channel",
            "last_message_at", "last_message_preview", "unread_for_me", "unread_count", "snoozed_until", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class SavedReplySerializer(serializers.ModelSerializer):
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = SavedReply
        fields = ["id", "title", "body", "created_by", "updated_at"]
        read_only_fields = fields


class SavedReplyWriteSerializer(serializers.Serializer):
    title = PlainTextField(max_length=100, require_text=True)
    body = PlainTextField(
        max_length=5000, require_text=True, help_text="Placeholders: {first_name}, {last_name}, {name}."
    )


class SavedReplyRenderQuerySerializer(QuerySerializer):
    conversation = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The conversation's id.")


class SavedReplyRenderedSerializer(serializers.Serializer):
    saved_reply = serializers.IntegerField(read_only=True)
    conversation = serializers.IntegerField(read_only=True)
    body = serializers.CharField(read_only=True, help_text="The text with the member's placeholders filled.")
