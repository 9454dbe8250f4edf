"""The staff inbox's own copy of ClubOS conversations.

One Contact per ClubOS person (linked to an accounts.User once confirmed), one Conversation per
Contact, and InboxMessages in both directions. Synced messages carry their ClubOS message id
(unique: the dedupe key); replies written here carry an idempotency key and a delivery status.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from core.validators import validate_no_control_characters

PREVIEW_LENGTH = 200


def message_preview(body: str) -> str:
    """What a conversation list shows of its latest message: one line, cut to the column's size."""
    return " ".join(body.split())[:PREVIEW_LENGTH]


class Contact(models.Model):
    """A person on the ClubOS side: a member, a lead, or a sender we could not resolve."""

    clubos_id = models.PositiveBigIntegerField("ClubOS id", null=True, blank=True, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    can_text = models.BooleanField(default=True)
    # "<source slug>:<the source's contact id>" for a contact an integration source created.
    external_id = models.CharField(max_length=250, null=True, blank=True, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbox_contacts",
        help_text="The local account, once its ClubOS id and email or phone are confirmed.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            # A sender ClubOS could not resolve is kept by name; one such contact per name.
            models.UniqueConstraint(
                fields=["name"], condition=Q(clubos_id__isnull=True), name="contact_unresolved_name"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.user_id is not None and self.user is not None:
            return self.user.name
        return self.name


class ConversationStatus(models.TextChoices):
    """The team's state of a conversation (each staff member's read state is separate)."""

    OPEN = "open", "Open"
    PENDING = "pending", "Pending"  # waiting on the member
    SNOOZED = "snoozed", "Snoozed"  # until snoozed_until, or until the member writes again
    RESOLVED = "resolved", "Resolved"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


CLUBOS_SOURCE = "clubos"


class Label(models.Model):
    """A team-wide tag on conversations ("billing", "PT lead")."""

    name = models.CharField(max_length=40, validators=[validate_no_control_characters])
    color = models.CharField(max_length=7, default="#5b6b7f", help_text="A #rrggbb colour.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(Lower("name"), name="label_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


class ConversationQuerySet(models.QuerySet["Conversation"]):
    def with_unread(self) -> ConversationQuerySet:
        return self.filter(unread_count__gt=0)

    def latest_first(self) -> ConversationQuerySet:
        return self.order_by(models.F("last_message_at").desc(nulls_last=True), "-pk")


class Conversation(models.Model):
    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="conversation")
    status = models.CharField(max_length=16, choices=ConversationStatus.choices, default=ConversationStatus.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    labels = models.ManyToManyField(Label, blank=True, related_name="conversations")
    # Where the member wrote from: "clubos", or an integration source's slug.
    source = models.CharField(max_length=50, default=CLUBOS_SOURCE)
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_message_preview = models.CharField(max_length=PREVIEW_LENGTH, blank=True)
    last_message_channel = models.CharField(max_length=16, blank=True)
    # The newest inbound message: a staff member has unread when it is past their read pointer.
    last_inbound_id = models.PositiveBigIntegerField(null=True, blank=True)
    # Inbound messages staff have not read yet; kept in the same transaction as inbound writes.
    unread_count = models.PositiveIntegerField(default=0)
    last_read_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped by every change staff or members make; the API's updated_since reads it.
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        indexes = [
            models.Index(fields=["-last_message_at", "-id"], name="conversation_latest"),
            models.Index(fields=["status", "-last_message_at"], name="conversation_status_latest"),
            models.Index(fields=["unread_count"], name="conversation_unread", condition=Q(unread_count__gt=0)),
            models.Index(fields=["assignee", "-last_message_at"], name="conversation_assignee_latest"),
            models.Index(fields=["source", "-last_message_at"], name="conversation_source_latest"),
            models.Index(fields=["updated_at", "id"], name="conversation_updated"),
            models.Index(fields=["snoozed_until"], name="conversation_snoozed", condition=Q(status="snoozed")),
        ]

    def __str__(self) -> str:
        return f"Conversation with {self.contact}"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"


class AuthorKind(models.TextChoices):
    MEMBER = "member", "Member"
    STAFF = "staff", "Staff"
    AI = "ai", "AI"
    SYSTEM = "system", "System"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class InboxMessage(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=16, choices=Direction.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.SMS)
    author_kind = models.CharField(max_length=16, choices=AuthorKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbox_messages"
    )
    subject = models.CharField(max_length=200, blank=True, validators=[validate_no_control_characters])
    body = models.TextField(validators=[validate_no_control_characters])
    # True when ClubOS's history had no matching entry and only the list's snippet is known.
    body_is_snippet = models.BooleanField(default=False)
    sent_at = models.DateTimeField()
    clubos_message_id = models.PositiveBigIntegerField("ClubOS message id", null=True, blank=True)
    delivery_status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.SENT)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the current/last delivery attempt began; a `sending` row older than its lease was interrupted.
    attempt_started_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    # An attempt may have reached ClubOS without our knowing (a timeout after the request left, a
    # worker killed mid-call): only then is ClubOS's history checked before sending again.
    delivery_uncertain = models.BooleanField(default=False)
    # The outbox (a queued row is the truth, a task only its nudge): no attempt may start before
    # next_attempt_at (after an uncertain attempt, not before a slow ClubOS could have finished);
    # nudged_at is when a task was last queued for it, so the sweep re-queues only lost nudges.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    nudged_at = models.DateTimeField(null=True, blank=True)
    # "<source slug>:<the source's message id>" for messages from an integration source (its dedupe key).
    external_id = models.CharField(max_length=250, null=True, blank=True)  # noqa: DJ001
    # NULL (not "") for synced messages, so the unique constraint only binds the keys we issue.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sent_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["clubos_message_id"], name="inbox_message_clubos_id_unique"),
            models.UniqueConstraint(fields=["idempotency_key"], name="inbox_message_idempotency_key_unique"),
            models.UniqueConstraint(fields=["external_id"], name="inbox_message_external_id_unique"),
        ]
        indexes = [
            models.Index(fields=["conversation", "sent_at", "id"], name="inbox_message_timeline"),
            models.Index(
                fields=["delivery_status"], name="inbox_message_undelivered", condition=~Q(delivery_status="sent")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.get_channel_display()} #{self.pk}"

    @property
    def is_inbound(self) -> bool:
        return self.direction == Direction.INBOUND


class ReadState(models.Model):
    """One staff member's read pointer in one conversation (Zulip-style, as DMs have)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="read_states")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_read_states")
    # Everything inbound up to this message id is read; 0 after "mark unread" of the whole conversation.
    last_read_message_id = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "conversation"], name="inbox_read_state_unique")]

    def __str__(self) -> str:
        return f"{self.user} read {self.conversation_id} to {self.last_read_message_id}"


class Note(models.Model):
    """An internal note: staff only, never sent to the member."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="inbox_notes"
    )
    body = models.TextField(validators=[validate_no_control_characters])
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="inbox_mentions")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["conversation", "created_at"], name="inbox_note_timeline")]

    def __str__(self) -> str:
        return f"Note #{self.pk} on {self.conversation_id}"


