"""`conversation_get` reads in one hand-written query what the ORM would read: checked field by field."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging import selectors, services
from messaging.exceptions import NotAParticipant
from messaging.models import Block, MessagingSuspension, Participant, Preferences
from tests.messaging.factories import make_member, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(messaging_on, settings):
    settings.MESSAGING_RATE_LIMIT_PER_MINUTE = 10_000
    me = make_member(display_name="Dana Reyes", first_name="Dana", last_name="Reyes")
    other = make_member(display_name="Priya Shah", first_name="Priya", last_name="Shah")
    thread, _ = services.thread_start(initiator=me, recipient=other)
    services.message_send(sender=other, thread_id=thread.pk, body="hello")
    services.message_send(sender=me, thread_id=thread.pk, body="hi")
    services.message_send(sender=other, thread_id=thread.pk, body="pool open late?")
    return me, other, thread


def _same_as_the_orm(conversation: selectors.Conversation, me, thread) -> None:
    stored = Participant.objects.select_related("other", "thread").get(user=me, thread=thread)
    got = conversation.participant
    for field in Participant._meta.concrete_fields:
        assert getattr(got, field.attname) == getattr(stored, field.attname), field.name
    for name in ("id", "username", "display_name", "first_name", "last_name", "is_active"):
        assert getattr(got.other, name) == getattr(stored.other, name), name
    assert got.thread.pk == stored.thread.pk
    assert got.thread.last_message_id == stored.thread.last_message_id


def test_the_participant_the_other_member_and_the_thread_are_as_stored(pair):
    me, other, thread = pair
    conversation = selectors.conversation_get(user_id=me.pk, thread_id=thread.pk)
    _same_as_the_orm(conversation, me, thread)
    assert conversation.participant.other.display_name == "Priya Shah"
    assert conversation.participant.unread_count == 1  # my reply read what came before it
    assert conversation.unread_total == selectors.messages_unread_count(user_id=me.pk) == 1
    assert conversation.blocked is False
    assert conversation.receipts is True
    other_side = Participant.objects.get(user=other, thread=thread)
    assert conversation.seen_up_to == other_side.last_read_message_id
    assert conversation.suspension is None


def test_an_inactive_other_member_reads_as_inactive(pair):
    me, other, thread = pair
    other.is_active = False
    other.save(update_fields=["is_active"])
    conversation = selectors.conversation_get(user_id=me.pk, thread_id=thread.pk)
    assert conversation.participant.other.is_active is False
    _same_as_the_orm(conversation, me, thread)


@pytest.mark.parametrize("direction", ["mine", "theirs"])
def test_a_block_either_way_is_read(pair, direction):
    me, other, thread = pair
    blocker, blocked = (me, other) if direction == "mine" else (other, me)
    Block.objects.create(blocker=blocker, blocked=blocked)
    assert selectors.conversation_get(user_id=me.pk, thread_id=thread.pk).blocked is True


@pytest.mark.parametrize("who", ["me", "other"])
def test_receipts_off_on_either_side_hide_the_seen_pointer(pair, who):
    me, other, thread = pair
    Preferences.objects.create(user=me if who == "me" else other, read_receipts=False)
    conversation = selectors.conversation_get(user_id=me.pk, thread_id=thread.pk)
    assert conversation.receipts is False
    assert conversation.seen_up_to is None


def test_a_suspension_in_force_is_read_with_its_end_and_a_lifted_or_ended_one_is_not(pair):
    me, _, thread = pair
    staff = make_staff()
    until = timezone.now() + timedelta(days=2)
    ended = MessagingSuspension.objects.create(member=me, created_by=staff, until=timezone.now() - timedelta(hours=1))
    assert selectors.conversation_get(user_id=me.pk, thread_id=thread.pk).suspension is None
    ended.lifted_at = timezone.now()
    ended.save()
    current = MessagingSuspension.objects.create(member=me, created_by=staff, until=until)
    suspension = selectors.conversation_get(user_id=me.pk, thread_id=thread.pk).suspension
    assert suspension is not None
    assert suspension.pk == current.pk
    assert suspension.until == until


def test_a_muted_thread_leaves_the_badge_sum(pair):
    me, _, thread = pair
    Participant.objects.filter(user=me, thread=thread).update(muted=True)
    assert selectors.conversation_get(user_id=me.pk, thread_id=thread.pk).unread_total == 0


def test_someone_elses_thread_is_not_a_participant(pair):
    _, _, thread = pair
    with pytest.raises(NotAParticipant):
        selectors.conversation_get(user_id=make_member().pk, thread_id=thread.pk)
