"""Celery tasks of the AI agent: thin wrappers over services (ids in, JSON out)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name=services.PROCESS_TASK, acks_late=True)
def process_burst(conversation_id: int, message_ids: list[int]) -> str:
    """Classify and decide for a member's burst. Never retried: backend retries live in the backend,
    and a redelivered task finds the decision already made (one per message)."""
    decision = services.burst_process(conversation_id=conversation_id, message_ids=message_ids)
    return decision.decision if decision is not None else "nothing to do"


@shared_task(name=services.QUEUE_TASK, acks_late=True)
def queue_bursts(bursts: list[list], insights: list[int], wait: int) -> int:  # type: ignore[type-arg]
    """Fan a batch's accepted messages out into their conversations' tasks (redelivery is harmless:
    a burst task finds its decisions made)."""
    return services.bursts_queue(bursts=[(c, ids) for c, ids in bursts], insights=insights, wait=wait)


@shared_task(name=services.INSIGHT_TASK, acks_late=True)
def refresh_insight(conversation_id: int) -> str:
    insight = services.insight_refresh(conversation_id=conversation_id)
    return "refreshed" if insight is not None else "missing"
