from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ai_agent import app_settings
from ai_agent.backends import get_backend
from ai_agent.evaluation import evaluate
from ai_agent.intents import Intent
from ai_agent.selectors import agent_settings_get

_SHORT = {
    "question_about_membership": "membership", "question_about_training": "training",
    "question_about_billing": "billing", "question_about_schedule": "schedule",
    "appointment_request": "appt_req", "appointment_cancellation": "appt_cxl", "complaint": "complaint",
    "praise": "praise", "general_inquiry": "general", "spam": "spam", "requires_human_response": "human",
}  # fmt: skip


class Command(BaseCommand):
    help = (
        "Run the configured AI backend over a labelled JSONL file; print per-intent precision/recall and the confusion."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        config = agent_settings_get()
        backend = get_backend()
        result = evaluate(
            path=path, backend=backend, club_facts=config.club_facts, club_name=config.club_name,
            threshold=config.confidence_threshold, max_length=app_settings.max_reply_length(),
        )  # fmt: skip
        if not result.gold:
            raise CommandError("The file has no rows.")
        out = self.stdout.write
        out(f"backend={backend.name} rows={len(result.gold)} errors={result.errors}")
        out(f"{'intent':<28}{'precision':>10}{'recall':>8}{'f1':>7}{'n':>5}")
        for intent, (precision, recall, f1, support) in result.per_intent().items():
            out(f"{intent:<28}{precision:>10.3f}{recall:>8.3f}{f1:>7.3f}{support:>5}")
        out("confusion (rows: expected, columns: predicted)")
        out(" " * 12 + "".join(f"{_SHORT[i][:9]:>10}" for i in Intent.values))
        for gold, row in result.confusion().items():
            out(f"{_SHORT.get(gold, gold)[:11]:<12}" + "".join(f"{row.get(i, 0):>10}" for i in Intent.values))
        summary = f"accuracy={result.accuracy:.3f} macro_f1={result.macro_f1:.3f}"
        out(f"{summary} unsafe_auto_replies={result.unsafe_auto_replies}")
