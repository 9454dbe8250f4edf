from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower

from core.validators import validate_no_control_characters


class Role(models.TextChoices):
    MEMBER = "member", "Member"
    STAFF = "staff", "Staff"
    ADMIN = "admin", "Admin"


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    FROZEN = "frozen", "Frozen"
    CANCELLED = "cancelled", "Cancelled"
    PROSPECT = "prospect", "Prospect"


class UserQuerySet(models.QuerySet["User"]):
    def members(self) -> UserQuerySet:
        return self.filter(role=Role.MEMBER, is_active=True)

    def manageable_by_staff(self) -> UserQuerySet:
        """Accounts club staff may see and edit in admin: members, never staff or admin accounts."""
        return self.filter(role=Role.MEMBER, is_staff=False, is_superuser=False)

    def inbox_staff(self) -> UserQuerySet:
        return self.filter(role__in=[Role.STAFF, Role.ADMIN], is_active=True)

    def search(self, query: str) -> UserQuerySet:
        query = query.strip()
        if not query:
            return self
        return self.filter(
            models.Q(display_name__icontains=query)
            | models.Q(first_name__icontains=query)
            | models.Q(last_name__icontains=query)
            | models.Q(username__icontains=query)
        )


class ClubroomUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A person at the club. `role` decides the inbox; Django's `is_staff` decides admin access."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER, db_index=True)
    display_name = models.CharField(max_length=120, blank=True, validators=[validate_no_control_characters])
    bio = models.TextField("short bio", max_length=500, blank=True, validators=[validate_no_control_characters])
    mobile_phone = models.CharField(max_length=32, blank=True, validators=[validate_no_control_characters])
    clubos_member_id = models.PositiveBigIntegerField(
        "ClubOS member id", null=True, blank=True, unique=True, help_text="tfoUserId in ClubOS."
    )
    membership_status = models.CharField(
        max_length=16, choices=MembershipStatus.choices, default=MembershipStatus.ACTIVE
    )

    objects = ClubroomUserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["display_name", "username"]
        indexes = [models.Index(Lower("display_name"), name="user_display_name_lower")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def initials(self) -> str:
        parts = [p for p in self.name.replace("-", " ").split() if p[:1].isalpha()]
        if not parts:
            return self.username[:2].upper()
        letters = parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")
        return letters.upper()

    @property
    def is_inbox_staff(self) -> bool:
        """Staff and admins work the staff inbox; members never do."""
        return self.is_active and self.role in (Role.STAFF, Role.ADMIN)

    @property
    def is_member(self) -> bool:
        return self.role == Role.MEMBER


class TokenScope(models.TextChoices):
    READ = "read", "Read only"
    READ_WRITE = "read_write", "Read and write"


API_TOKEN_PREFIX_LENGTH = 12  # "crk_" and 8 random characters


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def live(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A key an integration calls the API with (`Authorization: Bearer <key>`), acting as `user`.

    Only the key's SHA-256 is stored; its first characters (`prefix`) stay visible to tell keys
    apart. Created and revoked in admin; a revoked key answers 401, a read-only one 403 on writes.
    """

    name = models.CharField(max_length=100, validators=[validate_no_control_characters])
    user = models.ForeignKey(
        "User",
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="The staff account the integration acts as (its permissions apply).",
    )
    prefix = models.CharField(max_length=API_TOKEN_PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(max_length=16, choices=TokenScope.choices, default=TokenScope.READ)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def allows_writes(self) -> bool:
        return self.scope == TokenScope.READ_WRITE and not self.is_revoked
