"""`/api/v1/ai/stats/` and `/api/v1/ai/decisions/`: the agent's figures and decision log, for staff."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsInboxStaff
from core.fields import validated_input
from core.pagination import CheckedLimitOffsetPagination

from . import selectors
from .intents import Intent
from .models import Decision, DecisionKind, Reason, ThreadInsight


class SuggestionCountsSerializer(serializers.Serializer):
    sent = serializers.IntegerField()
    edited = serializers.IntegerField()
    discarded = serializers.IntegerField()
    awaiting = serializers.IntegerField()


class LastHourSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    auto_replied = serializers.IntegerField()
    suggested = serializers.IntegerField()
    skipped = serializers.IntegerField()


class StatsSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    mode = serializers.CharField()
    total = serializers.IntegerField()
    pending = serializers.IntegerField()
    auto_replied = serializers.IntegerField()
    suggested = serializers.IntegerField()
    skipped = serializers.IntegerField()
    skipped_by_reason = serializers.DictField(child=serializers.IntegerField())
    suggested_by_reason = serializers.DictField(child=serializers.IntegerField())
    backend_errors = serializers.IntegerField()
    success_rate = serializers.FloatField(allow_null=True, help_text="Share of decided messages the backend answered.")
    last_hour = LastHourSerializer()
    hourly_cap = serializers.IntegerField()
    cap_remaining = serializers.IntegerField()
    suggestions = SuggestionCountsSerializer()
    staff_edits = serializers.IntegerField()


class InsightSerializer(serializers.ModelSerializer):
    class Meta:
        model = ThreadInsight
        fields = ["conversation", "summary", "label", "next_step", "follow_up_on", "messages_seen", "refreshed_at"]


class DecisionSerializer(serializers.ModelSerializer):
    message_body = serializers.CharField(source="message.body", read_only=True)
    member = serializers.CharField(source="conversation.contact.display_name", read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id", "message", "conversation", "member", "message_body", "backend", "model", "intent", "confidence",
            "language", "decision", "reason", "detail", "reply", "latency_ms", "tokens", "error", "outbound_message",
            "suggestion_outcome", "outcome_at", "created_at", "decided_at",
        ]  # fmt: skip


STAFF_PERMISSIONS = [IsAuthenticated, IsInboxStaff]


class StatsView(APIView):
    permission_classes = STAFF_PERMISSIONS

    @extend_schema(responses=StatsSerializer, summary="AI agent stats")
    def get(self, request: Request) -> Response:
        return Response(StatsSerializer(selectors.agent_stats()).data)


class InsightView(APIView):
    permission_classes = STAFF_PERMISSIONS

    @extend_schema(responses=InsightSerializer, summary="A conversation's insight (summary, label, next step)")
    def get(self, request: Request, conversation_id: int) -> Response:
        insight = get_object_or_404(ThreadInsight, conversation_id=conversation_id)
        return Response(InsightSerializer(insight).data)


class DecisionPagination(CheckedLimitOffsetPagination):
    default_limit = 50
    max_limit = 500


class DecisionFilterSerializer(serializers.Serializer):
    intent = serializers.ChoiceField(choices=Intent.choices, required=False)
    decision = serializers.ChoiceField(choices=DecisionKind.choices, required=False)
    reason = serializers.ChoiceField(choices=Reason.choices, required=False)
    date = serializers.DateField(required=False, help_text="Decisions created on this day (club time zone).")

    def validate(self, attrs: dict) -> dict:
        # A query string's empty value is dropped as "not given"; the schema says a date, so refuse it.
        if "date" in self.initial_data and not self.initial_data["date"]:
            raise serializers.ValidationError({"date": "Give a date as YYYY-MM-DD."})
        return attrs


@extend_schema(
    summary="AI agent decisions, newest first",
    parameters=[
        OpenApiParameter("intent", OpenApiTypes.STR, enum=Intent.values),
        OpenApiParameter("decision", OpenApiTypes.STR, enum=DecisionKind.values),
        OpenApiParameter("reason", OpenApiTypes.STR, enum=Reason.values),
        OpenApiParameter("date", OpenApiTypes.DATE),
    ],
)
class DecisionListView(ListAPIView):
    permission_classes = STAFF_PERMISSIONS
    serializer_class = DecisionSerializer
    pagination_class = DecisionPagination

    def get_queryset(self):  # type: ignore[no-untyped-def]
        filters = DecisionFilterSerializer(data=self.request.query_params)
        data = validated_input(filters)
        return selectors.decisions_filtered(
            intent=data.get("intent", ""),
            decision=data.get("decision", ""),
            reason=data.get("reason", ""),
            on=data.get("date"),
        )
