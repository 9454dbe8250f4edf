from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db.models import F

from core.db import rows_update
from inbox.models import Conversation, ConversationStatus
from tests.inbox.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def test_rows_update_saves_the_named_fields_of_every_row_in_one_statement(django_assert_num_queries):
    first, second, untouched = ConversationFactory.create_batch(3)
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    first.unread_count, first.last_message_at, first.status = 3, when, ConversationStatus.RESOLVED
    second.unread_count, second.last_message_at, second.snoozed_until = 7, None, when
    second.last_message_preview = "not saved: not a named field"

    with django_assert_num_queries(1):
        sent = rows_update(rows=[first, second], fields=["unread_count", "last_message_at", "status", "snoozed_until"])

    assert sent == 2
    rows = {c.pk: c for c in Conversation.objects.all()}
    assert (rows[first.pk].unread_count, rows[first.pk].last_message_at, rows[first.pk].status) == (
        3,
        when,
        ConversationStatus.RESOLVED,
    )
    assert (rows[second.pk].unread_count, rows[second.pk].last_message_at, rows[second.pk].snoozed_until) == (
        7,
        None,
        when,
    )
    assert rows[second.pk].last_message_preview == ""
    assert rows[untouched.pk].unread_count == 0


def test_rows_update_with_no_rows_sends_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert rows_update(rows=[], fields=["unread_count"]) == 0


def test_rows_update_refuses_expressions_and_the_primary_key():
    conversation = ConversationFactory.create()
    conversation.unread_count = F("unread_count") + 1
    with pytest.raises(ValueError, match="plain values"):
        rows_update(rows=[conversation], fields=["unread_count"])
    with pytest.raises(ValueError, match="non-primary-key"):
        rows_update(rows=[conversation], fields=["id"])
