"""Thread insights: refreshed (debounced) after new messages, shown on the conversation page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.signals import task_prerun
from django.db import transaction
from django.utils import timezone

from ai_agent import services
from ai_agent.models import ThreadInsight
from tests.ai_agent.conftest import member_texts

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_message_refreshes_the_insight(agent, settings):
    settings.AI_AGENT_INSIGHT_DEBOUNCE_SECONDS = 0  # eager tasks ignore the countdown: refresh now
    message = member_texts("can i book a PT session on friday evening?")

    insight = ThreadInsight.objects.get(conversation_id=message.conversation_id)
    assert insight.label == "appointment_request"
    assert "can i book a PT session" in insight.summary
    assert "Last reply by the AI agent" in insight.summary
    assert insight.next_step.startswith("Answered")
    assert insight.follow_up_on == timezone.localdate() + timedelta(days=3)
    assert insight.last_message_id is not None


def test_a_sensitive_message_relabels_the_conversation_and_asks_for_a_manager_today(agent):
    member_texts("what time does the pool open?", minutes_ago=5)
    message = member_texts("I slipped by the pool and hurt my back, I need to speak to someone")
    services.insight_refresh(conversation_id=message.conversation_id)

    insight = ThreadInsight.objects.get(conversation_id=message.conversation_id)
    assert insight.label == "requires_human_response"
    assert "manager" in insight.next_step
    assert insight.follow_up_on == timezone.localdate()


def test_refreshes_are_debounced_to_one_per_window(agent):
    message = member_texts("do you have lockers?")
    conversation_id = message.conversation_id
    ran: list[str] = []

    def count(sender=None, **kwargs):
        if sender is not None and sender.name == "ai_agent.tasks.refresh_insight":
            ran.append(sender.name)

    task_prerun.connect(count, weak=False)
    try:
        with transaction.atomic():  # a burst: three new messages within one window
            requests = [services.insight_refresh_request(conversation_id=conversation_id) for _ in range(3)]
    finally:
        task_prerun.disconnect(count)

    assert requests == [True, False, False]
    assert len(ran) == 1


def test_the_insight_is_on_the_conversation_page(agent, staff_client):
    message = member_texts("is there parking at the club?")
    services.insight_refresh(conversation_id=message.conversation_id)

    html = staff_client.get(f"/inbox/{message.conversation_id}/").content.decode()

    assert "data-ai-insight" in html
    assert "General inquiry" in html
