"""Query counts of the staff inbox pages are pinned and do not grow with conversations or messages."""

import pytest
from django.urls import reverse

from inbox.selectors import staff_unread_count
from inbox.services import actions
from messaging import selectors as messaging_selectors
from tests.accounts.factories import StaffFactory
from tests.inbox.factories import ContactFactory, ConversationFactory, InboxMessageFactory, LabelFactory

pytestmark = pytest.mark.django_db

# Session, user, the nav's inbox badge (one COUNT of my badge entries), the ClubOS sync banner (one row:
# failed runs in a row), the filter counts (one aggregate), the page of rows (contacts, linked users and
# assignees joined in, unread-for-me an EXISTS), their labels (one prefetch), the filter bar's labels and
# sources.
LIST_QUERIES = 9
# Session, user, the conversation (contact, linked user and assignee joined, and my read pointer: already
# read, no write), the badge, the sync banner; the timeline: messages with their authors, notes with
# their authors, the notes' mentions, the audit events with their actors; the labels (each marked on
# or off), the staff to assign to, the member's other conversations, the saved replies, and two for
# the registered panels (the AI agent's recent decisions and insight).
DETAIL_QUERIES = 15


@pytest.fixture(autouse=True)
def _warm_messaging_switch(settings):
    """The nav asks whether direct messaging is on; a running process holds that in its memo."""
    settings.MESSAGING_TOGGLE_CACHE_SECONDS = 3600
    messaging_selectors.messaging_enabled_cache_clear()
    messaging_selectors.messaging_enabled()
    yield
    messaging_selectors.messaging_enabled_cache_clear()


def _conversations(count: int) -> None:
    for n in range(count):
        conversation = ConversationFactory.create(contact=ContactFactory.create(clubos_id=70_000 + n))
        InboxMessageFactory.create(conversation=conversation, clubos_message_id=80_000 + n)


@pytest.mark.parametrize("count", [3, 30])
def test_conversation_list_queries_are_constant(staff_client, staff, count, django_assert_num_queries):
    staff_unread_count(user=staff)  # a badge is built on its first read; every page after counts it in one query
    _conversations(count)
    with django_assert_num_queries(LIST_QUERIES):
        response = staff_client.get(reverse("inbox:conversation_list"))
    assert len(response.context["rows"]) == count


@pytest.mark.parametrize("count", [3, 30])
def test_conversation_page_queries_are_constant(staff_client, staff, count, django_assert_num_queries):
    conversation = ConversationFactory.create()
    for n in range(count):
        InboxMessageFactory.create(conversation=conversation, clubos_message_id=90_000 + n)
    for n in range(count):  # staff replies: each shows its author's name
        InboxMessageFactory.create(
            conversation=conversation, direction="outbound", author_kind="staff", author=staff,
            clubos_message_id=None, idempotency_key=f"q-{n}",
        )  # fmt: skip
    colleague = StaffFactory.create(username=f"alex{count}")
    for n in range(count):  # notes mentioning a colleague, and audit events by staff
        actions.note_add(conversation=conversation, author=staff, body=f"@{colleague.username} see {n}")
        actions.conversation_priority_set(conversation=conversation, actor=staff, priority=["high", "low"][n % 2])
        LabelFactory.create(name=f"label {n}")
    url = reverse("inbox:conversation_detail", args=[conversation.pk])
    staff_client.get(url)  # reads it
    with django_assert_num_queries(DETAIL_QUERIES):
        response = staff_client.get(url)
    kinds = [item.kind for item in response.context["timeline"]]
    assert (kinds.count("message"), kinds.count("note"), kinds.count("event")) == (2 * count, count, count)
    assert len(response.context["labels"]) == count