class EventKind(models.TextChoices):
    """What the audit trail records (shown on the conversation and in admin)."""

    REPLIED = "replied", "Replied"
    NOTED = "noted", "Added a note"
    ASSIGNED = "assigned", "Assigned"
    LABELLED = "labelled", "Changed labels"
    PRIORITY = "priority", "Changed priority"
    STATUS = "status", "Changed status"
    SNOOZED = "snoozed", "Snoozed"
    READ = "read", "Read"
    UNREAD = "unread", "Marked unread"


class ConversationEvent(models.Model):
    """The audit trail: who did what to a conversation, and when (append-only)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbox_events"
    )
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    # What changed, as JSON text, e.g. {"from": "open", "to": "resolved"} or {"assignee_id": 7}
    # (text, not a JSONField: that field's system check would query SQLite when a worker starts).
    data = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="inbox_event_timeline"),
            models.Index(fields=["kind", "created_at"], name="inbox_event_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.conversation_id}"

    @property
    def details(self) -> dict[str, Any]:
        return json.loads(self.data) if self.data else {}

    @details.setter
    def details(self, value: dict[str, Any]) -> None:
        self.data = json.dumps(value, sort_keys=True) if value else ""


class SavedReply(models.Model):
    """A canned reply the whole team shares; `{first_name}`-style placeholders are filled on use."""

    title = models.CharField(max_length=100, validators=[validate_no_control_characters])
    body = models.TextField(max_length=5000, validators=[validate_no_control_characters])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "pk"]
        verbose_name_plural = "saved replies"
        constraints = [models.UniqueConstraint(Lower("title"), name="saved_reply_title_unique_ci")]

    def __str__(self) -> str:
        return self.title
