"""The safety queue's API (/api/v1/messaging/reports/..., staff only): thin views over moderation code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsInboxStaff
from core.fields import validated_input
from core.pagination import CheckedCursorPagination

from . import moderation, moderation_selectors
from .moderation_serializers import (
    ModerationActionSerializer,
    ModerationReportDetailSerializer,
    ModerationReportSerializer,
    ReportDecideSerializer,
    ReportQuerySerializer,
    SuspensionLiftSerializer,
    SuspensionSerializer,
)
from .serializers import ErrorSerializer

if TYPE_CHECKING:
    from accounts.models import User

TAG = "Safety queue"
ERRORS: dict[int, Any] = {
    401: OpenApiResponse(ErrorSerializer, description="Not signed in."),
    403: OpenApiResponse(ErrorSerializer, description="Not club staff, or a staff/admin account as the subject."),
    404: OpenApiResponse(ErrorSerializer, description="No such report."),
}


class ReportCursorPagination(CheckedCursorPagination):
    page_size = 50
    ordering = ("-created_at", "-id")


class ModerationAPIView(GenericAPIView):
    permission_classes = [IsInboxStaff]
    pagination_class: type[CheckedCursorPagination] | None = None

    def _user(self) -> User:
        return cast("User", self.request.user)


class ReportListAPI(ModerationAPIView):
    pagination_class = ReportCursorPagination
    serializer_class = ModerationReportSerializer

    @extend_schema(
        tags=[TAG],
        summary="Reported messages, newest first",
        parameters=[ReportQuerySerializer],
        responses={200: ModerationReportSerializer(many=True), 400: ErrorSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        report_status = validated_input(ReportQuerySerializer(data=request.query_params))["status"]
        page = self.paginate_queryset(moderation_selectors.report_queue(status=report_status))
        return self.get_paginated_response(ModerationReportSerializer(page, many=True).data)


class ReportDetailAPI(ModerationAPIView):
    serializer_class = ModerationReportDetailSerializer

    @extend_schema(
        tags=[TAG],
        summary="One report: the message with context, every reporter, the member's history",
        responses={200: ModerationReportDetailSerializer, **ERRORS},
    )
    def get(self, request: Request, report_id: int) -> Response:
        detail = moderation_selectors.report_detail(report_id=report_id)
        return Response(ModerationReportDetailSerializer(detail).data)


class ReportDecideAPI(ModerationAPIView):
    serializer_class = ModerationActionSerializer

    @extend_schema(
        tags=[TAG],
        summary="Decide a report: dismiss, warn (emailed) or suspend the sender's messaging",
        request=ReportDecideSerializer,
        responses={200: ModerationActionSerializer, 400: ErrorSerializer, **ERRORS},
    )
    def post(self, request: Request, report_id: int) -> Response:
        moderation_selectors.report_get(report_id=report_id)  # an unknown report is a 404 whatever the body
        data = validated_input(ReportDecideSerializer(data=request.data))
        action = moderation.report_decide(
            report_id=report_id, actor=self._user(), decision=data["decision"], note=data["note"], until=data["until"]
        )
        return Response(ModerationActionSerializer(action).data)


class SuspensionLiftAPI(ModerationAPIView):
    serializer_class = SuspensionSerializer

    @extend_schema(
        tags=[TAG],
        summary="Lift a member's messaging suspension",
        request=SuspensionLiftSerializer,
        responses={200: SuspensionSerializer, 400: ErrorSerializer, **ERRORS},
    )
    def post(self, request: Request, suspension_id: int) -> Response:
        moderation_selectors.suspension_get(suspension_id=suspension_id)  # unknown: 404 whatever the body
        data = validated_input(SuspensionLiftSerializer(data=request.data))
        suspension = moderation.suspension_lift(suspension_id=suspension_id, actor=self._user(), note=data["note"])
        return Response(SuspensionSerializer(suspension).data)
