import re

import pytest
from django.urls import reverse

from inbox.models import Conversation, InboxMessage
from inbox.selectors import staff_unread_count
from inbox.services.ingest import clubos_message_sink
from messaging.selectors import messaging_enabled, messaging_enabled_cache_clear

from .factories import ContactFactory, ConversationFactory, InboxMessageFactory, synced

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("inbox:conversation_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_members_never_see_the_staff_inbox(member_client):
    conversation = ConversationFactory.create()
    assert member_client.get(reverse("inbox:conversation_list")).status_code == 404
    url = reverse("inbox:conversation_detail", args=[conversation.pk])
    assert member_client.get(url).status_code == 404  # the conversation page does not exist for members
    assert member_client.post(url, {"channel": "sms", "body": "hi"}).status_code == 404
    assert not InboxMessage.objects.exists()


def test_list_shows_conversations_latest_first_with_snippet_and_unread(staff_client):
    clubos_message_sink.ingest(
        messages=[
            synced(clubos_id=1, name="Older Olga", body="first question", minutes_ago=60),
            synced(clubos_id=2, name="Newer Nina", body="<b>second</b> question", minutes_ago=1),
        ]
    )
    response = staff_client.get(reverse("inbox:conversation_list"))
    content = response.content.decode()
    assert response.status_code == 200
    assert content.index("Newer Nina") < content.index("Older Olga")
    assert "&lt;b&gt;second&lt;/b&gt; question" in content
    assert content.count('class="unread-dot" role="img" aria-label="Unread"') == 2  # unread for me, both


def test_list_filters_by_status(staff_client):
    ConversationFactory.create(contact=ContactFactory.create(name="Open Oscar"))
    ConversationFactory.create(contact=ContactFactory.create(name="Done Dora"), status="resolved")
    content = staff_client.get(reverse("inbox:conversation_list"), {"status": "resolved"}).content.decode()
    assert "Done Dora" in content
    assert "Open Oscar" not in content
    assert staff_client.get(reverse("inbox:conversation_list"), {"status": "bogus"}).status_code == 400


def test_list_badge_counts_conversations_with_unread(staff_client):
    clubos_message_sink.ingest(messages=[synced(clubos_id=1, name="A B"), synced(clubos_id=1, name="A B")])
    content = staff_client.get(reverse("inbox:conversation_list")).content.decode()
    assert 'data-badge="inbox">1</span><span class="visually-hidden"> unread</span>' in content


def test_detail_shows_messages_oldest_first_escaped_and_marks_read(staff_client):
    clubos_message_sink.ingest(
        messages=[
            synced(body="<script>alert(1)</script>\nsecond line", minutes_ago=10),
            synced(body="later", minutes_ago=1),
        ]
    )
    conversation = Conversation.objects.get()
    assert conversation.unread_count == 2
    response = staff_client.get(reverse("inbox:conversation_detail", args=[conversation.pk]))
    content = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\nsecond line" in content
    assert "<script>alert(1)" not in content
    assert content.index("second line") < content.index("later")
    assert Conversation.objects.get().unread_count == 0


def test_detail_shows_delivery_status_and_failure_reason(staff_client):
    message = InboxMessageFactory.create(
        direction="outbound",
        author_kind="staff",
        delivery_status="failed",
        failure_reason="ERROR - member cannot receive texts",
        clubos_message_id=None,
    )
    content = staff_client.get(reverse("inbox:conversation_detail", args=[message.conversation_id])).content.decode()
    assert "Failed" in content
    assert "ERROR - member cannot receive texts" in content


def test_reply_form_queues_a_message_and_redirects(staff_client, django_capture_on_commit_callbacks):
    conversation = ConversationFactory.create()
    url = reverse("inbox:conversation_detail", args=[conversation.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = staff_client.post(url, {"channel": "email", "subject": "Hours", "body": "We open at 5."})
    assert response.status_code == 302
    message = InboxMessage.objects.get()
    assert (message.channel, message.subject, message.delivery_status) == ("email", "Hours", "queued")
    assert len(callbacks) == 2  # the delivery nudge and the lists' conversation.changed event


def test_submitting_the_same_reply_form_twice_queues_one_reply(staff_client, django_capture_on_commit_callbacks):
    conversation = ConversationFactory.create()
    url = reverse("inbox:conversation_detail", args=[conversation.pk])
    page = staff_client.get(url).content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page)
    assert key is not None
    form = {"channel": "sms", "body": "See you at 6.", "idempotency_key": key.group(1)}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = staff_client.post(url, form)
        second = staff_client.post(url, form)
    assert (first.status_code, second.status_code) == (302, 302)
    assert InboxMessage.objects.filter(direction="outbound").count() == 1
    assert len(callbacks) == 2  # one reply: its delivery nudge and its conversation.changed event
    next_page = staff_client.get(url).content.decode()
    assert key.group(1) not in next_page  # a fresh form, a fresh key


def test_reply_form_errors_are_400_not_500(staff_client):
    conversation = ConversationFactory.create()
    url = reverse("inbox:conversation_detail", args=[conversation.pk])
    response = staff_client.post(url, {"channel": "email", "subject": "", "body": "Hi"})
    assert response.status_code == 400
    assert "An email needs a subject." in response.content.decode()
    assert staff_client.post(url, {"channel": "pigeon", "body": "Hi"}).status_code == 400
    unknown = ConversationFactory.create(contact=ContactFactory.create(clubos_id=None))
    response = staff_client.post(
        reverse("inbox:conversation_detail", args=[unknown.pk]), {"channel": "sms", "body": "x"}
    )
    assert response.status_code == 400
    assert not InboxMessage.objects.exists()


def test_unknown_conversation_is_404(staff_client):
    assert staff_client.get(reverse("inbox:conversation_detail", args=[12345])).status_code == 404


def test_context_processor_gives_none_to_members(member_client):
    response = member_client.get(reverse("accounts:directory"))
    assert response.context["inbox_unread"] is None
    assert 'data-badge="inbox"' not in response.content.decode()


# Session, user, the unread badge (a COUNT of my badge entries), the ClubOS sync banner (failed runs in a
# row), the filter counts (one aggregate), the page's rows (contact, account and assignee joined;
# unread-for-me an EXISTS), their labels (one prefetch), the label and source choices of the filter bar.
# Keyset pages: no COUNT.
LIST_PAGE_QUERIES = 9
# A process that has not read the direct-messaging switch in the last second reads it once more.
SWITCH_QUERY = 1


@pytest.mark.parametrize("switch_memoised", [True, False], ids=["switch-memoised", "switch-cold"])
@pytest.mark.parametrize("conversations", [3, 30])
def test_list_page_query_count_is_pinned_and_does_not_grow_with_conversations(
    staff_client, staff, settings, conversations, switch_memoised, django_assert_num_queries
):
    settings.MESSAGING_TOGGLE_CACHE_SECONDS = 60  # a slow machine must not expire the memo mid-test
    staff_unread_count(user=staff)  # a badge is built on its first read; every page after counts it in one query
    clubos_message_sink.ingest(messages=[synced(clubos_id=100 + i, name=f"Person {i}") for i in range(conversations)])
    messaging_enabled_cache_clear()
    if switch_memoised:
        messaging_enabled()  # a running process holds the switch in its memo
    expected = LIST_PAGE_QUERIES + (0 if switch_memoised else SWITCH_QUERY)
    with django_assert_num_queries(expected):
        response = staff_client.get(reverse("inbox:conversation_list"))
    assert response.status_code == 200
    assert response.content.decode().count('class="person-name"') == conversations  # one page (50) holds them all
