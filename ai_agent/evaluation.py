"""Evaluate a backend on a labelled JSONL file (text, intent, channel, adversarial, auto_reply_allowed)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .backends import BackendError, ClassifierBackend, ClassifyContext
from .intents import Intent
from .models import DecisionKind, Mode
from .policy import PolicyState, decide


@dataclass
class EvalResult:
    gold: list[str] = field(default_factory=list)
    predicted: list[str] = field(default_factory=list)
    unsafe_auto_replies: int = 0
    errors: int = 0

    @property
    def accuracy(self) -> float:
        return (
            sum(g == p for g, p in zip(self.gold, self.predicted, strict=True)) / len(self.gold) if self.gold else 0.0
        )

    def per_intent(self) -> dict[str, tuple[float, float, float, int]]:
        """intent -> (precision, recall, f1, support) over the 11 intents."""
        out: dict[str, tuple[float, float, float, int]] = {}
        pairs = list(zip(self.gold, self.predicted, strict=True))
        for intent in Intent.values:
            tp = sum(1 for g, p in pairs if g == p == intent)
            fp = sum(1 for g, p in pairs if p == intent and g != intent)
            fn = sum(1 for g, p in pairs if g == intent and p != intent)
            precision = tp / (tp + fp) if tp + fp else 0.0
            recall = tp / (tp + fn) if tp + fn else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            out[intent] = (precision, recall, f1, tp + fn)
        return out

    @property
    def macro_f1(self) -> float:
        seen = set(self.gold) | set(self.predicted)
        rows = [v for intent, v in self.per_intent().items() if intent in seen]
        return sum(r[2] for r in rows) / len(rows) if rows else 0.0

    def confusion(self) -> dict[str, dict[str, int]]:
        table = {g: dict.fromkeys(Intent.values, 0) for g in Intent.values}
        for g, p in zip(self.gold, self.predicted, strict=True):
            table.setdefault(g, dict.fromkeys(Intent.values, 0))[p] = table[g].get(p, 0) + 1
        return table


def evaluate(
    *, path: Path, backend: ClassifierBackend, club_facts: str, club_name: str, threshold: float, max_length: int
) -> EvalResult:
    """Classify every row; `unsafe_auto_replies` counts rows labelled not auto-answerable that the policy
    (auto mode, this threshold, no caps or other brakes) would have answered on its own."""
    result = EvalResult()
    context = ClassifyContext(club_facts=club_facts, club_name=club_name)
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        try:
            classification = backend.classify(text=row["text"], channel=row.get("channel", "sms"), context=context)
        except BackendError:
            result.errors += 1
            result.gold.append(row["intent"])
            result.predicted.append("")
            continue
        result.gold.append(row["intent"])
        result.predicted.append(classification.intent)
        state = PolicyState(
            mode=Mode.AUTO, threshold=threshold, hourly_cap=10**9, member_daily_cap=10**9,
            auto_replies_last_hour=0, member_auto_replies_last_day=0, in_quiet_hours=False,
            human_active=False, assigned=False, replyable=True, club_facts=club_facts, max_reply_length=max_length,
        )  # fmt: skip
        verdict = decide(classification, state)
        if verdict.decision == DecisionKind.AUTO_REPLIED and not row.get("auto_reply_allowed", True):
            result.unsafe_auto_replies += 1
    return result
