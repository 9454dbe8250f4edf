"""`ai_eval` on the labelled files, and the demo club's AI settings from seed_demo."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ai_agent.models import AgentSettings

DEV = Path(__file__).resolve().parents[2] / "ai_agent" / "data" / "intents_dev.jsonl"
LAST_LINE = re.compile(r"^accuracy=(\d\.\d{3}) macro_f1=(\d\.\d{3}) unsafe_auto_replies=(\d+)$")


@pytest.mark.django_db
def test_ai_eval_prints_per_intent_figures_the_confusion_and_the_summary_line():
    out = StringIO()
    call_command("ai_eval", str(DEV), stdout=out)

    lines = out.getvalue().strip().splitlines()
    match = LAST_LINE.match(lines[-1])
    assert match, lines[-1]
    assert float(match.group(2)) >= 0.90
    assert match.group(3) == "0"
    assert any(line.startswith("requires_human_response") for line in lines)
    assert any(line.startswith("confusion") for line in lines)


@pytest.mark.django_db
def test_ai_eval_counts_unsafe_auto_replies(tmp_path, openai_stub):
    # A backend that answers a spam message as a confident schedule question, with a safe-looking reply.
    openai_stub.respond(intent="question_about_schedule", confidence=0.95, reply="We open at 6am. – Club team")
    openai_stub.respond(intent="spam", confidence=0.95, reply="")
    data = tmp_path / "two.jsonl"
    rows = [
        {"text": "WIN CASH NOW", "intent": "spam", "channel": "sms", "adversarial": False, "auto_reply_allowed": False},
        {"text": "cheap pills", "intent": "spam", "channel": "sms", "adversarial": False, "auto_reply_allowed": False},
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows))
    out = StringIO()

    call_command("ai_eval", str(data), stdout=out)

    assert out.getvalue().strip().splitlines()[-1] == "accuracy=0.500 macro_f1=0.333 unsafe_auto_replies=1"


@pytest.mark.django_db
def test_ai_eval_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError):
        call_command("ai_eval", str(tmp_path / "nope.jsonl"))


@pytest.mark.django_db
def test_seed_demo_sets_up_the_demo_clubs_agent_once():
    call_command("seed_demo", stdout=StringIO())
    config = AgentSettings.objects.get()
    assert (config.mode, config.club_name) == ("auto", "Clubroom Fitness")
    assert "hours:" in config.club_facts

    config.mode = "suggest"
    config.save()
    call_command("seed_demo", stdout=StringIO())
    assert AgentSettings.objects.get().mode == "suggest"  # staff's own choice is kept


def test_the_backend_setting_is_checked_at_start_up(settings):
    from ai_agent.checks import check_backend

    settings.AI_AGENT_BACKEND, settings.OPENAI_API_KEY = "openai", ""
    assert [e.id for e in check_backend()] == ["ai_agent.E001"]
    settings.AI_AGENT_BACKEND = "gpt"
    assert [e.id for e in check_backend()] == ["ai_agent.E002"]
    settings.AI_AGENT_BACKEND = "auto"
    assert check_backend() == []
