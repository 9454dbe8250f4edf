"""Edit, delete, read receipts, preferences, search and the membership rules, through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import MembershipStatus
from messaging import selectors, services
from messaging.exceptions import InvalidMessage, MessageNotEditable, NotAParticipant, RateLimited, StartNotAllowed
from messaging.models import Message, Participant, StartPolicy
from tests.messaging.factories import make_member, make_staff

pytestmark = pytest.mark.django_db


# --- edit ---------------------------------------------------------------------------------------


def test_sender_edits_within_the_window_and_the_message_is_marked_edited(thread, member):
    message = services.message_send(sender=member, thread_id=thread.pk, body="See you at 6")
    edited = services.message_edit(user=member, message_id=message.pk, body="  See you at 7  ")
    stored = Message.objects.get(pk=message.pk)
    assert stored.body == "See you at 7"
    assert stored.edited_at is not None
    assert edited.edited_at == stored.edited_at


def test_unchanged_edit_is_not_marked_edited(thread, member):
    message = services.message_send(sender=member, thread_id=thread.pk, body="same")
    services.message_edit(user=member, message_id=message.pk, body="same")
    assert Message.objects.get(pk=message.pk).edited_at is None


def test_edit_after_the_window_is_refused(thread, member, settings):
    settings.MESSAGING_EDIT_WINDOW_SECONDS = 15 * 60
    message = services.message_send(sender=member, thread_id=thread.pk, body="old")
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    with pytest.raises(MessageNotEditable, match="15 minutes"):
        services.message_edit(user=member, message_id=message.pk, body="new")
    assert Message.objects.get(pk=message.pk).body == "old"


def test_nobody_edits_someone_elses_message(thread, member, other_member):
    message = services.message_send(sender=member, thread_id=thread.pk, body="mine")
    with pytest.raises(MessageNotEditable):
        services.message_edit(user=other_member, message_id=message.pk, body="hijacked")
    stranger = make_member()
    with pytest.raises(NotAParticipant):
        services.message_edit(user=stranger, message_id=message.pk, body="hijacked")
    assert Message.objects.get(pk=message.pk).body == "mine"


def test_edit_checks_the_body_like_a_send(thread, member, settings):
    settings.MESSAGING_BODY_MAX_LENGTH = 10
    message = services.message_send(sender=member, thread_id=thread.pk, body="short")
    with pytest.raises(InvalidMessage, match="at most 10"):
        services.message_edit(user=member, message_id=message.pk, body="x" * 11)
    with pytest.raises(InvalidMessage):
        services.message_edit(user=member, message_id=message.pk, body="   ")
    assert Message.objects.get(pk=message.pk).body == "short"


def test_edits_count_against_the_send_rate_limit(thread, member, settings):
    settings.MESSAGING_RATE_LIMIT_PER_MINUTE = 3
    message = services.message_send(sender=member, thread_id=thread.pk, body="v0")
    services.message_edit(user=member, message_id=message.pk, body="v1")
    services.message_edit(user=member, message_id=message.pk, body="v2")
    with pytest.raises(RateLimited):
        services.message_edit(user=member, message_id=message.pk, body="v3")
    assert Message.objects.get(pk=message.pk).body == "v2"


# --- delete -------------------------------------------------------------------------------------


def test_sender_deletes_and_both_sides_get_no_body(thread, member, other_member):
    message = services.message_send(sender=member, thread_id=thread.pk, body="oops, wrong person")
    services.message_delete(user=member, message_id=message.pk)
    for viewer in (member, other_member):
        payload = selectors.message_payload_for_user(user_id=viewer.pk, message_id=message.pk)
        assert payload["deleted"] is True
        assert payload["body"] == ""
        assert "wrong person" not in payload["body_html"]
    # Idempotent, and a deleted message can no longer be edited.
    services.message_delete(user=member, message_id=message.pk)
    with pytest.raises(MessageNotEditable):
        services.message_edit(user=member, message_id=message.pk, body="again")


def test_only_the_sender_deletes(thread, member, other_member):
    message = services.message_send(sender=member, thread_id=thread.pk, body="keep")
    with pytest.raises(MessageNotEditable):
        services.message_delete(user=other_member, message_id=message.pk)
    assert Message.objects.get(pk=message.pk).deleted_at is None


# --- read receipts ------------------------------------------------------------------------------


def test_seen_up_to_follows_the_other_sides_read_pointer(thread, member, other_member):
    first = services.message_send(sender=member, thread_id=thread.pk, body="one")
    mine = selectors.participant_get(user_id=member.pk, thread_id=thread.pk)
    assert selectors.seen_up_to(viewer_id=member.pk, participant=mine) is None
    services.thread_mark_read(user=other_member, thread_id=thread.pk)
    assert selectors.seen_up_to(viewer_id=member.pk, participant=mine) == first.pk


@pytest.mark.parametrize("who_turns_off", ["viewer", "reader"])
def test_receipts_off_on_either_side_hides_them_both_ways(thread, member, other_member, who_turns_off):
    services.message_send(sender=member, thread_id=thread.pk, body="one")
    services.thread_mark_read(user=other_member, thread_id=thread.pk)
    services.preferences_update(user_id=(member if who_turns_off == "viewer" else other_member).pk, read_receipts=False)
    mine = selectors.participant_get(user_id=member.pk, thread_id=thread.pk)
    theirs = selectors.participant_get(user_id=other_member.pk, thread_id=thread.pk)
    assert selectors.seen_up_to(viewer_id=member.pk, participant=mine) is None
    assert selectors.seen_up_to(viewer_id=other_member.pk, participant=theirs) is None
    assert selectors.receipts_visible(viewer_id=member.pk, other_id=other_member.pk) is False


def test_preferences_default_on_and_update_only_what_is_given(member):
    prefs = selectors.preferences_get(user_id=member.pk)
    assert (prefs.read_receipts, prefs.email_unread) == (True, True)
    services.preferences_update(user_id=member.pk, email_unread=False)
    services.preferences_update(user_id=member.pk, read_receipts=None)
    prefs = selectors.preferences_get(user_id=member.pk)
    assert (prefs.read_receipts, prefs.email_unread) == (True, False)


# --- who may start a conversation ---------------------------------------------------------------


@pytest.fixture
def active_only(messaging_on):
    services.messaging_set_start_policy(actor=None, start_policy=StartPolicy.ACTIVE_MEMBERS)


@pytest.mark.parametrize("status", [MembershipStatus.FROZEN, MembershipStatus.CANCELLED, MembershipStatus.PROSPECT])
def test_inactive_memberships_cannot_start_but_can_reply_when_only_active_may_start(active_only, status):
    restricted, friend, stranger = make_member(membership_status=status), make_member(), make_member()
    existing, _ = services.thread_start(initiator=friend, recipient=restricted)

    with pytest.raises(StartNotAllowed, match=f"membership is {status}"):
        services.thread_start(initiator=restricted, recipient=stranger)
    assert not Participant.objects.filter(user=restricted, other=stranger).exists()

    # The existing thread opens and takes replies.
    assert services.thread_start(initiator=restricted, recipient=friend) == (existing, False)
    services.message_send(sender=restricted, thread_id=existing.pk, body="still here")
    # Others may still start a thread with them.
    services.thread_start(initiator=stranger, recipient=restricted)


def test_active_members_and_staff_always_start(active_only):
    active = make_member(membership_status=MembershipStatus.ACTIVE)
    staff = make_staff(membership_status=MembershipStatus.PROSPECT)
    assert services.thread_start(initiator=active, recipient=make_member())[1] is True
    assert services.thread_start(initiator=staff, recipient=make_member())[1] is True


@pytest.mark.parametrize("status", list(MembershipStatus))
def test_every_status_may_start_when_all_members_may(messaging_on, status):
    assert selectors.start_policy() == StartPolicy.ALL_MEMBERS
    person = make_member(membership_status=status)
    assert services.thread_start(initiator=person, recipient=make_member())[1] is True


def test_unknown_start_policy_is_refused(messaging_on):
    with pytest.raises(InvalidMessage):
        services.messaging_set_start_policy(actor=None, start_policy="vip")


# --- finding people and messages ----------------------------------------------------------------


def test_recipient_search_offers_only_people_one_may_message(messaging_on, member):
    match = make_member(display_name="Riley Match")
    blocked = make_member(display_name="Riley Blocked")
    blocker = make_member(display_name="Riley Blocker")
    gone = make_member(display_name="Riley Gone", is_active=False)
    make_member(display_name="Someone Else")
    services.block_create(blocker=member, blocked=blocked)
    services.block_create(blocker=blocker, blocked=member)
    found = selectors.recipient_search(user=member, query="riley")
    assert found == [match]
    assert gone not in found
    assert selectors.recipient_search(user=member, query="  ") == []
    assert member not in selectors.recipient_search(user=member, query=member.username)


def test_recipient_search_for_a_restricted_member_lists_only_existing_conversations(messaging_on):
    restricted = make_member(membership_status=MembershipStatus.FROZEN)
    friend, stranger = make_member(display_name="Pat Friend"), make_member(display_name="Pat Stranger")
    services.thread_start(initiator=friend, recipient=restricted)
    services.messaging_set_start_policy(actor=None, start_policy=StartPolicy.ACTIVE_MEMBERS)
    assert selectors.recipient_search(user=restricted, query="pat") == [friend]
    services.messaging_set_start_policy(actor=None, start_policy=StartPolicy.ALL_MEMBERS)
    assert set(selectors.recipient_search(user=restricted, query="pat")) == {friend, stranger}


def test_message_search_finds_only_my_conversations_and_never_deleted_messages(thread, member, other_member):
    hit = services.message_send(sender=other_member, thread_id=thread.pk, body="The swimming pool opens at 6")
    gone = services.message_send(sender=member, thread_id=thread.pk, body="pool party cancelled")
    services.message_delete(user=member, message_id=gone.pk)
    services.message_send(sender=member, thread_id=thread.pk, body="Nothing to see")
    outsider_a, outsider_b = make_member(), make_member()
    elsewhere, _ = services.thread_start(initiator=outsider_a, recipient=outsider_b)
    services.message_send(sender=outsider_a, thread_id=elsewhere.pk, body="secret pool plans")

    results = selectors.message_search(user_id=member.pk, query="pool")
    assert [m.pk for m in results] == [hit.pk]
    assert selectors.message_search(user_id=member.pk, query="") == []


@pytest.mark.postgres
def test_message_search_is_full_text_on_postgresql(thread, member, other_member):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("full-text search is PostgreSQL's")
    stemmed = services.message_send(sender=other_member, thread_id=thread.pk, body="We were swimming all morning")
    services.message_send(sender=other_member, thread_id=thread.pk, body="Gym closes early")
    # Stemming: "swim" finds "swimming"; web-search syntax excludes with a minus.
    assert [m.pk for m in selectors.message_search(user_id=member.pk, query="swim")] == [stemmed.pk]
    assert selectors.message_search(user_id=member.pk, query="swim -morning") == []
