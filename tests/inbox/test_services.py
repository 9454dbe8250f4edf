from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from clubos.types import Channel, Direction
from inbox.exceptions import ReplyNotAllowed
from inbox.models import Contact, Conversation, DeliveryStatus, InboxMessage
from inbox.services import actions, conversations, outbound
from inbox.services.ingest import clubos_message_sink
from inbox.signals import inbound_messages_received
from tests.accounts.factories import MemberFactory

from .factories import ContactFactory, ConversationFactory, synced

pytestmark = pytest.mark.django_db

sink = clubos_message_sink


def test_ingest_stores_messages_once_and_counts_duplicates():
    first = [synced(body="Hi", message_id=1), synced(body="Pool open?", message_id=2)]
    result = sink.ingest(messages=first)
    assert (result.new, result.duplicates) == (2, 0)
    again = sink.ingest(messages=[*first, synced(body="Thanks", message_id=3)])
    assert (again.new, again.duplicates) == (1, 2)
    assert InboxMessage.objects.count() == 3
    assert sink.known_message_ids(ids=[1, 2, 3, 4]) == {1, 2, 3}


def test_ingest_keeps_one_conversation_per_contact_with_unread_and_latest_preview():
    sink.ingest(
        messages=[
            synced(body="older", message_id=10, minutes_ago=30),
            synced(body="newer", message_id=11, minutes_ago=1),
            synced(body="staff answer", message_id=12, minutes_ago=10, direction=Direction.OUTBOUND),
        ]
    )
    conversation = Conversation.objects.get()
    assert conversation.unread_count == 2  # outbound messages are not unread
    assert conversation.last_message_preview == "newer"
    assert [m.body for m in conversation.messages.order_by("sent_at")] == ["older", "staff answer", "newer"]
    outbound = conversation.messages.get(clubos_message_id=12)
    assert (outbound.direction, outbound.author_kind) == ("outbound", "staff")


def test_new_inbound_message_reopens_a_resolved_conversation():
    sink.ingest(messages=[synced(message_id=20)])
    Conversation.objects.update(status="resolved", unread_count=0)
    sink.ingest(messages=[synced(message_id=21, body="one more thing")])
    conversation = Conversation.objects.get()
    assert (conversation.status, conversation.unread_count) == ("open", 1)


def test_member_is_linked_by_clubos_id_when_email_or_phone_confirms():
    member = MemberFactory(clubos_member_id=61_000_100, email="dana@members.example", mobile_phone="+13125551000")
    sink.ingest(messages=[synced(clubos_id=61_000_100, phone="(312) 555-1000")])
    assert Contact.objects.get().user == member


def test_member_with_the_same_clubos_id_but_other_email_and_phone_is_not_linked():
    MemberFactory(clubos_member_id=61_000_100, email="someone@else.example", mobile_phone="+13125559999")
    sink.ingest(messages=[synced(clubos_id=61_000_100, email="dana@members.example", phone="(312) 555-1000")])
    contact = Contact.objects.get()
    assert contact.user is None
    assert contact.email == "dana@members.example"


def test_account_without_clubos_id_is_linked_only_on_same_name_and_email():
    namesake = MemberFactory(display_name="Dana Reyes", first_name="Dana", last_name="Reyes", email="x@example.com")
    dana = MemberFactory(display_name="Dana Reyes", first_name="Dana", last_name="Reyes", email="dana@members.example")
    sink.ingest(messages=[synced(clubos_id=61_000_100, email="DANA@members.example")])
    assert Contact.objects.get().user == dana
    assert Contact.objects.get().user != namesake


