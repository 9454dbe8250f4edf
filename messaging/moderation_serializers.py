"""API shapes of the safety queue (staff only). Message bodies and notes are plain text: render them as text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rest_framework import serializers

from core.fields import PlainTextField

from .models import ReportDecision, ReportStatus
from .serializers import PersonSerializer


class SafeDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time; one out of range once made aware (year 1 or 9999 at an offset) is a 400, not a 500."""

    def to_internal_value(self, value: Any) -> datetime:
        if not isinstance(value, str):
            self.fail("invalid", format="ISO 8601")
        try:
            return super().to_internal_value(value)
        except OverflowError:
            self.fail("invalid", format="ISO 8601")
        raise AssertionError("unreachable")  # pragma: no cover


class ReportedMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    thread = serializers.IntegerField(source="thread_id", read_only=True)
    sender = PersonSerializer(read_only=True)
    body = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    edited_at = serializers.DateTimeField(read_only=True, allow_null=True)
    deleted = serializers.BooleanField(source="is_deleted", read_only=True)


class ModerationReportSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    status = serializers.ChoiceField(choices=ReportStatus.choices, read_only=True)
    reason = serializers.CharField(read_only=True)
    reporter = PersonSerializer(read_only=True)
    message = ReportedMessageSerializer(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    decision = serializers.CharField(read_only=True, help_text="dismiss, warn, suspend; empty while open.")
    decision_note = serializers.CharField(read_only=True)
    reviewed_by = PersonSerializer(read_only=True, allow_null=True)
    reviewed_at = serializers.DateTimeField(read_only=True, allow_null=True)


class SuspensionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    member = PersonSerializer(read_only=True)
    created_by = PersonSerializer(read_only=True, allow_null=True)
    reason = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    until = serializers.DateTimeField(read_only=True, allow_null=True)
    lifted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    lifted_by = PersonSerializer(read_only=True, allow_null=True)


class ModerationActionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.CharField(read_only=True, help_text="dismiss, warn, suspend or lift.")
    actor = PersonSerializer(read_only=True, allow_null=True)
    member = PersonSerializer(read_only=True)
    message = serializers.IntegerField(source="message_id", read_only=True, allow_null=True)
    suspension = serializers.IntegerField(source="suspension_id", read_only=True, allow_null=True)
    reports_resolved = serializers.IntegerField(read_only=True)
    note = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class MemberHistorySerializer(serializers.Serializer):
    reports_total = serializers.IntegerField(read_only=True)
    reports = ModerationReportSerializer(many=True, read_only=True)
    suspensions = SuspensionSerializer(many=True, read_only=True)
    actions = ModerationActionSerializer(many=True, read_only=True)
    suspension = SuspensionSerializer(read_only=True, allow_null=True, help_text="The one in force, if any.")


class ModerationReportDetailSerializer(serializers.Serializer):
    report = ModerationReportSerializer(read_only=True)
    before = ReportedMessageSerializer(many=True, read_only=True)
    after = ReportedMessageSerializer(many=True, read_only=True)
    other_reporters = ModerationReportSerializer(many=True, read_only=True)
    history = MemberHistorySerializer(read_only=True)


class ReportQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReportStatus.choices, required=False, default=ReportStatus.OPEN)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # A query string's empty value would otherwise fall back to the default: `?status=` is a 400.
        if "status" in data and data.get("status") not in ReportStatus.values:
            raise serializers.ValidationError({"status": ["Choose open or reviewed."]})
        return super().to_internal_value(data)


class ReportDecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ReportDecision.choices)
    note = PlainTextField(required=False, allow_blank=True, max_length=1000, default="")
    until = SafeDateTimeField(
        required=False, allow_null=True, default=None, help_text="Suspend only: when the suspension ends by itself."
    )


class SuspensionLiftSerializer(serializers.Serializer):
    note = PlainTextField(required=False, allow_blank=True, max_length=1000, default="")
