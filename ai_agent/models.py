"""The agent's settings (a singleton staff edit in admin), its decision log and per-conversation insights."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from inbox.models import Conversation, InboxMessage

from .intents import Intent


class Mode(models.TextChoices):
    OFF = "off", "Off"
    SUGGEST = "suggest", "Suggest replies for staff"
    AUTO = "auto", "Reply automatically within the guardrails"


class AgentSettings(models.Model):
    """One row (pk=1): how the agent behaves. Its row lock also serialises auto-replies (exact caps)."""

    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.SUGGEST)
    confidence_threshold = models.FloatField(
        default=0.7, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Auto-reply only when the classifier is at least this sure (0-1).",
    )  # fmt: skip
    hourly_cap = models.PositiveIntegerField(default=20, help_text="Auto-replies per hour for the whole club.")
    member_daily_cap = models.PositiveIntegerField(default=3, help_text="Auto-replies per member per 24 hours.")
    burst_wait_seconds = models.PositiveIntegerField(
        default=8, validators=[MaxValueValidator(600)],
        help_text="Wait this long after a member's message for more before answering (one answer per burst).",
    )  # fmt: skip
    club_name = models.CharField(max_length=120, default="the club")
    club_facts = models.TextField(
        blank=True,
        help_text="`key: value` lines replies may draw on: name, hours, address, membership, billing, booking, "
        "cancellation, classes, training, general (add `_es` for Spanish, e.g. `hours_es:`). Links, phone numbers "
        "and prices are only allowed in replies when they appear here.",
    )
    quiet_hours_start = models.TimeField(null=True, blank=True, help_text="Club time; no auto-replies from…")
    quiet_hours_end = models.TimeField(null=True, blank=True, help_text="…until (may wrap past midnight).")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "AI agent settings"
        verbose_name_plural = "AI agent settings"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="ai_agent_settings_singleton")]

    def __str__(self) -> str:
        return f"AI agent: {self.get_mode_display()}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.pk = 1
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        if (self.quiet_hours_start is None) != (self.quiet_hours_end is None):
            raise ValidationError("Set both ends of the quiet hours, or neither.")


class DecisionKind(models.TextChoices):
    PENDING = "pending", "Pending"
    AUTO_REPLIED = "auto_replied", "Auto-replied"
    SUGGESTED = "suggested", "Suggested"
    SKIPPED = "skipped", "Skipped"


class Reason(models.TextChoices):
    AUTO = "auto", "Within every guardrail"
    SUGGEST_MODE = "suggest_mode", "Mode is suggest"
    DISABLED = "disabled", "Agent is off"
    HUMAN_ONLY_INTENT = "human_only_intent", "Intent needs a human"
    BELOW_THRESHOLD = "below_threshold", "Confidence below threshold"
    RATE_LIMITED = "rate_limited", "Club hourly cap reached"
    MEMBER_RATE_LIMITED = "member_rate_limited", "Member daily cap reached"
    QUIET_HOURS = "quiet_hours", "Quiet hours"
    STALE = "stale", "Message too old to answer automatically"
    HUMAN_ACTIVE = "human_active", "A human replied in this conversation"
    ASSIGNED = "assigned", "Assigned to staff"
    UNSAFE_REPLY = "unsafe_reply", "Reply failed the safety check"
    NO_REPLY = "no_reply", "No reply drafted"
    BACKEND_ERROR = "backend_error", "Backend failed"
    MERGED = "merged", "Answered with a later message of the same burst"
    NOT_REPLYABLE = "not_replyable", "ClubOS cannot be replied to for this sender"


class SuggestionOutcome(models.TextChoices):
    NONE = "", "—"
    SENT = "sent", "Sent as is"
    EDITED = "edited", "Edited, then sent"
    DISCARDED = "discarded", "Discarded"


class DecisionQuerySet(models.QuerySet["Decision"]):
    def auto_replied_since(self, since: object) -> DecisionQuerySet:
        return self.filter(decision=DecisionKind.AUTO_REPLIED, decided_at__gte=since)


class Decision(models.Model):
    """What the agent did with one inbound member message (exactly one row per message)."""

    # One decision per message is the unique constraint below (a redelivered task or a second worker
    # cannot add another).
    message = models.ForeignKey(InboxMessage, on_delete=models.CASCADE, related_name="ai_decisions", db_index=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="ai_decisions")
    backend = models.CharField(max_length=32, blank=True)
    model = models.CharField(max_length=100, blank=True)
    intent = models.CharField(max_length=40, choices=Intent.choices, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    language = models.CharField(max_length=8, blank=True)
    decision = models.CharField(max_length=16, choices=DecisionKind.choices, default=DecisionKind.PENDING)
    reason = models.CharField(max_length=32, choices=Reason.choices, blank=True)
    detail = models.CharField(max_length=300, blank=True, help_text="The classifier's reason or what a check found.")
    reply = models.TextField(blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    tokens = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    outbound_message = models.ForeignKey(
        InboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The reply that went out (auto-replied, or a suggestion staff sent).",
    )  # fmt: skip
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged",
        help_text="The later message of the same burst whose decision answers for this one.",
    )  # fmt: skip
    suggestion_outcome = models.CharField(max_length=16, choices=SuggestionOutcome.choices, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome_at = models.DateTimeField(null=True, blank=True)
    # Set by the worker that classifies it; another worker may take over only after the lease.
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["message"], name="ai_decision_one_per_message"),
        ]
        indexes = [
            models.Index(fields=["decision", "decided_at"], name="ai_decision_kind_time"),
            models.Index(fields=["conversation", "-created_at"], name="ai_decision_conversation"),
        ]

    def __str__(self) -> str:
        return f"Decision on message #{self.message_id}: {self.decision}"

    @property
    def awaits_staff(self) -> bool:
        return self.decision == DecisionKind.SUGGESTED and not self.suggestion_outcome and bool(self.reply)


class ThreadInsight(models.Model):
    """A conversation at a glance, refreshed (debounced) after new messages."""

    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="ai_insight")
    summary = models.CharField(max_length=500, blank=True)
    label = models.CharField(max_length=40, choices=Intent.choices, blank=True)
    next_step = models.CharField(max_length=300, blank=True)
    follow_up_on = models.DateField(null=True, blank=True)
    messages_seen = models.PositiveIntegerField(default=0)
    last_message_id = models.PositiveBigIntegerField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-refreshed_at"]

    def __str__(self) -> str:
        return f"Insight for {self.conversation}"
