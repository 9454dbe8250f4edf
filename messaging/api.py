"""REST API for direct messages (/api/v1/messaging/...): thin views over selectors and services."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import selectors as accounts_selectors
from core.fields import TEXT_PATTERN, validated_input
from core.pagination import CheckedCursorPagination
from realtime import selectors as realtime_selectors

from . import selectors, services
from .permissions import DirectMessagingMember
from .serializers import (
    BlockSerializer,
    ErrorSerializer,
    MessageCreateSerializer,
    MessageListQuerySerializer,
    MessageSerializer,
    MessageUpdateSerializer,
    PersonSerializer,
    PreferencesSerializer,
    ReportCreateSerializer,
    ReportSerializer,
    ThreadDetailSerializer,
    ThreadListQuerySerializer,
    ThreadSerializer,
    ThreadStartSerializer,
    ThreadUpdateSerializer,
    UnreadSerializer,
)

if TYPE_CHECKING:
    from accounts.models import User

TAG = "Direct messages"
ERRORS: dict[int, Any] = {
    401: OpenApiResponse(ErrorSerializer, description="Not signed in."),
    404: OpenApiResponse(ErrorSerializer, description="Not your thread, or direct messaging is turned off."),
}


class ThreadCursorPagination(CheckedCursorPagination):
    page_size = 25
    ordering = ("-last_activity_at", "-id")


class MessageCursorPagination(CheckedCursorPagination):
    page_size = 50
    ordering = "-id"


class MessagingAPIView(GenericAPIView):
    """Signed-in members while direct messaging is on (401 anonymous, 404 switched off).

    Authentication comes from REST_FRAMEWORK; domain errors become responses in core.api.
    """

    permission_classes = [DirectMessagingMember]
    pagination_class: type[CursorPagination] | None = None

    def _user(self) -> User:
        return cast("User", self.request.user)  # IsAuthenticated has run


class ThreadListAPI(MessagingAPIView):
    pagination_class = ThreadCursorPagination
    serializer_class = ThreadSerializer

    @extend_schema(
        tags=[TAG],
        summary="List my threads, latest activity first",
        parameters=[ThreadListQuerySerializer],
        responses={200: ThreadSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        archived = validated_input(ThreadListQuerySerializer(data=request.query_params))["archived"]
        rows = selectors.participant_list(user_id=self._user().pk, archived=archived)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ThreadSerializer(page, many=True).data)

    @extend_schema(
        tags=[TAG],
        summary="Start (or open) the thread with a member",
        request=ThreadStartSerializer,
        responses={200: ThreadSerializer, 201: ThreadSerializer, 403: ErrorSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = validated_input(ThreadStartSerializer(data=request.data))
        recipient = accounts_selectors.user_get(username=data["username"])
        thread, created = services.thread_start(initiator=self._user(), recipient=recipient)
        participant = selectors.participant_get(user_id=self._user().pk, thread_id=thread.pk)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(ThreadSerializer(participant).data, status=code)


class ThreadDetailAPI(MessagingAPIView):
    serializer_class = ThreadDetailSerializer

    @extend_schema(
        tags=[TAG],
        summary="One of my threads (with how far the other member has read)",
        responses={200: ThreadDetailSerializer, **ERRORS},
    )
    def get(self, request: Request, thread_id: int) -> Response:
        participant = selectors.participant_get(user_id=self._user().pk, thread_id=thread_id)
        seen = selectors.seen_up_to(viewer_id=self._user().pk, participant=participant)
        return Response(ThreadDetailSerializer(participant, context={"seen_up_to": seen}).data)

    @extend_schema(
        tags=[TAG],
        summary="Archive/unarchive or mute/unmute a thread (for me)",
        request=ThreadUpdateSerializer,
        responses={200: ThreadSerializer, **ERRORS},
    )
    def patch(self, request: Request, thread_id: int) -> Response:
        data = validated_input(ThreadUpdateSerializer(data=request.data))
        if "archived" in data:
            services.participant_set_archived(user=self._user(), thread_id=thread_id, archived=data["archived"])
        if "muted" in data:
            services.participant_set_muted(user=self._user(), thread_id=thread_id, muted=data["muted"])
        participant = selectors.participant_get(user_id=self._user().pk, thread_id=thread_id)
        return Response(ThreadSerializer(participant).data)


class MessageListAPI(MessagingAPIView):
    pagination_class = MessageCursorPagination
    serializer_class = MessageSerializer

    @extend_schema(
        tags=[TAG],
        summary="Messages in a thread, newest first",
        parameters=[MessageListQuerySerializer],
        responses={200: MessageSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, thread_id: int) -> Response:
        after = validated_input(MessageListQuerySerializer(data=request.query_params)).get("after")
        rows = selectors.message_list(user_id=self._user().pk, thread_id=thread_id, after_id=after)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(MessageSerializer(page, many=True).data)

    @extend_schema(
        tags=[TAG],
        summary="Send a message",
        request=MessageCreateSerializer,
        responses={
            201: MessageSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Empty or longer than 5,000 characters."),
            403: OpenApiResponse(ErrorSerializer, description="Blocked, or the member left."),
            429: OpenApiResponse(ErrorSerializer, description="More than 30 messages a minute."),
            **ERRORS,
        },
    )
    def post(self, request: Request, thread_id: int) -> Response:
        data = validated_input(MessageCreateSerializer(data=request.data))
        message = services.message_send(sender=self._user(), thread_id=thread_id, body=data["body"])
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class MessageDetailAPI(MessagingAPIView):
    serializer_class = MessageSerializer

    @extend_schema(
        tags=[TAG],
        summary="Edit my message (within 15 minutes of sending; it is marked edited)",
        request=MessageUpdateSerializer,
        responses={
            200: MessageSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Empty or too long."),
            403: OpenApiResponse(ErrorSerializer, description="Not mine, deleted, or past the edit window."),
            **ERRORS,
        },
    )
    def patch(self, request: Request, message_id: int) -> Response:
        # The raw value, not a serializer's: a number or a list is refused, never turned into text.
        body = request.data.get("body") if isinstance(request.data, dict) else None
        message = services.message_edit(user=self._user(), message_id=message_id, body=body)
        return Response(MessageSerializer(message).data)

    @extend_schema(
        tags=[TAG],
        summary='Delete my message (both members then see "message deleted")',
        responses={200: MessageSerializer, 403: OpenApiResponse(ErrorSerializer, description="Not mine."), **ERRORS},
    )
    def delete(self, request: Request, message_id: int) -> Response:
        message = services.message_delete(user=self._user(), message_id=message_id)
        return Response(MessageSerializer(message).data)


class MessageSearchAPI(MessagingAPIView):
    serializer_class = MessageSerializer

    @extend_schema(
        tags=[TAG],
        summary="Search my conversations' messages, newest first",
        parameters=[
            OpenApiParameter(
                "q", OpenApiTypes.STR, description="Words to find (full-text on PostgreSQL).", pattern=TEXT_PATTERN
            )
        ],
        responses={200: MessageSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        results = selectors.message_search(user_id=self._user().pk, query=request.query_params.get("q", ""))
        return Response(MessageSerializer(results, many=True).data)


class RecipientSearchAPI(MessagingAPIView):
    serializer_class = PersonSerializer

    @extend_schema(
        tags=[TAG],
        summary="Members I may message whose name matches (for a new conversation)",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Part of a name or username.", pattern=TEXT_PATTERN)
        ],
        responses={200: PersonSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        people = selectors.recipient_search(user=self._user(), query=request.query_params.get("q", ""))
        return Response(PersonSerializer(people, many=True).data)


class PreferencesAPI(MessagingAPIView):
    """Read receipts and unread emails; answers while messaging is off (emails follow the switch)."""

    permission_classes = [IsAuthenticated]
    serializer_class = PreferencesSerializer

    @extend_schema(
        tags=[TAG], summary="My messaging settings", responses={200: PreferencesSerializer, 401: ErrorSerializer}
    )
    def get(self, request: Request) -> Response:
        return Response(PreferencesSerializer(selectors.preferences_get(user_id=self._user().pk)).data)

    @extend_schema(
        tags=[TAG],
        summary="Change my messaging settings",
        request=PreferencesSerializer,
        responses={200: PreferencesSerializer, 400: ErrorSerializer, 401: ErrorSerializer},
    )
    def patch(self, request: Request) -> Response:
        data = validated_input(PreferencesSerializer(data=request.data))
        prefs = services.preferences_update(
            user_id=self._user().pk,
            read_receipts=data.get("read_receipts"),
            email_unread=data.get("email_unread"),
        )
        return Response(PreferencesSerializer(prefs).data)


class ThreadReadAPI(MessagingAPIView):
    serializer_class = ThreadSerializer

    @extend_schema(tags=[TAG], summary="Mark a thread read", request=None, responses={200: ThreadSerializer, **ERRORS})
    def post(self, request: Request, thread_id: int) -> Response:
        services.thread_mark_read(user=self._user(), thread_id=thread_id)
        participant = selectors.participant_get(user_id=self._user().pk, thread_id=thread_id)
        return Response(ThreadSerializer(participant).data)


class BlockListAPI(MessagingAPIView):
    serializer_class = BlockSerializer

    @extend_schema(tags=[TAG], summary="Members I block", responses={200: BlockSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        return Response(BlockSerializer(selectors.blocks_for_user(user_id=self._user().pk), many=True).data)

    @extend_schema(
        tags=[TAG],
        summary="Block a member (idempotent)",
        request=ThreadStartSerializer,
        responses={201: BlockSerializer, 403: ErrorSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = validated_input(ThreadStartSerializer(data=request.data))
        other = accounts_selectors.user_get(username=data["username"], active_only=False)
        block = services.block_create(blocker=self._user(), blocked=other)
        return Response(BlockSerializer(block).data, status=status.HTTP_201_CREATED)


class BlockDetailAPI(MessagingAPIView):
    serializer_class = BlockSerializer

    @extend_schema(tags=[TAG], summary="Unblock a member", responses={204: None, **ERRORS})
    def delete(self, request: Request, username: str) -> Response:
        other = accounts_selectors.user_get(username=username, active_only=False)
        if not services.block_delete(blocker=self._user(), blocked=other):
            raise exceptions.NotFound("You don't block this member.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class MessageReportAPI(MessagingAPIView):
    serializer_class = ReportSerializer

    @extend_schema(
        tags=[TAG],
        summary="Report a message to the staff",
        request=ReportCreateSerializer,
        responses={201: ReportSerializer, 200: ReportSerializer, 400: ErrorSerializer, **ERRORS},
    )
    def post(self, request: Request, message_id: int) -> Response:
        data = validated_input(ReportCreateSerializer(data=request.data))
        report, created = services.report_create(reporter=self._user(), message_id=message_id, reason=data["reason"])
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED if created else 200)


class UnreadAPI(MessagingAPIView):
    """Like the `/ws/notifications/` snapshot: always answers, with messages 0 while switched off."""

    permission_classes = [IsAuthenticated]
    serializer_class = UnreadSerializer

    @extend_schema(tags=[TAG], summary="My unread counts", responses={200: UnreadSerializer, 401: ErrorSerializer})
    def get(self, request: Request) -> Response:
        snapshot = realtime_selectors.unread_snapshot(user=self._user())
        return Response({"messages": snapshot["messages"], "inbox": snapshot["inbox"]})
