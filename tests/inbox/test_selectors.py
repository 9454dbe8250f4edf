import pytest

from inbox.selectors import staff_unread_count
from inbox.services.ingest import clubos_message_sink

from .factories import synced

pytestmark = pytest.mark.django_db


def test_staff_unread_count_is_none_for_members_and_anonymous(member):
    from django.contrib.auth.models import AnonymousUser

    assert staff_unread_count(user=member) is None
    assert staff_unread_count(user=AnonymousUser()) is None


def test_staff_unread_count_counts_conversations_in_one_query(staff, django_assert_num_queries):
    assert staff_unread_count(user=staff) == 0  # the first read builds the badge's entries
    clubos_message_sink.ingest(
        messages=[synced(clubos_id=1, name="A A"), synced(clubos_id=1, name="A A"), synced(clubos_id=2, name="B B")]
    )
    with django_assert_num_queries(1):
        assert staff_unread_count(user=staff) == 2
