from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import factory

from clubos.services.sink import SyncedContact, SyncedMessage
from clubos.types import Channel, Direction
from inbox.models import AuthorKind, Contact, Conversation, DeliveryStatus, InboxMessage, Label, SavedReply

_message_ids = itertools.count(500_000_000)


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    clubos_id = factory.Sequence(lambda n: 70_000_000 + n)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@example.net")
    phone = factory.Sequence(lambda n: f"+1773555{n:04d}")


class ConversationFactory(factory.django.DjangoModelFactory[Conversation]):
    class Meta:
        model = Conversation

    contact = factory.SubFactory(ContactFactory)
    # The list shows conversations with a message: a conversation is born with its first one.
    last_message_at = factory.LazyFunction(lambda: datetime.now(UTC))


class LabelFactory(factory.django.DjangoModelFactory[Label]):
    class Meta:
        model = Label

    name = factory.Sequence(lambda n: f"label {n}")


class SavedReplyFactory(factory.django.DjangoModelFactory[SavedReply]):
    class Meta:
        model = SavedReply

    title = factory.Sequence(lambda n: f"Saved reply {n}")
    body = "Hi {first_name}, see you soon!"


class InboxMessageFactory(factory.django.DjangoModelFactory[InboxMessage]):
    class Meta:
        model = InboxMessage

    conversation = factory.SubFactory(ConversationFactory)
    direction = "inbound"
    channel = "sms"
    author_kind = AuthorKind.MEMBER
    body = factory.Faker("sentence")
    sent_at = factory.LazyFunction(lambda: datetime.now(UTC))
    clubos_message_id = factory.LazyFunction(lambda: next(_message_ids))
    delivery_status = DeliveryStatus.SENT


def synced(
    *,
    body: str = "Is the pool open?",
    clubos_id: int | None = 61_000_100,
    name: str = "Dana Reyes",
    email: str = "",
    phone: str = "",
    direction: Direction = Direction.INBOUND,
    channel: Channel = Channel.SMS,
    message_id: int | None = None,
    minutes_ago: int = 5,
    snippet: bool = False,
) -> SyncedMessage:
    """A message as the sync hands it to the inbox."""
    return SyncedMessage(
        clubos_message_id=message_id if message_id is not None else next(_message_ids),
        owner_id=1512,
        contact=SyncedContact(clubos_id=clubos_id, name=name, email=email, phone=phone),
        direction=direction,
        channel=channel,
        body=body,
        sent_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
        body_is_snippet=snippet,
    )
