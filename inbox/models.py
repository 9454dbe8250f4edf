"""The staff inbox's own copy of ClubOS conversations.

One Contact per ClubOS person (linked to an accounts.User once confirmed), one Conversation per
Contact, and InboxMessages in both directions. Synced messages carry their ClubOS message id
(unique: the dedupe key); replies written here carry an idempotency key and a delivery status.
"""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Upper

from core.validators import validate_no_control_characters

from . import app_settings

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
        indexes = [
            # The conversation page's "other conversations of this person": the same email (any case) or phone.
            models.Index(Upper("email"), name="contact_email_upper"),
            models.Index(fields=["phone"], name="contact_phone"),
        ]
        constraints = [
            # A sender ClubOS could not resolve is kept by name; one such contact per name. (An
            # integration source's contacts are keyed by external_id: two may share a name.)
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(clubos_id__isnull=True, external_id__isnull=True),
                name="contact_unresolved_name",
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
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def integration_secret_generate() -> str:
    """A new source's signing secret: 256 random bits, URL-safe text."""
    return secrets.token_urlsafe(32)


def validate_callback_url(value: str) -> None:
    """HTTPS only; plain HTTP to this machine when INBOX_SOURCES_ALLOW_LOCAL_HTTP (DEBUG, tests)."""
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS and app_settings.sources_allow_local_http():
        return
    raise ValidationError("The callback URL must use https:// (http:// only to localhost while developing).")


def validate_source_slug(value: str) -> None:
    if value == CLUBOS_SOURCE:
        raise ValidationError(f"“{CLUBOS_SOURCE}” is the ClubOS sync's own source name.")


class IntegrationSourceQuerySet(models.QuerySet["IntegrationSource"]):
    def active(self) -> IntegrationSourceQuerySet:
        return self.filter(is_active=True)


class IntegrationSource(models.Model):
    """Another system feeding the inbox (the website chat, an AI chat assistant), besides ClubOS.

    It posts signed messages to `/api/v1/inbox/sources/<slug>/messages/`; replies to its
    conversations go back, signed with the same secret, to `callback_url` (docs/integrations.md).
    """

    slug = models.SlugField(
        max_length=40,
        unique=True,
        validators=[validate_source_slug],
        help_text="Its name in URLs and on conversations, e.g. “website-chat”. Cannot be “clubos”.",
    )
    name = models.CharField(max_length=100, validators=[validate_no_control_characters])
    secret = models.CharField(
        max_length=100,
        default=integration_secret_generate,
        editable=False,
        help_text="Signs requests both ways (HMAC-SHA256). Give it to the source's developers; admins only.",
    )
    callback_url = models.URLField(
        max_length=500,
        validators=[validate_callback_url],
        help_text="Where replies are POSTed (https://).",
    )
    is_active = models.BooleanField(default=True, help_text="Inactive sources are answered 404 and get no replies.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = IntegrationSourceQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"


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


_STATUS_LABELS = dict(ConversationStatus.choices)
_PRIORITY_LABELS = dict(Priority.choices)


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
            # The filter bar's "mine" count: my conversations that are not resolved, counted from the index.
            models.Index(
                fields=["assignee", "last_message_at"],
                name="conversation_active_assignee",
                condition=~Q(status="resolved"),
            ),
        ]

    def __str__(self) -> str:
        return f"Conversation with {self.contact}"

    # get_status_display() rebuilds a dict of the choices on each call; the list shows fifty rows a page.
    @property
    def status_label(self) -> str:
        return str(_STATUS_LABELS.get(self.status, self.status))

    @property
    def priority_label(self) -> str:
        return str(_PRIORITY_LABELS.get(self.priority, self.priority))


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


class StaffBadge(models.Model):
    """This staff member's badge entries have been built and are kept in step from then on.

    Built on their first badge read (`staff_unread_count`); `badge_reconcile` maintains the entries of
    every user with one, and `badges_rebuild` repairs them from the truth.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="inbox_badge"
    )
    built_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Inbox badge of {self.user_id}"


class BadgeEntry(models.Model):
    """This conversation is unread for this staff member (and not resolved, or theirs); `counted`: it counts
    in their badge (open, or assigned to them).

    A copy of `ReadState` × `Conversation` kept so the badge is an index-only COUNT, and the filter bar's
    unread count a walk of my entries, instead of anti-joins over every conversation; written only by
    `inbox.services.badges`.
    """

    # No index of its own: the unique (user, conversation) index leads with it.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    counted = models.BooleanField()

    class Meta:
        verbose_name_plural = "badge entries"
        constraints = [models.UniqueConstraint(fields=["user", "conversation"], name="inbox_badge_entry_unique")]
        indexes = [models.Index(fields=["user"], condition=Q(counted=True), name="inbox_badge_entry_counted")]

    def __str__(self) -> str:
        return f"{self.conversation_id} unread for {self.user_id}"


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
