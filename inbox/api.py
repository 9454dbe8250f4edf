"""REST API of the staff inbox's list and saved replies: thin views over selectors and services.

Staff only (accounts.permissions.IsInboxStaff): anonymous 401, members 403. Domain errors become
responses in core.api.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsInboxStaff
from core.fields import validated_input
from core.pagination import CheckedCursorPagination

from . import selectors
from .exceptions import SavedReplyTitleTaken
from .models import SavedReply
from .serializers import (
    ConversationListQuerySerializer,
    ConversationRowSerializer,
    InboxErrorSerializer,
    RecentQuerySerializer,
    SavedReplyRenderedSerializer,
    SavedReplyRenderQuerySerializer,
    SavedReplySerializer,
    SavedReplyWriteSerializer,
)
from .services import saved_replies

if TYPE_CHECKING:
    from accounts.models import User

TAG = "Staff inbox"
ERRORS: dict[int, Any] = {
    400: OpenApiResponse(InboxErrorSerializer, description="A parameter is not valid."),
    401: OpenApiResponse(InboxErrorSerializer, description="Not signed in."),
    403: OpenApiResponse(InboxErrorSerializer, description="Not club staff."),
}
CONFLICT: dict[int, Any] = {
    409: OpenApiResponse(InboxErrorSerializer, description="Another saved reply has this title.")
}
NOT_FOUND: dict[int, Any] = {
    404: OpenApiResponse(InboxErrorSerializer, description="No such saved reply or conversation.")
}


class ConversationCursorPagination(CheckedCursorPagination):
    page_size = 50
    ordering = ("-last_message_at", "-id")


class InboxAPIView(GenericAPIView):
    permission_classes = [IsInboxStaff]

    def _user(self) -> User:
        return cast("User", self.request.user)


class ConversationListAPI(InboxAPIView):
    pagination_class = ConversationCursorPagination
    serializer_class = ConversationRowSerializer

    @extend_schema(
        tags=[TAG],
        summary="Conversations, latest activity first (the list's filters, search, updated_since)",
        parameters=[ConversationListQuerySerializer],
        responses={200: ConversationRowSerializer(many=True), **ERRORS, **NOT_FOUND},
    )
    def get(self, request: Request) -> Response:
        query = ConversationListQuerySerializer(data=request.query_params)
        validated_input(query)
        rows = selectors.conversation_list(user=self._user(), **query.list_filters())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ConversationRowSerializer(page, many=True).data)


class ConversationRecentAPI(InboxAPIView):
    pagination_class = ConversationCursorPagination
    serializer_class = ConversationRowSerializer

    @extend_schema(
        tags=[TAG],
        summary="Conversations with a message in the last `hours` (1 to 168, default 24)",
        parameters=[RecentQuerySerializer],
        responses={200: ConversationRowSerializer(many=True), **ERRORS, **NOT_FOUND},
    )
    def get(self, request: Request) -> Response:
        hours = validated_input(RecentQuerySerializer(data=request.query_params))["hours"]
        rows = selectors.conversation_recent(user=self._user(), since=timezone.now() - timedelta(hours=hours))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ConversationRowSerializer(page, many=True).data)


class SavedReplyListAPI(InboxAPIView):
    serializer_class = SavedReplySerializer

    @extend_schema(
        tags=[TAG], summary="The team's saved replies", responses={200: SavedReplySerializer(many=True), **ERRORS}
    )
    def get(self, request: Request) -> Response:
        return Response(SavedReplySerializer(selectors.saved_reply_list(), many=True).data)

    @extend_schema(
        tags=[TAG],
        summary="Add a saved reply (an unknown {placeholder} is refused)",
        request=SavedReplyWriteSerializer,
        responses={201: SavedReplySerializer, **ERRORS, **CONFLICT},
    )
    def post(self, request: Request) -> Response:
        data = validated_input(SavedReplyWriteSerializer(data=request.data))
        try:
            saved = saved_replies.saved_reply_create(user=self._user(), title=data["title"], body=data["body"])
        except SavedReplyTitleTaken as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(SavedReplySerializer(saved).data, status=status.HTTP_201_CREATED)


class SavedReplyDetailAPI(InboxAPIView):
    serializer_class = SavedReplySerializer
    # For OPTIONS (DRF's metadata looks the object up); the methods below go through the selector.
    queryset = SavedReply.objects.all()
    lookup_url_kwarg = "saved_reply_id"

    @extend_schema(tags=[TAG], summary="One saved reply", responses={200: SavedReplySerializer, **ERRORS, **NOT_FOUND})
    def get(self, request: Request, saved_reply_id: int) -> Response:
        return Response(SavedReplySerializer(selectors.saved_reply_get(saved_reply_id=saved_reply_id)).data)

    @extend_schema(
        tags=[TAG],
        summary="Replace a saved reply's title and text",
        request=SavedReplyWriteSerializer,
        responses={200: SavedReplySerializer, **ERRORS, **NOT_FOUND, **CONFLICT},
    )
    def put(self, request: Request, saved_reply_id: int) -> Response:
        return self._update(request, saved_reply_id, partial=False)

    @extend_schema(
        tags=[TAG],
        summary="Change a saved reply's title or text",
        request=SavedReplyWriteSerializer(partial=True),
        responses={200: SavedReplySerializer, **ERRORS, **NOT_FOUND, **CONFLICT},
    )
    def patch(self, request: Request, saved_reply_id: int) -> Response:
        return self._update(request, saved_reply_id, partial=True)

    @extend_schema(tags=[TAG], summary="Delete a saved reply", responses={204: None, **ERRORS, **NOT_FOUND})
    def delete(self, request: Request, saved_reply_id: int) -> Response:
        saved = selectors.saved_reply_get(saved_reply_id=saved_reply_id)
        saved_replies.saved_reply_delete(user=self._user(), saved_reply=saved)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, saved_reply_id: int, *, partial: bool) -> Response:
        saved = selectors.saved_reply_get(saved_reply_id=saved_reply_id)
        data = validated_input(SavedReplyWriteSerializer(data=request.data, partial=partial))
        try:
            saved = saved_replies.saved_reply_update(
                user=self._user(), saved_reply=saved, title=data.get("title"), body=data.get("body")
            )
        except SavedReplyTitleTaken as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(SavedReplySerializer(saved).data)


class SavedReplyRenderAPI(InboxAPIView):
    serializer_class = SavedReplyRenderedSerializer

    @extend_schema(
        tags=[TAG],
        summary="A saved reply's text filled for one conversation's member (for the reply box)",
        parameters=[SavedReplyRenderQuerySerializer],
        responses={200: SavedReplyRenderedSerializer, **ERRORS, **NOT_FOUND},
    )
    def get(self, request: Request, saved_reply_id: int) -> Response:
        conversation_id = validated_input(SavedReplyRenderQuerySerializer(data=request.query_params))["conversation"]
        saved = selectors.saved_reply_get(saved_reply_id=saved_reply_id)
        conversation = selectors.conversation_get(conversation_id=conversation_id)
        body = saved_replies.saved_reply_render(saved_reply=saved, conversation=conversation)
        return Response({"saved_reply": saved.pk, "conversation": conversation.pk, "body": body})
