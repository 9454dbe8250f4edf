"""Writes of the AI agent: accept new inbound messages, decide on a burst, act on suggestions, refresh insights.

Flow: inbox announces new inbound messages (inbox.signals.inbound_messages_received) → a pending
Decision per message and, on commit, one task per batch that a worker fans out into one task per
conversation after the burst wait → the task classifies the burst once → `decision_finalize` re-checks
every guardrail under the settings row lock and either queues the reply through inbox's one outbound
path (author AI, key from the decision), leaves a suggestion for staff, or skips, always saying why.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from celery import current_app
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from inbox.exceptions import ReplyNotAllowed
from inbox.models import AuthorKind, Channel, Conversation, Direction, InboxMessage
from inbox.services.outbound import outbound_message_queue

from . import app_settings, insights
from .backends import BackendError, Classification, ClassifyContext, get_backend
from .models import AgentSettings, Decision, DecisionKind, Mode, Reason, SuggestionOutcome, ThreadInsight
from .policy import PolicyState, Verdict, decide, quiet_now
from .selectors import agent_settings_get

logger = logging.getLogger(__name__)

# Queued by name (tasks import services, never the other way round); AiAgentConfig.ready registers them.
PROCESS_TASK = "ai_agent.tasks.process_burst"
INSIGHT_TASK = "ai_agent.tasks.refresh_insight"
QUEUE_TASK = "ai_agent.tasks.queue_bursts"
CLAIM_LEASE = timedelta(minutes=5)
BURST_MAX_MESSAGES = 5
CONTEXT_MESSAGES = 6


class SuggestionNotOpen(Exception):
    """The suggestion was already sent or discarded (or there is none)."""


# --- Accepting new inbound messages ----------------------------------------------------------------------


@transaction.atomic
def inbound_messages_accept(*, message_ids: Sequence[int]) -> dict[int, list[int]]:
    """One pending Decision per new inbound member message; once this commits, a task per conversation
    (queued by one QUEUE_TASK for them all).

    Returns {conversation_id: [message ids]}. Calling it again for the same ids creates nothing and
    queues nothing new for messages already decided.
    """
    messages = list(
        InboxMessage.objects.filter(
            pk__in=list(message_ids), direction=Direction.INBOUND, author_kind=AuthorKind.MEMBER
        ).values_list("pk", "conversation_id")
    )
    Decision.objects.bulk_create(
        [Decision(message_id=pk, conversation_id=conversation_id) for pk, conversation_id in messages],
        ignore_conflicts=True,  # the unique constraint: a redelivered signal changes nothing
    )
    pending = set(
        Decision.objects.filter(message_id__in=[pk for pk, _ in messages], decision=DecisionKind.PENDING).values_list(
            "message_id", flat=True
        )
    )
    bursts: dict[int, list[int]] = defaultdict(list)
    for pk, conversation_id in messages:
        if pk in pending:
            bursts[conversation_id].append(pk)
    if bursts:
        wait = agent_settings_get().burst_wait_seconds
        # Insights after their bursts' tasks, so an insight normally sees its decision too.
        insights = [c for c in bursts if _insight_due(conversation_id=c)]
        payload = {"bursts": [[c, ids] for c, ids in bursts.items()], "insights": insights, "wait": wait}
        # One task for the whole batch: a worker fans it out (a sync batch brings hundreds of conversations,
        # and publishing each burst's task costs the sync ~0.5 ms of Celery).
        transaction.on_commit(lambda: current_app.signature(QUEUE_TASK, kwargs=payload).apply_async())
    return dict(bursts)


def bursts_queue(*, bursts: Sequence[tuple[int, list[int]]], insights: Sequence[int], wait: int) -> int:
    """A batch's tasks, one per conversation (QUEUE_TASK, in a worker): its burst after the burst wait,
    then the insights due. Published over one producer. Returns how many were queued."""
    delay = app_settings.insight_debounce_seconds()
    with current_app.producer_or_acquire() as producer:
        for conversation_id, ids in bursts:
            current_app.signature(
                PROCESS_TASK, kwargs={"conversation_id": conversation_id, "message_ids": list(ids)}
            ).apply_async(countdown=wait, producer=producer)
        for conversation_id in insights:
            current_app.signature(INSIGHT_TASK, kwargs={"conversation_id": conversation_id}).apply_async(
                countdown=delay, producer=producer
            )
    return len(bursts) + len(insights)


# --- Deciding on a burst -----------------------------------------------------------------------------------


def _burst_text(target: Decision) -> tuple[str, list[int]]:
    """The member's burst, oldest first: the target message and those merged into it (at most 5)."""
    rows = list(
        InboxMessage.objects.filter(Q(pk=target.message_id) | Q(ai_decisions__merged_into=target)).order_by(
            "-sent_at", "-pk"
        )[:BURST_MAX_MESSAGES]
    )[::-1]
    return "\n".join(m.body.strip() for m in rows), [m.pk for m in rows]


