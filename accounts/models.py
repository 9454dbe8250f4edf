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
