"""Query counts are pinned and do not grow with the number of threads or messages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from messaging import selectors, services
from tests.messaging.factories import make_member

pytestmark = pytest.mark.django_db

# Session, user, one keyset page of rows with the nav's unread sum (no count, no OFFSET; the switch is memoised).
THREAD_LIST_QUERIES = 3
# Session, user, the participant with the thread, the other member, the block check, both members'
# read-receipt settings, the other side's read pointer, the viewer's messaging suspension (the composer
# or the notice) and the nav's unread sum; the messages.
THREAD_DETAIL_QUERIES = 4
# Session + user (force_login), the page of rows (cursor pagination needs no count).
THREAD_API_QUERIES = 3


def _threads(member, count):
    for n in range(count):
        other = make_member()
        thread, _ = services.thread_start(initiator=member, recipient=other)
        services.message_send(sender=other, thread_id=thread.pk, body=f"hello {n}")
        services.message_send(sender=member, thread_id=thread.pk, body=f"reply {n}")
        services.message_send(sender=other, thread_id=thread.pk, body=f"again {n}")
    return thread


@pytest.fixture
def warm_switch(messaging_on, settings):
    settings.MESSAGING_RATE_LIMIT_PER_MINUTE = 10_000  # building data, not testing the limit
    # A running process holds the switch in its memo; building 30 threads on a busy machine can
    # outlast the default second, so the memo is kept for the whole test.
    settings.MESSAGING_TOGGLE_CACHE_SECONDS = 3600
    selectors.messaging_enabled()


@pytest.mark.parametrize("count", [3, 30])
def test_thread_list_page_queries_are_constant(member_client, member, warm_switch, count, django_assert_num_queries):
    _threads(member, count)
    with django_assert_num_queries(THREAD_LIST_QUERIES):
        response = member_client.get(reverse("messaging:thread_list"))
    assert len(response.context["page"].object_list) == min(count, 25)


@pytest.mark.parametrize("count", [3, 30])
def test_every_thread_list_page_costs_the_same(member_client, member, warm_switch, count, settings):
    """Walking to the last page and back: each page is one query of rows, whatever its depth."""
    settings.MESSAGING_THREADS_PER_PAGE = 2
    _threads(member, count)
    seen: list[int] = []
    url = reverse("messaging:thread_list")
    response = member_client.get(url)
    while True:
        page = response.context["page"]
        seen += [row.thread_id for row in page.object_list]
        if not page.older:
            break
        with CaptureQueriesContext(connection) as queries:
            response = member_client.get(url, {"older": page.older})
        assert len(queries) == THREAD_LIST_QUERIES
        assert not any("OFFSET" in q["sql"].upper() or "COUNT(" in q["sql"].upper() for q in queries)
    assert len(seen) == len(set(seen)) == count
    # And back up to the top through the "newer" links, the same rows in the same order.
    back: list[int] = []
    while True:
        page = response.context["page"]
        back = [row.thread_id for row in page.object_list] + back
        if not page.newer:
            break
        with CaptureQueriesContext(connection) as queries:
            response = member_client.get(url, {"newer": page.newer})
        assert len(queries) == THREAD_LIST_QUERIES
    assert back == seen
    assert response.context["page"].is_first


@pytest.mark.parametrize("count", [3, 30])
def test_thread_detail_queries_are_constant(member_client, member, warm_switch, count, django_assert_num_queries):
    thread = _threads(member, count)
    for n in range(count):
        services.message_send(sender=member, thread_id=thread.pk, body=f"more {n}")
    member_client.get(reverse("messaging:thread_detail", args=[thread.pk]))  # marks it read
    with django_assert_num_queries(THREAD_DETAIL_QUERIES):
        response = member_client.get(reverse("messaging:thread_detail", args=[thread.pk]))
    assert len(response.context["thread_messages"]) == 3 + count


@pytest.mark.parametrize("count", [3, 30])
def test_thread_list_api_queries_are_constant(member, warm_switch, count, django_assert_num_queries):
    _threads(member, count)
    client = APIClient()
    client.force_login(member)
    with django_assert_num_queries(THREAD_API_QUERIES):
        response = client.get("/api/v1/messaging/threads/")
    assert len(response.json()["results"]) == min(count, 25)


# Session + user, the participant check, the page of messages with their senders.
MESSAGE_API_QUERIES = 4
# Session + user, the blocks with the blocked members.
BLOCK_API_QUERIES = 3


@pytest.mark.parametrize("count", [3, 30])
def test_message_list_api_queries_are_constant(member, warm_switch, count, django_assert_num_queries):
    thread = _threads(member, 1)
    for n in range(count):
        services.message_send(sender=member, thread_id=thread.pk, body=f"more {n}")
    client = APIClient()
    client.force_login(member)
    with django_assert_num_queries(MESSAGE_API_QUERIES):
        response = client.get(f"/api/v1/messaging/threads/{thread.pk}/messages/")
    assert len(response.json()["results"]) == 3 + count


@pytest.mark.parametrize("count", [3, 30])
def test_block_list_api_queries_are_constant(member, warm_switch, count, django_assert_num_queries):
    for _ in range(count):
        services.block_create(blocker=member, blocked=make_member())
    client = APIClient()
    client.force_login(member)
    with django_assert_num_queries(BLOCK_API_QUERIES):
        response = client.get("/api/v1/messaging/blocks/")
    assert len(response.json()) == count


# Session + user; the participant with the other member, a block either way and a suspension in force
# (one read); the thread lock; the message; the thread's last message; the recipient's counter; the
# sender's read pointer; the savepoint around it (inside the test's transaction).
SEND_API_QUERIES = 10


@pytest.mark.parametrize("count", [3, 30])
def test_sending_over_the_api_costs_the_same_however_long_the_thread(
    member, warm_switch, count, django_assert_num_queries
):
    thread = _threads(member, 1)
    for n in range(count):
        services.message_send(sender=member, thread_id=thread.pk, body=f"more {n}")
    client = APIClient()
    client.force_login(member)
    with django_assert_num_queries(SEND_API_QUERIES):
        response = client.post(f"/api/v1/messaging/threads/{thread.pk}/messages/", {"body": "hi"}, format="json")
    assert response.status_code == 201, response.content
