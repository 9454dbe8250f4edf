"""The chat pages: the conversation page's data for the script, over-limit refusal, edit/delete without
JavaScript, New message, search, settings, and what the membership rules show on profiles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import MembershipStatus
from messaging import services
from messaging.models import Message, Participant, StartPolicy
from tests.messaging.factories import make_member, make_staff

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_conversation_renders_iso_times_the_unread_divider_point_and_seen(
    member_client, other_client, member, other_member, thread
):
    first = services.message_send(sender=member, thread_id=thread.pk, body="one")
    other_client.get(reverse("messaging:thread_detail", args=[thread.pk]))  # the other side reads it
    second = services.message_send(sender=other_member, thread_id=thread.pk, body="two")
    page = member_client.get(reverse("messaging:thread_detail", args=[thread.pk])).content.decode()
    # The divider goes after what was read before this visit; "Seen" up to what the other side read
    # (writing "two" means they read everything before it).
    assert f'data-read-up-to="{first.pk}"' in page
    assert f'data-seen-up-to="{second.pk}"' in page
    assert 'data-receipts="1"' in page
    # The same ISO timestamp the socket and the API send: the script formats both in local time.
    assert f'datetime="{first.created_at.isoformat()}"' in page
    assert f'data-created-at="{first.created_at.isoformat()}"' in page
    assert "Enter to send · Shift+Enter for a new line" in page
    # The box never cuts a paste: no maxlength; the limit is for the script's counter and refusal.
    assert "maxlength" not in page.split('id="dm-body"')[1].split(">")[0]
    assert 'data-body-max="5000"' in page


def test_over_limit_text_is_refused_with_a_message_and_kept(member_client, thread):
    body = "x" * 20_000
    response = member_client.post(reverse("messaging:thread_reply", args=[thread.pk]), {"body": body})
    assert response.status_code == 400
    page = response.content.decode()
    assert "at most 5,000 characters (this one has 20,000)" in page
    assert body in page  # the draft is kept whole, not cut to 5,000
    assert not Message.objects.exists()


def test_edit_and_delete_without_javascript(member_client, other_client, member, thread):
    message = services.message_send(sender=member, thread_id=thread.pk, body="Meet at 6")
    edit_url = reverse("messaging:message_edit", args=[message.pk])
    assert other_client.get(edit_url).status_code == 403
    assert member_client.get(edit_url).status_code == 200
    response = member_client.post(edit_url, {"body": "Meet at 7"})
    assert response.status_code == 302
    page = other_client.get(reverse("messaging:thread_detail", args=[thread.pk])).content.decode()
    assert "Meet at 7" in page
    assert "(edited)" in page

    assert other_client.post(reverse("messaging:message_delete", args=[message.pk])).status_code == 403
    assert member_client.post(reverse("messaging:message_delete", args=[message.pk])).status_code == 302
    for client in (member_client, other_client):
        page = client.get(reverse("messaging:thread_detail", args=[thread.pk])).content.decode()
        assert "Message deleted" in page
        assert "Meet at 7" not in page
    listing = other_client.get(reverse("messaging:thread_list")).content.decode()
    assert "Message deleted" in listing


def test_edit_page_refuses_after_the_window(member_client, member, thread):
    message = services.message_send(sender=member, thread_id=thread.pk, body="old")
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=20))
    response = member_client.post(reverse("messaging:message_edit", args=[message.pk]), {"body": "new"})
    assert response.status_code == 403
    assert "15 minutes" in response.content.decode()


def test_actions_are_in_a_menu_report_only_on_others_messages(member_client, member, other_member, thread):
    mine = services.message_send(sender=member, thread_id=thread.pk, body="mine")
    theirs = services.message_send(sender=other_member, thread_id=thread.pk, body="theirs")
    page = member_client.get(reverse("messaging:thread_detail", args=[thread.pk])).content.decode()
    assert page.count('<details class="dm-actions"') == 2
    assert reverse("messaging:message_report", args=[theirs.pk]) in page
    assert reverse("messaging:message_report", args=[mine.pk]) not in page
    assert reverse("messaging:message_edit", args=[mine.pk]) in page
    assert reverse("messaging:message_edit", args=[theirs.pk]) not in page


def test_new_message_search_as_you_type_and_pick(member_client, member, messaging_on):
    target = make_member(display_name="Jordan Example", username="jordan")
    page = member_client.get(reverse("messaging:new_message"), {"q": "jord"}).content.decode()
    assert "Jordan Example" in page
    fragment = member_client.get(reverse("messaging:new_message"), {"q": "jord", "fragment": "1"})
    assert "<html" not in fragment.content.decode()
    assert reverse("messaging:thread_start", args=["jordan"]) in fragment.content.decode()
    response = member_client.post(reverse("messaging:thread_start", args=["jordan"]))
    assert response.status_code == 302
    thread_id = Participant.objects.get(user=member, other=target).thread_id
    assert response["Location"] == reverse("messaging:thread_detail", args=[thread_id])
    empty = member_client.get(reverse("messaging:new_message"), {"q": "nobody-like-this", "fragment": "1"})
    assert "No one you can message" in empty.content.decode()


def test_search_page_links_each_result_to_the_message_in_its_thread(member_client, member, other_member, thread):
    hit = services.message_send(sender=other_member, thread_id=thread.pk, body="Bring your <towel>")
    page = member_client.get(reverse("messaging:search"), {"q": "towel"}).content.decode()
    assert f"/messages/{thread.pk}/?before={hit.pk + 1}#m{hit.pk}" in page
    assert "Bring your &lt;towel&gt;" in page
    # The linked page contains the message.
    linked = member_client.get(f"/messages/{thread.pk}/?before={hit.pk + 1}").content.decode()
    assert f'id="m{hit.pk}"' in linked


def test_settings_page_saves_preferences(member_client, member):
    assert member_client.get(reverse("messaging:preferences")).status_code == 200
    response = member_client.post(reverse("messaging:preferences"), {"email_unread": "on"})
    assert response.status_code == 302
    prefs = member.messaging_preferences
    assert (prefs.read_receipts, prefs.email_unread) == (False, True)


def test_seen_is_not_rendered_when_receipts_are_off(member_client, other_client, member, other_member, thread):
    services.message_send(sender=member, thread_id=thread.pk, body="one")
    other_client.get(reverse("messaging:thread_detail", args=[thread.pk]))
    services.preferences_update(user_id=other_member.pk, read_receipts=False)
    page = member_client.get(reverse("messaging:thread_detail", args=[thread.pk])).content.decode()
    assert 'data-seen-up-to=""' in page
    assert 'data-receipts="0"' in page


# --- membership rules on profiles and in the directory ------------------------------------------


@pytest.mark.parametrize("status", [MembershipStatus.FROZEN, MembershipStatus.CANCELLED, MembershipStatus.PROSPECT])
def test_restricted_member_sees_the_reason_instead_of_the_message_button(messaging_on, status):
    services.messaging_set_start_policy(actor=None, start_policy=StartPolicy.ACTIVE_MEMBERS)
    restricted, stranger, friend = make_member(membership_status=status), make_member(), make_member()
    services.thread_start(initiator=friend, recipient=restricted)
    client = _client(restricted)

    page = client.get(reverse("accounts:profile", args=[stranger.username])).content.decode()
    assert 'data-messaging="start"' not in page
    assert f"Your membership is {status}" in page
    assert client.post(reverse("messaging:thread_start", args=[stranger.username])).status_code == 403

    # An existing conversation still opens from the profile.
    page = client.get(reverse("accounts:profile", args=[friend.username])).content.decode()
    assert 'data-messaging="start"' in page
    assert client.post(reverse("messaging:thread_start", args=[friend.username])).status_code == 302


def test_active_member_gets_the_message_button_under_the_active_only_rule(messaging_on, member_client, other_member):
    services.messaging_set_start_policy(actor=None, start_policy=StartPolicy.ACTIVE_MEMBERS)
    page = member_client.get(reverse("accounts:profile", args=[other_member.username])).content.decode()
    assert 'data-messaging="start"' in page


def test_membership_status_is_shown_to_staff_only(db):
    frozen = make_member(membership_status=MembershipStatus.FROZEN, display_name="Frida Frozen")
    prospect = make_member(membership_status=MembershipStatus.PROSPECT, display_name="Pia Prospect")
    member_view = _client(make_member()).get(reverse("accounts:directory")).content.decode()
    assert "Frozen" not in member_view.replace("Frida Frozen", "")
    assert "Prospect" not in member_view.replace("Pia Prospect", "")
    profile = _client(make_member()).get(reverse("accounts:profile", args=[frozen.username])).content.decode()
    assert "Frozen member" not in profile

    staff_view = _client(make_staff()).get(reverse("accounts:directory")).content.decode()
    assert "Frozen" in staff_view.replace("Frida Frozen", "")
    assert "Prospect" in staff_view.replace("Pia Prospect", "")
    assert (
        "Prospect member"
        in _client(make_staff()).get(reverse("accounts:profile", args=[prospect.username])).content.decode()
    )


def test_edit_is_offered_only_within_the_window(member_client, member, thread):
    old = services.message_send(sender=member, thread_id=thread.pk, body="old")
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    fresh = services.message_send(sender=member, thread_id=thread.pk, body="fresh")
    page = member_client.get(reverse("messaging:thread_detail", args=[thread.pk])).content.decode()
    assert reverse("messaging:message_edit", args=[fresh.pk]) in page
    assert reverse("messaging:message_edit", args=[old.pk]) not in page
    assert reverse("messaging:message_delete", args=[old.pk]) in page
