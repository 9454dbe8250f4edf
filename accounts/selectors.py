from __future__ import annotations

from django.db.models import QuerySet

from .exceptions import MemberNotFound
from .models import User


def member_directory(*, query: str = "") -> QuerySet[User]:
    """Active members and staff, searchable by name, in a stable order for pagination."""
    return User.objects.filter(is_active=True).search(query).order_by("display_name", "username", "pk")


def user_get(*, username: str, active_only: bool = True) -> User:
    """The account with this username, or MemberNotFound (inactive ones only when asked for)."""
    users = User.objects.filter(username=username)
    user = (users.filter(is_active=True) if active_only else users).first()
    if user is None:
        raise MemberNotFound()
    return user


def profile_get(*, username: str) -> User:
    return user_get(username=username)
