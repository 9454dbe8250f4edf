"""API for one staff-inbox conversation (/api/v1/inbox/conversations/<id>/…): thin views over
`inbox.selectors` and `inbox.services.actions`. Staff only (IsInboxStaff); domain errors → 4xx in core.api."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import IsInboxStaff
from core.fields import PlainTextField, validated_input

from . import selectors
from .models import (
    Channel,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    InboxMessage,
    Label,
    Note,
    Priority,
)
from .services import actions, conversations
from .services.outbound import BODY_MAX_LENGTH, IDEMPOTENCY_KEY_MAX_LENGTH, SUBJECT_MAX_LENGTH

TAG = "Staff inbox"
MAX_ID = 10**18 - 1  # what the <id> converter accepts: fits any 64-bit key column
# Snoozing needs a time (its own endpoint); named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].
SETTABLE_STATUS_CHOICES = [(value, ConversationStatus(value).label) for value in actions.SETTABLE_STATUSES]


class InboxPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    username = serializers.CharField()


class InboxLabelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Label
        fields = ["id", "name", "color"]


class InboxContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    clubos_id = serializers.IntegerField(allow_null=True)
    email = serializers.CharField()
    phone = serializers.CharField()
    can_text = serializers.BooleanField()
    user_id = serializers.IntegerField(allow_null=True)


class InboxMessageSerializer(serializers.ModelSerializer):
    author = InboxPersonSerializer(allow_null=True)

    class Meta:
        model = InboxMessage
        fields = [
            "id",
            "direction",
            "channel",
            "author_kind",
            "author",
            "subject",
            "body",
            "body_is_snippet",
            "sent_at",
            "delivery_status",
            "failure_reason",
        ]


class InboxNoteSerializer(serializers.ModelSerializer):
    author = InboxPersonSerializer(allow_null=True)
    mentions = InboxPersonSerializer(many=True)

    class Meta:
        model = Note
        fields = ["id", "author", "body", "mentions", "created_at"]


class ConversationEventSerializer(serializers.ModelSerializer):
    actor = InboxPersonSerializer(allow_null=True)
    details = serializers.DictField()

    class Meta:
        model = ConversationEvent
        fields = ["id", "kind", "actor", "details", "created_at"]


class ConversationStateSerializer(serializers.ModelSerializer):
    """The team's state of a conversation plus how far I have read it."""

    assignee = InboxPersonSerializer(allow_null=True)
    labels = serializers.SerializerMethodField()
    contact = InboxContactSerializer()
    read_up_to = serializers.SerializerMethodField()
    unread_for_me = serializers.SerializerMethodField()

    class Meta:
        model = Conversation
        fields = [
            "id",
            "contact",
            "status",
            "priority",
            "assignee",
            "labels",
            "snoozed_until",
            "source",
            "last_message_at",
            "last_inbound_id",
            "updated_at",
            "read_up_to",
            "unread_for_me",
        ]

    @extend_schema_field(InboxLabelSerializer(many=True))
    def get_labels(self, conversation: Conversation) -> list[dict[str, Any]]:
        labels = sorted(conversation.labels.all(), key=lambda label: (label.name.lower(), label.pk))
        return cast("list[dict[str, Any]]", InboxLabelSerializer(labels, many=True).data)

    def get_read_up_to(self, conversation: Conversation) -> int:
        return int(self.context.get("read_up_to", 0))

    def get_unread_for_me(self, conversation: Conversation) -> bool:
        return (conversation.last_inbound_id or 0) > int(self.context.get("read_up_to", 0))


class ConversationDetailSerializer(ConversationStateSerializer):
    messages = serializers.SerializerMethodField()
    notes = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()

    class Meta(ConversationStateSerializer.Meta):
        fields = [*ConversationStateSerializer.Meta.fields, "messages", "notes", "events"]

    @extend_schema_field(InboxMessageSerializer(many=True))
    def get_messages(self, conversation: Conversation) -> list[dict[str, Any]]:
        rows = selectors.conversation_messages(conversation=conversation)
        return cast("list[dict[str, Any]]", InboxMessageSerializer(rows, many=True).data)

    @extend_schema_field(InboxNoteSerializer(many=True))
    def get_notes(self, conversation: Conversation) -> list[dict[str, Any]]:
        rows = selectors.conversation_notes(conversation=conversation)
        return cast("list[dict[str, Any]]", InboxNoteSerializer(rows, many=True).data)

    @extend_schema_field(ConversationEventSerializer(many=True))
    def get_events(self, conversation: Conversation) -> list[dict[str, Any]]:
        rows = selectors.conversation_events(conversation=conversation)
        return cast("list[dict[str, Any]]", ConversationEventSerializer(rows, many=True).data)