def _context(config: AgentSettings, conversation: Conversation, exclude: Sequence[int]) -> ClassifyContext:
    recent = list(
        InboxMessage.objects.filter(conversation=conversation)
        .exclude(pk__in=list(exclude))
        .order_by("-sent_at", "-pk")[:CONTEXT_MESSAGES]
    )[::-1]
    contact = conversation.contact
    return ClassifyContext(
        club_facts=config.club_facts,
        club_name=config.club_name,
        member_first_name=(contact.display_name or "").split(" ")[0],
        recent_messages=tuple(
            f"{'member' if m.direction == Direction.INBOUND else 'club'}: {m.body[:500]}" for m in recent
        ),
    )


def burst_process(*, conversation_id: int, message_ids: Sequence[int]) -> Decision | None:
    """Decide once for a member's burst: the newest message gets the decision, earlier ones are merged."""
    pending = list(
        Decision.objects.filter(message_id__in=list(message_ids), decision=DecisionKind.PENDING)
        .select_related("message")
        .order_by("message__sent_at", "message_id")
    )
    if not pending:
        return None
    newest_inbound = (
        InboxMessage.objects.filter(conversation_id=conversation_id, direction=Direction.INBOUND)
        .order_by("-sent_at", "-pk")
        .first()
    )
    target = pending[-1]
    if (
        newest_inbound is not None
        and newest_inbound.pk != target.message_id
        and (
            newest_inbound.sent_at > target.message.sent_at and Decision.objects.filter(message=newest_inbound).exists()
        )
    ):
        # A later message of the same burst has its own task: it answers for these too.
        _merge(pending, into=Decision.objects.get(message=newest_inbound))
        return None
    _merge(pending[:-1], into=target)

    now = timezone.now()
    claimed = Decision.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE), pk=target.pk, decision=DecisionKind.PENDING
    ).update(claimed_at=now)
    if not claimed:
        return None  # another worker is on it (or finished it)

    config = agent_settings_get()
    if config.mode == Mode.OFF:
        return _record(target.pk, verdict=Verdict(DecisionKind.SKIPPED, Reason.DISABLED))

    conversation = Conversation.objects.select_related("contact__user").get(pk=conversation_id)
    text, burst_ids = _burst_text(target)
    context = _context(config, conversation, burst_ids)
    backend = get_backend()
    started = time.monotonic()
    try:
        classification = backend.classify(text=text, channel=target.message.channel, context=context)
    except BackendError as exc:
        latency = int((time.monotonic() - started) * 1000)
        return _record(
            target.pk, verdict=Verdict(DecisionKind.SKIPPED, Reason.BACKEND_ERROR), backend=backend.name,
            latency_ms=latency, error=str(exc),
        )  # fmt: skip
    except Exception as exc:  # a bug or an unexpected library error: the message still stays for a human
        logger.exception("AI backend %s failed on message %s", backend.name, target.message_id)
        latency = int((time.monotonic() - started) * 1000)
        return _record(
            target.pk, verdict=Verdict(DecisionKind.SKIPPED, Reason.BACKEND_ERROR), backend=backend.name,
            latency_ms=latency, error=f"unexpected: {type(exc).__name__}: {exc}",
        )  # fmt: skip
    latency = int((time.monotonic() - started) * 1000)
    return decision_finalize(
        decision_id=target.pk, classification=classification, backend_name=backend.name, latency_ms=latency
    )


def _merge(decisions: Sequence[Decision], *, into: Decision) -> None:
    if not decisions:
        return
    Decision.objects.filter(pk__in=[d.pk for d in decisions], decision=DecisionKind.PENDING).update(
        decision=DecisionKind.SKIPPED,
        reason=Reason.MERGED,
        merged_into=into,
        detail=f"answered with message #{into.message_id}",
        decided_at=timezone.now(),
    )


