from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import User


def member_directory(*, query: str = "") -> QuerySet[User]:
    """Active members and staff, searchable by name, in a stable order for pagination."""
    return User.objects.filter(is_active=True).search(query).order_by("display_name", "username", "pk")


def profile_get(*, username: str) -> User:
    return get_object_or_404(User, username=username, is_active=True)
