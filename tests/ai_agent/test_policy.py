"""The guardrails as pure functions: every reason `decide` gives, and the reply safety check."""

from __future__ import annotations

from dataclasses import replace
from datetime import time

import pytest

from ai_agent.backends import Classification
from ai_agent.policy import PolicyState, decide, in_quiet_hours, reply_problems

FACTS = "hours: 6am-10pm\nmembership: Monthly $49\ngeneral: call (312) 555-0100 or see clubroomfit.com"
OK = Classification(intent="question_about_schedule", confidence=0.9, reply="We open at 6am. – Club team", reason="")
STATE = PolicyState(
    mode="auto", threshold=0.7, hourly_cap=20, member_daily_cap=3, auto_replies_last_hour=0,
    member_auto_replies_last_day=0, in_quiet_hours=False, human_active=False, assigned=False, replyable=True,
    club_facts=FACTS, max_reply_length=480,
)  # fmt: skip


def test_within_every_guardrail_it_auto_replies():
    assert (decide(OK, STATE).decision, decide(OK, STATE).reason) == ("auto_replied", "auto")


@pytest.mark.parametrize(
    ("classification", "state", "expected"),
    [
        (OK, replace(STATE, mode="off"), ("skipped", "disabled")),
        (replace(OK, intent="complaint"), STATE, ("skipped", "human_only_intent")),
        (replace(OK, intent="spam"), STATE, ("skipped", "human_only_intent")),
        (replace(OK, intent="requires_human_response"), STATE, ("skipped", "human_only_intent")),
        (replace(OK, reply=""), STATE, ("skipped", "no_reply")),
        (replace(OK, reply="Get 50% off today! – Club team"), STATE, ("skipped", "unsafe_reply")),
        (OK, replace(STATE, mode="suggest"), ("suggested", "suggest_mode")),
        (replace(OK, confidence=0.69), STATE, ("suggested", "below_threshold")),
        (OK, replace(STATE, assigned=True), ("suggested", "assigned")),
        (OK, replace(STATE, human_active=True), ("suggested", "human_active")),
        (OK, replace(STATE, replyable=False), ("suggested", "not_replyable")),
        (OK, replace(STATE, in_quiet_hours=True), ("suggested", "quiet_hours")),
        (OK, replace(STATE, message_age_minutes=61), ("suggested", "stale")),
        (OK, replace(STATE, member_auto_replies_last_day=3), ("suggested", "member_rate_limited")),
        (OK, replace(STATE, auto_replies_last_hour=20), ("suggested", "rate_limited")),
    ],
)
def test_each_brake_has_its_reason(classification, state, expected):
    verdict = decide(classification, state)
    assert (verdict.decision, verdict.reason) == expected


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("Book at https://evil.example.com/pay – Club team", "link"),
        ("See gym-deals.shop for more – Club team", "link"),
        ("Call us on +1 (800) 555-0199 – Club team", "phone number"),
        ("The annual plan is $399 – Club team", "price"),
        ("We'll refund you in full – Club team", "refund"),
        ("You get a free session on us – Club team", "refund, discount"),
        ("We can give you a 20% discount – Club team", "price"),
        ("Te devolvemos el dinero – Equipo", "refund"),
        ("I'm a real person, not a bot – Sam", "person"),
        ("The door code is 4512 – Club team", "password or code"),
        ("x" * 500, "longer than"),
    ],
)
def test_unsafe_replies_are_caught(reply, problem):
    problems = reply_problems(reply, club_facts=FACTS, max_length=480)
    assert any(problem in p for p in problems), problems


def test_links_phones_and_prices_from_the_facts_are_allowed():
    reply = "Monthly is $49. Call (312) 555-0100 or see clubroomfit.com – Club team"
    assert reply_problems(reply, club_facts=FACTS, max_length=480) == []


@pytest.mark.parametrize(
    ("now", "start", "end", "quiet"),
    [
        (time(23, 30), time(22, 0), time(7, 0), True),
        (time(3, 0), time(22, 0), time(7, 0), True),
        (time(7, 0), time(22, 0), time(7, 0), False),
        (time(12, 0), time(12, 0), time(14, 0), True),
        (time(15, 0), time(12, 0), time(14, 0), False),
        (time(12, 0), None, None, False),
    ],
)
def test_quiet_hours_may_wrap_past_midnight(now, start, end, quiet):
    assert in_quiet_hours(now_local=now, start=start, end=end) is quiet