def _record(decision_id: int, *, verdict: Verdict, **fields: object) -> Decision:
    Decision.objects.filter(pk=decision_id, decision=DecisionKind.PENDING).update(
        decision=verdict.decision,
        reason=verdict.reason,
        detail=verdict.detail[:300],
        decided_at=timezone.now(),
        **fields,
    )
    return Decision.objects.get(pk=decision_id)


def _human_active(conversation: Conversation, message: InboxMessage) -> bool:
    """A staff reply after the member's message, or recently (within AI_AGENT_HUMAN_ACTIVE_HOURS)."""
    window_start = timezone.now() - timedelta(hours=app_settings.human_active_hours())
    since = min(window_start, message.sent_at)
    resolved_at = getattr(conversation, "resolved_at", None)  # a later resolution hands it back to the agent
    staff = InboxMessage.objects.filter(
        conversation=conversation, direction=Direction.OUTBOUND, author_kind=AuthorKind.STAFF
    )
    if staff.filter(sent_at__gte=message.sent_at).exists():
        return True
    if resolved_at is not None:
        since = max(since, resolved_at)
    return staff.filter(sent_at__gte=since).exists()


def _policy_state(config: AgentSettings, conversation: Conversation, message: InboxMessage) -> PolicyState:
    now = timezone.now()
    contact = conversation.contact
    replyable = contact.clubos_id is not None and (message.channel == Channel.EMAIL or contact.can_text)
    return PolicyState(
        mode=config.mode,
        threshold=config.confidence_threshold,
        hourly_cap=config.hourly_cap,
        member_daily_cap=config.member_daily_cap,
        auto_replies_last_hour=Decision.objects.auto_replied_since(now - timedelta(hours=1)).count(),
        member_auto_replies_last_day=Decision.objects.auto_replied_since(now - timedelta(days=1))
        .filter(conversation__contact_id=contact.pk)
        .count(),
        in_quiet_hours=quiet_now(now=now, start=config.quiet_hours_start, end=config.quiet_hours_end),
        human_active=_human_active(conversation, message),
        assigned=conversation.assignee_id is not None,
        replyable=replyable,
        club_facts=config.club_facts,
        max_reply_length=app_settings.max_reply_length(),
        message_age_minutes=max(0.0, (now - message.sent_at).total_seconds() / 60),
        max_message_age_minutes=app_settings.max_message_age_minutes(),
    )


def _reply_subject(config: AgentSettings, message: InboxMessage) -> str:
    if message.channel != Channel.EMAIL:
        return ""
    subject = message.subject.strip()
    if subject:
        return subject if subject.lower().startswith("re:") else f"Re: {subject}"[:200]
    return f"Your message to {config.club_name}"[:200]


def decision_finalize(
    *, decision_id: int, classification: Classification, backend_name: str, latency_ms: int
) -> Decision:
    """Re-check every guardrail at send time and act, serialised club-wide by the settings row lock.

    Holding the lock while counting and queueing makes the caps exact under concurrent workers; the
    reply's idempotency key (`ai-decision-<id>`) means a retried task never texts twice.
    """
    with transaction.atomic():
        agent_settings_get()  # make sure the row exists before locking it
        config = AgentSettings.objects.select_for_update().get(pk=1)
        decision = Decision.objects.select_for_update().select_related("message").get(pk=decision_id)
        if decision.decision != DecisionKind.PENDING:
            return decision
        conversation = Conversation.objects.select_related("contact").get(pk=decision.conversation_id)
        verdict = decide(classification, _policy_state(config, conversation, decision.message))
        outbound: InboxMessage | None = None
        if verdict.decision == DecisionKind.AUTO_REPLIED:
            try:
                outbound = outbound_message_queue(
                    conversation=conversation,
                    channel=decision.message.channel,
                    body=classification.reply,
                    subject=_reply_subject(config, decision.message),
                    author_kind=AuthorKind.AI,
                    idempotency_key=f"ai-decision-{decision.pk}",
                )
            except ReplyNotAllowed as exc:
                verdict = Verdict(DecisionKind.SUGGESTED, Reason.NOT_REPLYABLE, str(exc))
        decision.backend = backend_name
        decision.model = classification.model[:100]
        decision.intent = classification.intent
        decision.confidence = classification.confidence
        decision.language = classification.language[:8]
        decision.reply = classification.reply
        decision.tokens = classification.tokens
        decision.latency_ms = latency_ms
        decision.decision = verdict.decision
        decision.reason = verdict.reason
        decision.detail = (verdict.detail or classification.reason)[:300]
        decision.outbound_message = outbound
        decision.decided_at = timezone.now()
        decision.save()
        return decision