def test_accounts_are_found_whatever_the_case_of_their_name_and_email_in_a_batch_of_many():
    shouted = MemberFactory.create(display_name="", first_name="DANA", last_name="REYES", email="Dana@Members.Example")
    accented = MemberFactory.create(
        display_name="Émile Zoë", first_name="Émile", last_name="Zoë", email="emile@members.example"
    )
    sink.ingest(
        messages=[
            synced(message_id=50, clubos_id=61_000_100, name="Dana Reyes", email="dana@members.example"),
            synced(message_id=51, clubos_id=61_000_101, name="Émile Zoë", email="EMILE@members.example"),
            synced(message_id=52, clubos_id=61_000_102, name="Someone Else", email="else@members.example"),
        ]
    )
    linked = dict(Contact.objects.values_list("clubos_id", "user_id"))
    assert linked == {61_000_100: shouted.pk, 61_000_101: accented.pk, 61_000_102: None}


def test_unknown_sender_becomes_a_contact_by_name_and_is_never_dropped():
    sink.ingest(messages=[synced(clubos_id=None, name="Mystery Person", snippet=True, message_id=30)])
    contact = Contact.objects.get()
    assert (contact.clubos_id, contact.name) == (None, "Mystery Person")
    message = InboxMessage.objects.get()
    assert message.body_is_snippet
    # Later ClubOS resolves the name: the same contact (and conversation) gets the id.
    sink.ingest(messages=[synced(clubos_id=61_999_999, name="Mystery Person", message_id=31)])
    assert Contact.objects.get().clubos_id == 61_999_999
    assert Conversation.objects.get().messages.count() == 2


def test_own_reply_coming_back_from_clubos_gets_its_id_instead_of_a_duplicate(staff):
    conversation = ConversationFactory.create(contact=ContactFactory.create(clubos_id=61_000_100))
    reply = InboxMessage.objects.create(
        conversation=conversation,
        direction="outbound",
        author_kind="staff",
        author=staff,
        body="See you  Saturday!",
        sent_at=datetime.now(UTC),
        delivery_status=DeliveryStatus.SENT,
        idempotency_key="k1",
        attempts=1,
    )
    result = sink.ingest(
        messages=[synced(body="See you Saturday!", direction=Direction.OUTBOUND, message_id=40, clubos_id=61_000_100)]
    )
    assert (result.new, result.duplicates) == (0, 1)
    reply.refresh_from_db()
    assert reply.clubos_message_id == 40
    assert InboxMessage.objects.count() == 1


def test_inbound_signal_is_sent_after_commit_with_new_inbound_ids_only(django_capture_on_commit_callbacks):
    received: list[list[int]] = []

    def receiver(sender, message_ids, **kwargs):
        received.append(message_ids)

    inbound_messages_received.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            sink.ingest(
                messages=[
                    synced(message_id=50, minutes_ago=3),
                    synced(message_id=51, direction=Direction.OUTBOUND, minutes_ago=2),
                    synced(message_id=52, minutes_ago=1),
                ]
            )
        assert received == []  # nothing before commit
        for callback in callbacks:
            callback()
    finally:
        inbound_messages_received.disconnect(receiver)
    expected = list(InboxMessage.objects.filter(direction="inbound").order_by("sent_at").values_list("pk", flat=True))
    assert received == [expected]
    assert len(expected) == 2


def test_mark_read_resets_unread_for_staff_only(staff, member):
    sink.ingest(messages=[synced(message_id=60)])
    conversation = Conversation.objects.get()
    with pytest.raises(PermissionDenied):
        actions.conversation_mark_read(conversation=conversation, user=member)
    assert actions.conversation_mark_read(conversation=conversation, user=staff) is True
    assert Conversation.objects.get().unread_count == 0
    assert actions.conversation_mark_read(conversation=conversation, user=staff) is False


def test_reply_is_queued_and_the_send_task_runs_after_commit(staff, django_capture_on_commit_callbacks):
    conversation = ConversationFactory.create()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = conversations.conversation_reply(
            conversation=conversation, author=staff, channel="sms", body=" Hello \n"
        )
    assert (message.delivery_status, message.body, message.direction) == ("queued", "Hello", "outbound")
    assert message.idempotency_key
    assert len(callbacks) == 2  # the delivery nudge, and the open lists' conversation.changed event
    conversation.refresh_from_db()
    assert conversation.last_message_preview == "Hello"