# --- Input ---------------------------------------------------------------------------------------


class ReplyInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.SMS)
    body = PlainTextField(max_length=BODY_MAX_LENGTH, require_text=True, trim_whitespace=False)
    subject = PlainTextField(max_length=SUBJECT_MAX_LENGTH, required=False, default="", allow_blank=True)
    idempotency_key = PlainTextField(
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        required=False,
        require_text=True,
        help_text="Names this send: the same key again returns the stored reply and sends nothing.",
    )


class NoteInputSerializer(serializers.Serializer):
    body = PlainTextField(
        max_length=actions.NOTE_MAX_LENGTH, require_text=True, help_text="@username or @first-name mentions staff."
    )


class AssignInputSerializer(serializers.Serializer):
    assignee_id = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, allow_null=True, help_text="A staff member's id; null unassigns."
    )


class LabelsInputSerializer(serializers.Serializer):
    label_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        max_length=actions.LABELS_MAX,
    )
    names = serializers.ListField(
        child=PlainTextField(max_length=40, require_text=True),
        required=False,
        default=list,
        max_length=actions.LABELS_MAX,
        help_text="Label names; a new name creates the label.",
    )


class PriorityInputSerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Priority.choices)


class StatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=SETTABLE_STATUS_CHOICES)


class SnoozeInputSerializer(serializers.Serializer):
    until = serializers.DateTimeField(help_text="A future time (ISO 8601, with its offset).")


class ReadResultSerializer(serializers.Serializer):
    changed = serializers.BooleanField()
    conversation = ConversationStateSerializer()


# --- Views ---------------------------------------------------------------------------------------


class InboxStaffAPIView(APIView):
    permission_classes = [IsInboxStaff]

    def _user(self) -> User:
        return cast("User", self.request.user)

    def _conversation(self, conversation_id: int) -> Conversation:
        return selectors.conversation_get(conversation_id=conversation_id)

    def _state(self, conversation_id: int, *, code: int = status.HTTP_200_OK) -> Response:
        conversation = self._conversation(conversation_id)
        context = {"read_up_to": selectors.read_pointer(conversation=conversation, user=self._user())}
        return Response(ConversationStateSerializer(conversation, context=context).data, status=code)


class ConversationDetailAPI(InboxStaffAPIView):
    @extend_schema(
        tags=[TAG],
        summary="One conversation with its messages, notes and audit events (oldest first)",
        responses={200: ConversationDetailSerializer},
    )
    def get(self, request: Request, conversation_id: int) -> Response:
        conversation = self._conversation(conversation_id)
        context = {"read_up_to": selectors.read_pointer(conversation=conversation, user=self._user())}
        return Response(ConversationDetailSerializer(conversation, context=context).data)


