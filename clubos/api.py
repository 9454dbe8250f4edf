"""`/api/v1/clubos/sync/`: the sync's status, and Sync now / Pause / Resume for staff."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsInboxStaff

from . import selectors
from .models import SyncRun, SyncState
from .services import runs
from .tasks import sync_inbox


class SyncRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncRun
        fields = [
            "id", "started_at", "finished_at", "duration_ms", "status", "trigger",
            "fetched", "new", "duplicates", "skipped", "errors", "unmatched", "error",
        ]  # fmt: skip


class SyncOwnerSerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncState
        fields = ["owner_id", "owner_name", "watermark", "last_synced_at", "messages_stored"]


class SyncTotalsSerializer(serializers.Serializer):
    runs = serializers.IntegerField()
    successes = serializers.IntegerField()
    failures = serializers.IntegerField()
    messages_fetched = serializers.IntegerField()
    messages_new = serializers.IntegerField()
    messages_duplicate = serializers.IntegerField()
    messages_skipped = serializers.IntegerField()


class SyncStatusSerializer(serializers.Serializer):
    paused = serializers.BooleanField(source="control.paused")
    paused_at = serializers.DateTimeField(source="control.paused_at", allow_null=True)
    running = serializers.BooleanField()
    running_holder = serializers.SerializerMethodField(help_text="Who runs the sync now (host, pid, trigger).")
    running_since = serializers.SerializerMethodField()
    failed_in_a_row = serializers.IntegerField(source="control.consecutive_failures")
    poll_seconds = serializers.IntegerField()
    last_run_at = serializers.DateTimeField(source="control.last_run_at", allow_null=True)
    last_success_at = serializers.DateTimeField(source="control.last_success_at", allow_null=True)
    last_duration_ms = serializers.IntegerField(source="control.last_duration_ms", allow_null=True)
    last_error = serializers.CharField(source="control.last_error")
    last_error_at = serializers.DateTimeField(source="control.last_error_at", allow_null=True)
    totals = SyncTotalsSerializer(source="control")
    owners = SyncOwnerSerializer(many=True)
    recent_runs = SyncRunSerializer(many=True)

    def get_running_holder(self, status: selectors.SyncStatus) -> str | None:
        return status.control.lock_holder or None if status.running else None

    def get_running_since(self, status: selectors.SyncStatus) -> str | None:
        since = status.control.locked_since if status.running else None
        return serializers.DateTimeField().to_representation(since) if since else None


class SyncActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["sync", "pause", "resume"])


class SyncActionResultSerializer(serializers.Serializer):
    action = serializers.CharField()
    queued = serializers.BooleanField()
    status = SyncStatusSerializer()


class SyncView(APIView):
    permission_classes = [IsInboxStaff]

    @extend_schema(responses=SyncStatusSerializer, summary="ClubOS sync status")
    def get(self, request: Request) -> Response:
        return Response(SyncStatusSerializer(selectors.sync_status()).data)

    @extend_schema(
        request=SyncActionSerializer,
        responses={
            202: SyncActionResultSerializer,
            200: SyncActionResultSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Not one of sync, pause, resume: field errors."),
        },
        summary="Sync now, pause or resume polling",
    )
    def post(self, request: Request) -> Response:
        serializer = SyncActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        action = serializer.validated_data["action"]
        if action == "sync":
            transaction.on_commit(lambda: sync_inbox.delay(force=True, trigger="api"))
        elif action == "pause":
            runs.sync_pause()
        else:
            runs.sync_resume()
        body = {"action": action, "queued": action == "sync", "status": selectors.sync_status()}
        code = status.HTTP_202_ACCEPTED if action == "sync" else status.HTTP_200_OK
        return Response(SyncActionResultSerializer(body).data, status=code)
