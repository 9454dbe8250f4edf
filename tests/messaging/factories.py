"""Factories for direct messages. Threads are built the way the app builds them (ordered pair + sides)."""

from __future__ import annotations

from typing import cast

import factory
from django.utils import timezone

from accounts.models import User
from messaging.models import Message, Participant, Thread
from tests.accounts.factories import MemberFactory, StaffFactory


def make_member(**fields) -> User:
    """A member, typed as a User (factory_boy's stubs type factories as themselves)."""
    return cast(User, MemberFactory(**fields))


def make_staff(**fields) -> User:
    return cast(User, StaffFactory(**fields))


def thread_between(a, b) -> Thread:
    """The pair's thread with both participant rows, without going through the switch."""
    low, high = sorted((a, b), key=lambda u: u.pk)
    thread, created = Thread.objects.get_or_create(user_low=low, user_high=high)
    if created:
        now = timezone.now()
        Participant.objects.create(thread=thread, user=low, other=high, last_activity_at=now)
        Participant.objects.create(thread=thread, user=high, other=low, last_activity_at=now)
    return thread


class MessageFactory(factory.django.DjangoModelFactory):
    """A stored message; it does not touch counters (use services.message_send for that)."""

    class Meta:
        model = Message

    sender = factory.SubFactory(MemberFactory)
    thread = factory.LazyAttribute(lambda o: thread_between(o.sender, MemberFactory()))
    body = factory.Faker("sentence")