class MarkReadAPI(InboxStaffAPIView):
    @extend_schema(
        tags=[TAG],
        summary="Mark read for me (my pointer moves to the newest inbound message)",
        request=None,
        responses={200: ReadResultSerializer},
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        changed = actions.conversation_mark_read(conversation=self._conversation(conversation_id), user=self._user())
        return Response({"changed": changed, "conversation": self._state(conversation_id).data})


class MarkUnreadAPI(InboxStaffAPIView):
    @extend_schema(
        tags=[TAG],
        summary="Mark unread for me (my pointer goes back before the newest inbound message)",
        request=None,
        responses={200: ReadResultSerializer},
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        changed = actions.conversation_mark_unread(conversation=self._conversation(conversation_id), user=self._user())
        return Response({"changed": changed, "conversation": self._state(conversation_id).data})


class ReplyAPI(InboxStaffAPIView):
    @extend_schema(
        tags=[TAG],
        summary="Reply to the member (queued; delivered by a task). Idempotent by key",
        request=ReplyInputSerializer,
        responses={201: InboxMessageSerializer, 200: InboxMessageSerializer},
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        data = validated_input(ReplyInputSerializer(data=request.data))
        conversation = self._conversation(conversation_id)
        key = data.get("idempotency_key")
        existed = bool(key) and InboxMessage.objects.filter(idempotency_key=key, conversation=conversation).exists()
        message = conversations.conversation_reply(
            conversation=conversation,
            author=self._user(),
            channel=data["channel"],
            body=data["body"],
            subject=data["subject"],
            idempotency_key=key,
        )
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(InboxMessageSerializer(message).data, status=code)


class NoteAPI(InboxStaffAPIView):
    @extend_schema(
        tags=[TAG], summary="Add an internal note (never sent)", request=NoteInputSerializer,
        responses={201: InboxNoteSerializer},
    )  # fmt: skip
    def post(self, request: Request, conversation_id: int) -> Response:
        data = validated_input(NoteInputSerializer(data=request.data))
        note = actions.note_add(
            conversation=self._conversation(conversation_id), author=self._user(), body=data["body"]
        )
        return Response(InboxNoteSerializer(note).data, status=status.HTTP_201_CREATED)


class AssignAPI(InboxStaffAPIView):
    @extend_schema(
        tags=[TAG],
        summary="Assign to a staff member (your own id: take it), or unassign with null",
        request=AssignInputSerializer,
        responses={200: ConversationStateSerializer},
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        data = validated_input(AssignInputSerializer(data=request.data))
        conversation = self._conversation(conversation_id)
        assignee = None
        if data["assignee_id"] is not None:
            assignee = selectors.staff_member_get(user_id=data["assignee_id"])
        actions.conversation_assign(conversation=conversation, actor=self._user(), assignee=assignee)
        return self._state(conversation_id)


class LabelsAPI(InboxStaffAPIView):
    @extend_schema(
        tags=[TAG],
        summary="Set the conversation's labels (replaces them)",
        request=LabelsInputSerializer,
        responses={200: ConversationStateSerializer},
    )
    def put(self, request: Request, conversation_id: int) -> Response:
        data = validated_input(LabelsInputSerializer(data=request.data))
        actions.conversation_labels_set(
            conversation=self._conversation(conversation_id),
            actor=self._user(),
            label_ids=data["label_ids"],
            names=data["names"],
        )
        return self._state(conversation_id)

    @extend_schema(
        tags=[TAG],
        summary="Set the conversation's labels (as PUT, for clients that only POST)",
        request=LabelsInputSerializer,
        responses={200: ConversationStateSerializer},
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        return self.put(request, conversation_id)


class PriorityAPI(InboxStaffAPIView):
    @extend_schema(
        tags=[TAG], summary="Set the priority", request=PriorityInputSerializer,
        responses={200: ConversationStateSerializer},
    )  # fmt: skip
    def post(self, request: Request, conversation_id: int) -> Response:
        data = validated_input(PriorityInputSerializer(data=request.data))
        actions.conversation_priority_set(
            conversation=self._conversation(conversation_id), actor=self._user(), priority=data["priority"]
        )
        return self._state(conversation_id)


class StatusAPI(InboxStaffAPIView):
    @extend_schema(
        tags=[TAG],
        summary="Open (reopen), pending or resolved",
        request=StatusInputSerializer,
        responses={200: ConversationStateSerializer},
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        data = validated_input(StatusInputSerializer(data=request.data))
        actions.conversation_status_set(
            conversation=self._conversation(conversation_id), actor=self._user(), status=data["status"]
        )
        return self._state(conversation_id)


class SnoozeAPI(InboxStaffAPIView):
    @extend_schema(
        tags=[TAG],
        summary="Snooze until a future time (a new message from the member reopens it sooner)",
        request=SnoozeInputSerializer,
        responses={200: ConversationStateSerializer},
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        data = validated_input(SnoozeInputSerializer(data=request.data))
        actions.conversation_snooze(
            conversation=self._conversation(conversation_id), actor=self._user(), until=data["until"]
        )
        return self._state(conversation_id)


class LabelListAPI(InboxStaffAPIView):
    @extend_schema(tags=[TAG], summary="The team's labels", responses={200: InboxLabelSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(InboxLabelSerializer(selectors.labels_list(), many=True).data)
