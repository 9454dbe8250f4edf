from __future__ import annotations

import pytest

from accounts import demo
from ai_agent.models import AgentSettings
from ai_agent.selectors import DEMO_FACTS
from inbox.models import InboxMessage
from inbox.services.ingest import clubos_message_sink
from tests.inbox.factories import synced

MEMBERS = {m.display_name: m for m in demo.MEMBERS}
# Members with no conversation in the sandbox's seeded inbox.
OLIVIA, NOAH, GRACE = MEMBERS["Olivia Brown"], MEMBERS["Noah Smith"], MEMBERS["Grace Oyelaran"]


@pytest.fixture(autouse=True)
def _no_real_clubos_and_fast_retries(settings):
    """Deliveries of tests without the sandbox go nowhere (a port nothing listens on), and fail fast."""
    settings.CLUBOS_BASE_URL = "http://127.0.0.1:9"
    settings.CLUBOS_CONNECT_TIMEOUT = 0.5
    settings.CLUBOS_SEND_RETRY_BACKOFF = 0.01
    settings.CLUBOS_SYNC_RETRY_BACKOFF = 0.01
    settings.AI_AGENT_BACKEND = "embedded"
    settings.AI_AGENT_INSIGHT_DEBOUNCE_SECONDS = 30


@pytest.fixture(autouse=True)
def _celery_join_flag_restored():
    """Eager tasks queued from several threads at once (the cap races) can leave Celery's process-global
    "joining a result would block" flag set, which would make later tests' `result.get()` raise."""
    from celery._state import _set_task_join_will_block, task_join_will_block  # type: ignore[attr-defined]

    before = task_join_will_block()
    yield
    _set_task_join_will_block(before)


@pytest.fixture
def agent(db) -> AgentSettings:
    """The agent in auto mode with the demo club's facts and no burst wait."""
    config, _ = AgentSettings.objects.get_or_create(pk=1)
    config.mode = "auto"
    config.club_name = "Clubroom Fitness"
    config.club_facts = DEMO_FACTS
    config.burst_wait_seconds = 0
    config.save()
    return config


def member_texts(body: str, *, person=OLIVIA, channel: str = "sms", minutes_ago: int = 1) -> InboxMessage:
    """A member's message arrives the way the ClubOS sync delivers it (the sink, then the signal on commit)."""
    from clubos.types import Channel

    clubos_message_sink.ingest(
        messages=[
            synced(
                body=body,
                clubos_id=person.clubos_id,
                name=person.display_name,
                email=person.email,
                channel=Channel.EMAIL if channel == "email" else Channel.SMS,
                minutes_ago=minutes_ago,
            )
        ]
    )
    return InboxMessage.objects.filter(direction="inbound").latest("pk")
