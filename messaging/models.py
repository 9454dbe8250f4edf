"""Direct messages between members: one thread per pair, a participant row per side, messages.

Unread counts are a counter on Participant kept in the same transaction as every write, next to
a read pointer (`last_read_message`) from which `messaging_recount_unread` can rebuild them.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.validators import validate_no_control_characters


class StartPolicy(models.TextChoices):
    ALL_MEMBERS = "all", "All members"
    ACTIVE_MEMBERS = "active", "Only members with an active membership"


class MessagingSettings(models.Model):
    """The one row holding the admin switch and who may start conversations (pk is always 1)."""

    SINGLETON_PK = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK, editable=False)
    enabled = models.BooleanField(
        "Direct messaging enabled",
        default=False,
        help_text="Off hides every direct-message page, API endpoint and socket; nothing is deleted.",
    )
    start_policy = models.CharField(
        "Who may start a conversation",
        max_length=16,
        choices=StartPolicy.choices,
        default=StartPolicy.ALL_MEMBERS,
        help_text="Frozen, cancelled and prospect members can always read and reply in their existing threads.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "messaging settings"
        verbose_name_plural = "messaging settings"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="messaging_settings_singleton")]

    def __str__(self) -> str:
        return f"Direct messaging {'on' if self.enabled else 'off'}"


class ToggleChange(models.Model):
    """Every flip of the switch: who, when, on or off."""

    switch = models.ForeignKey(MessagingSettings, on_delete=models.CASCADE, related_name="changes")
    enabled = models.BooleanField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{'on' if self.enabled else 'off'} by {self.changed_by or 'system'} at {self.changed_at:%Y-%m-%d %H:%M}"


class ThreadQuerySet(models.QuerySet["Thread"]):
    def for_user(self, user_id: int) -> ThreadQuerySet:
        return self.filter(participants__user_id=user_id)


class Thread(models.Model):
    """A conversation between exactly two people, stored once per pair (user_low.id < user_high.id)."""

    user_low = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    user_high = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )

    objects = ThreadQuerySet.as_manager()

    class Meta:
        constraints = [
            # The pair is the identity: two concurrent starts cannot create two threads.
            models.UniqueConstraint(fields=["user_low", "user_high"], name="messaging_thread_one_per_pair"),
            models.CheckConstraint(condition=Q(user_low__lt=models.F("user_high")), name="messaging_thread_ordered"),
        ]

    def __str__(self) -> str:
        return f"Thread {self.pk} ({self.user_low_id}, {self.user_high_id})"


class ParticipantQuerySet(models.QuerySet["Participant"]):
    def for_user(self, user_id: int) -> ParticipantQuerySet:
        return self.filter(user_id=user_id)

    def inbox(self, *, archived: bool = False) -> ParticipantQuerySet:
        return self.filter(archived=archived).order_by("-last_activity_at", "-id")


class Participant(models.Model):
    """One side of a thread: its read pointer, unread counter and the person's own folder state."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The other side, copied here so the thread list needs no self-join.
    other = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    unread_count = models.PositiveIntegerField(default=0)
    last_read_message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    last_read_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField()
    archived = models.BooleanField(default=False)
    muted = models.BooleanField(default=False, help_text="Muted threads do not count towards the nav badge.")
    # The unread burst: when its first unread message arrived, and when this side was emailed about
    # it. Reading ends the burst and clears both, so a burst is emailed at most once.
    unread_since = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="messaging_participant_once")]
        indexes = [
            # The thread list: one member's threads, latest activity first, per tab.
            models.Index(fields=["user", "archived", "-last_activity_at", "-id"], name="messaging_part_inbox"),
            # The badge: only rows with something unread are summed.
            models.Index(
                fields=["user", "unread_count"],
                condition=Q(unread_count__gt=0, muted=False),
                name="messaging_part_unread",
            ),
            # The unread-email sweep: only sides with an open burst.
            models.Index(fields=["unread_since"], condition=Q(unread_since__isnull=False), name="messaging_part_burst"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in thread {self.thread_id}"


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages", db_index=False)
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(max_length=5000, validators=[validate_no_control_characters])
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Deleted messages keep their row (reports point at them) but are shown as "message deleted".
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        # Serves the conversation page, "after id" fetches and the unread recount.
        indexes = [models.Index(fields=["thread", "id"], name="messaging_msg_thread_id")]

    def __str__(self) -> str:
        return f"Message {self.pk} in thread {self.thread_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Preferences(models.Model):
    """One member's messaging settings; a missing row means the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="messaging_preferences"
    )
    read_receipts = models.BooleanField(
        "Read receipts",
        default=True,
        help_text="Others see when you have read their messages, and you see when they read yours.",
    )
    email_unread = models.BooleanField(
        "Email me about unread messages",
        default=True,
        help_text="One email per conversation when a message has waited unread for a while.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "messaging preferences"
        verbose_name_plural = "messaging preferences"

    def __str__(self) -> str:
        return f"Messaging preferences of {self.user_id}"


class Block(models.Model):
    """`blocker` does not want direct messages with `blocked` (enforced both ways)."""

    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="messaging_block_once"),
            models.CheckConstraint(condition=~Q(blocker=models.F("blocked")), name="messaging_block_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class ReportStatus(models.TextChoices):
    OPEN = "open", "Open"
    REVIEWED = "reviewed", "Reviewed"


class ReportDecision(models.TextChoices):
    DISMISS = "dismiss", "Dismiss"
    WARN = "warn", "Warn the member"
    SUSPEND = "suspend", "Suspend the member's messaging"


class Report(models.Model):
    """A member flags a message for staff review (decided in the safety queue, `/inbox/reports/`)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(max_length=1000, blank=True, validators=[validate_no_control_characters])
    status = models.CharField(max_length=16, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # What staff decided (blank while open, and for reports reviewed in admin before the queue existed).
    decision = models.CharField(max_length=16, choices=ReportDecision.choices, blank=True)
    decision_note = models.TextField(max_length=1000, blank=True, validators=[validate_no_control_characters])

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["message", "reporter"], name="messaging_report_once")]
        indexes = [models.Index(fields=["status", "-created_at"], name="messaging_report_status")]

    def __str__(self) -> str:
        return f"Report {self.pk} on message {self.message_id}"


class MessagingSuspensionQuerySet(models.QuerySet["MessagingSuspension"]):
    def in_force(self, *, now: datetime) -> MessagingSuspensionQuerySet:
        """Not lifted, and without an end or ending after `now`."""
        return self.filter(lifted_at__isnull=True).filter(Q(until__isnull=True) | Q(until__gt=now))


class MessagingSuspension(models.Model):
    """Staff stopped one member's sending (they still read). Lifted by staff, or over at `until`."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(max_length=1000, blank=True, validators=[validate_no_control_characters])
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="suspensions")
    created_at = models.DateTimeField(auto_now_add=True)
    until = models.DateTimeField(null=True, blank=True, help_text="Empty: until staff lift it.")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = MessagingSuspensionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One unlifted suspension per member: two staff suspending at once keep one.
            models.UniqueConstraint(
                fields=["member"], condition=Q(lifted_at__isnull=True), name="messaging_suspension_one_unlifted"
            ),
        ]

    def __str__(self) -> str:
        return f"Suspension of {self.member_id} from {self.created_at:%Y-%m-%d}"


class ModerationKind(models.TextChoices):
    DISMISS = "dismiss", "Dismissed reports"
    WARN = "warn", "Warned"
    SUSPEND = "suspend", "Suspended messaging"
    LIFT = "lift", "Lifted a suspension"


class ModerationAction(models.Model):
    """The audit trail of the safety queue: who decided what about whom, when, and why."""

    kind = models.CharField(max_length=16, choices=ModerationKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    suspension = models.ForeignKey(
        MessagingSuspension, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    reports_resolved = models.PositiveIntegerField(default=0)
    note = models.TextField(max_length=1000, blank=True, validators=[validate_no_control_characters])
    created_at = models.DateTimeField(auto_now_add=True)
    # When the member was emailed about a warning (None: not sent, or not a warning).
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["member", "-created_at"], name="messaging_moderation_member")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: member {self.member_id} by {self.actor_id or 'system'}"