# --- Suggestions: staff send, edit or discard in one click ---------------------------------------------


def _open_suggestion(decision_id: int) -> Decision:
    decision = (
        Decision.objects.select_for_update()
        .select_related("message", "conversation__contact")
        .filter(pk=decision_id)
        .first()
    )
    if decision is None or not decision.awaits_staff:
        raise SuggestionNotOpen("This suggestion was already handled.")
    return decision


@transaction.atomic
def suggestion_send(*, decision_id: int, user: User, body: str) -> InboxMessage:
    """Staff send the draft (as is, or edited): through the one outbound path, authored by them."""
    if not user.is_inbox_staff:
        raise PermissionDenied("Only club staff can send suggestions.")
    decision = _open_suggestion(decision_id)
    body = body.strip()
    config = agent_settings_get()
    message = outbound_message_queue(
        conversation=decision.conversation,
        channel=decision.message.channel,
        body=body,
        subject=_reply_subject(config, decision.message),
        author_kind=AuthorKind.STAFF,
        author=user,
        idempotency_key=f"ai-suggestion-{decision.pk}",
    )
    same = " ".join(body.split()) == " ".join(decision.reply.split())
    decision.suggestion_outcome = SuggestionOutcome.SENT if same else SuggestionOutcome.EDITED
    decision.outbound_message = message
    decision.outcome_by = user
    decision.outcome_at = timezone.now()
    decision.save(update_fields=["suggestion_outcome", "outbound_message", "outcome_by", "outcome_at"])
    return message


@transaction.atomic
def suggestion_discard(*, decision_id: int, user: User) -> Decision:
    if not user.is_inbox_staff:
        raise PermissionDenied("Only club staff can discard suggestions.")
    decision = _open_suggestion(decision_id)
    decision.suggestion_outcome = SuggestionOutcome.DISCARDED
    decision.outcome_by = user
    decision.outcome_at = timezone.now()
    decision.save(update_fields=["suggestion_outcome", "outcome_by", "outcome_at"])
    return decision


# --- Insights ------------------------------------------------------------------------------------------


def _insight_due(*, conversation_id: int) -> bool:
    """True once per debounce window per conversation: one refresh per burst."""
    delay = app_settings.insight_debounce_seconds()
    return bool(cache.add(f"ai_agent:insight:{conversation_id}", 1, timeout=max(1, int(delay))))


def insight_refresh_request(*, conversation_id: int) -> bool:
    """Refresh the conversation's insight once the debounce window has passed (one refresh per burst)."""
    if not _insight_due(conversation_id=conversation_id):
        return False
    delay = app_settings.insight_debounce_seconds()
    transaction.on_commit(
        lambda: current_app.signature(INSIGHT_TASK, kwargs={"conversation_id": conversation_id}).apply_async(
            countdown=delay
        )
    )
    return True


@transaction.atomic
def insight_refresh(*, conversation_id: int) -> ThreadInsight | None:
    cache.delete(f"ai_agent:insight:{conversation_id}")
    conversation = Conversation.objects.select_related("contact__user").filter(pk=conversation_id).first()
    if conversation is None:
        return None
    insight, _ = ThreadInsight.objects.select_for_update().get_or_create(conversation=conversation)
    data = insights.insight_compute(conversation=conversation, today=timezone.localdate())
    if (
        data.last_message_id == insight.last_message_id
        and insight.refreshed_at is not None
        and data.label == insight.label
    ):
        return insight
    insight.summary = data.summary
    insight.label = data.label
    insight.next_step = data.next_step
    insight.follow_up_on = data.follow_up_on
    insight.messages_seen = data.messages_seen
    insight.last_message_id = data.last_message_id
    insight.refreshed_at = timezone.now()
    insight.save()
    return insight