@pytest.mark.parametrize(
    ("channel", "body", "subject", "error"),
    [
        ("sms", "   ", "", "Write a message"),
        ("email", "Hi", "", "subject"),
        ("fax", "Hi", "", "SMS or email"),
    ],
)
def test_reply_rejects_bad_input(staff, channel, body, subject, error):
    conversation = ConversationFactory.create()
    with pytest.raises(ReplyNotAllowed, match=error):
        conversations.conversation_reply(
            conversation=conversation, author=staff, channel=channel, body=body, subject=subject
        )
    assert not InboxMessage.objects.exists()


def test_reply_to_a_sender_clubos_does_not_know_is_refused(staff):
    conversation = ConversationFactory.create(contact=ContactFactory.create(clubos_id=None))
    with pytest.raises(ReplyNotAllowed, match="did not recognise"):
        conversations.conversation_reply(conversation=conversation, author=staff, channel="sms", body="Hi")


def test_members_cannot_reply(member):
    with pytest.raises(PermissionDenied):
        conversations.conversation_reply(
            conversation=ConversationFactory.create(), author=member, channel="sms", body="Hi"
        )


def test_delivery_of_a_message_already_sent_or_in_flight_does_nothing(staff):
    conversation = ConversationFactory.create()
    now = datetime.now(UTC)
    sent = InboxMessage.objects.create(
        conversation=conversation, direction="outbound", author_kind="staff", body="a", sent_at=now,
        delivery_status=DeliveryStatus.SENT, idempotency_key="a", attempts=1,
    )  # fmt: skip
    in_flight = InboxMessage.objects.create(
        conversation=conversation, direction="outbound", author_kind="staff", body="b", sent_at=now,
        delivery_status=DeliveryStatus.SENDING, idempotency_key="b", attempts=1, attempt_started_at=now,
    )  # fmt: skip
    assert outbound.outbound_message_deliver(message_id=sent.pk).status == "sent"
    assert outbound.outbound_message_deliver(message_id=in_flight.pk).status == "in-progress"
    assert outbound.outbound_message_deliver(message_id=999_999).status == "missing"
    in_flight.refresh_from_db()
    assert (in_flight.attempts, in_flight.delivery_status) == (1, "sending")


def test_ingest_accepts_email_channel():
    sink.ingest(messages=[synced(channel=Channel.EMAIL, body="Line one\nLine two", message_id=70)])
    assert InboxMessage.objects.get().channel == "email"


def test_contact_details_follow_clubos():
    sink.ingest(messages=[synced(message_id=80, email="old@example.net")])
    sink.ingest(messages=[synced(message_id=81, email="new@example.net")])
    assert Contact.objects.get().email == "new@example.net"
    last_message_at = Conversation.objects.get().last_message_at
    assert last_message_at is not None
    assert timedelta(0) <= datetime.now(UTC) - last_message_at


def test_new_inbound_messages_hint_staff_sockets_after_commit(django_capture_on_commit_callbacks):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from inbox.live import STAFF_GROUP as STAFF_INBOX_GROUP

    layer = get_channel_layer()
    assert layer is not None
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(STAFF_INBOX_GROUP, channel)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            sink.ingest(messages=[synced(message_id=90)])
        events = [async_to_sync(layer.receive)(channel) for _ in range(2)]
    finally:
        async_to_sync(layer.group_discard)(STAFF_INBOX_GROUP, channel)
    # The badge refresh, and the lists' `conversation.changed` (its conversation moves to the top).
    assert sorted(event["type"] for event in events) == ["realtime.event", "unread.refresh"]
    changed = next(event for event in events if event["type"] == "realtime.event")
    assert changed["event"] == "conversation.changed"
