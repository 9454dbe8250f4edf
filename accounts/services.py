from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from . import demo
from .models import API_TOKEN_PREFIX_LENGTH, ApiToken, Role, TokenScope, User


def profile_can_edit(*, actor: User, profile: User) -> bool:
    """Members edit their own profile only; everyone else's is edited in admin."""
    return actor.pk == profile.pk


@transaction.atomic
def profile_update(*, actor: User, profile: User, data: dict[str, str]) -> User:
    if not profile_can_edit(actor=actor, profile=profile):
        raise PermissionDenied("You can only edit your own profile.")
    for field, value in data.items():
        setattr(profile, field, value)
    profile.full_clean()
    profile.save(update_fields=[*data.keys()])
    return profile


def user_staff_can_manage(*, target: User) -> bool:
    """Club staff manage members only (never a staff or admin account); admins manage everyone."""
    return target.role == Role.MEMBER and not target.is_staff and not target.is_superuser


def password_reset_send(*, actor: User, user: User, request: HttpRequest) -> bool:
    """Email `user` Django's password-reset link (after commit); False when there is nowhere to send it.

    Staff use this instead of setting a member's password; an admin may reset anyone.
    """
    if not (actor.is_superuser or (actor.is_staff and user_staff_can_manage(target=user))):
        raise PermissionDenied("Staff can send reset links to members only.")
    if not user.email or not user.is_active or not user.has_usable_password():
        return False
    context = {
        "email": user.email,
        "domain": request.get_host(),
        "site_name": "Clubroom",
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "user": user,
        "token": default_token_generator.make_token(user),
        "protocol": "https" if request.is_secure() else "http",
    }
    form = PasswordResetForm()
    transaction.on_commit(
        lambda: form.send_mail(
            "accounts/password_reset_subject.txt", "accounts/password_reset_email.txt", context, None, user.email
        )
    )
    return True


CLUB_STAFF_GROUP = "Club staff"


@transaction.atomic
def club_staff_group_ensure() -> Group:
    """The admin group for staff: view and edit people's profiles, nothing else (no roles, no switches)."""
    group, _ = Group.objects.get_or_create(name=CLUB_STAFF_GROUP)
    perms = Permission.objects.filter(content_type__app_label="accounts", codename__in=["view_user", "change_user"])
    group.permissions.add(*perms)
    return group


@dataclass(frozen=True)
class SeedResult:
    created: int
    existing: int
    logins: list[tuple[str, str, str]]  # (role, username, password)


def _seed_person(person: demo.DemoPerson, role: str) -> bool:
    user, created = User.objects.get_or_create(
        username=person.username,
        defaults={
            "first_name": person.first_name,
            "last_name": person.last_name,
            "display_name": person.display_name,
            "email": person.email,
            "mobile_phone": person.mobile,
            "clubos_member_id": person.clubos_id,
            "membership_status": person.status,
            "bio": person.bio,
            "role": role,
            # Demo staff may edit members' profiles in admin (the Club staff group); only admins do more.
            "is_staff": role in (Role.ADMIN, Role.STAFF),
            "is_superuser": role == Role.ADMIN,
        },
    )
    if created:
        user.set_password(demo.DEMO_PASSWORD)
        user.save(update_fields=["password"])
        if role == Role.STAFF:
            user.groups.add(club_staff_group_ensure())
    return created


@transaction.atomic
def demo_club_seed() -> SeedResult:
    """Create the demo club; running it again creates nothing and changes no one's password."""
    created = existing = 0
    roster = [(demo.ADMIN, Role.ADMIN), *((p, Role.STAFF) for p in demo.STAFF)]
    roster += [(p, Role.MEMBER) for p in demo.MEMBERS]
    for person, role in roster:
        if _seed_person(person, role):
            created += 1
        else:
            existing += 1
    logins = [("admin", demo.ADMIN.username, demo.DEMO_PASSWORD)]
    logins += [("staff", p.username, demo.DEMO_PASSWORD) for p in demo.STAFF]
    logins += [("member", p.username, demo.DEMO_PASSWORD) for p in demo.MEMBERS[:2]]
    return SeedResult(created=created, existing=existing, logins=logins)


# --- API tokens ---------------------------------------------------------------------------------------------

API_TOKEN_KEY_PREFIX = "crk_"  # noqa: S105 (marks our keys; not a secret)
# last_used_at is written at most this often per token: not one UPDATE per API call.
API_TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


@transaction.atomic
def api_token_create(*, name: str, user: User, scope: str = TokenScope.READ) -> tuple[ApiToken, str]:
    """A new token for `user` (inbox staff) and its key, which exists only in this return value."""
    if not user.is_inbox_staff:
        raise PermissionDenied("API tokens act as a club staff account; choose an active staff member or admin.")
    key = API_TOKEN_KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name, user=user, scope=scope, prefix=key[:API_TOKEN_PREFIX_LENGTH], key_hash=api_token_hash(key)
    )
    token.full_clean()
    token.save()
    return token, key


def api_token_revoke(*, token: ApiToken) -> bool:
    """Revoke for good (the next call with its key is a 401); False when it already was."""
    return bool(ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()))


def api_token_authenticate(*, key: str) -> ApiToken | None:
    """The token this key belongs to (revoked or not, so callers can say which), its use recorded."""
    if not key.startswith(API_TOKEN_KEY_PREFIX) or len(key) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=api_token_hash(key)).first()
    if token is None or token.is_revoked:
        return token
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - API_TOKEN_USE_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
