"""The embedded classifier's training data: ai_agent/data/training.txt, templates expanded deterministically."""

from __future__ import annotations

import random
import re
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
TRAINING_FILE = DATA_DIR / "training.txt"
EXPANSIONS_PER_TEMPLATE = 4
_SLOT = re.compile(r"\{(\w+)\}")


def _parse(text: str) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    slots: dict[str, list[str]] = {}
    examples: list[tuple[str, str]] = []
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("# "):
            continue
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        if section == "slots":
            name, _, values = line.partition(":")
            slots[name.strip()] = [v.strip() for v in values.split("|") if v.strip()]
        elif section:
            examples.append((section, line))
    return slots, examples


def _expand(template: str, slots: dict[str, list[str]], rng: random.Random) -> list[str]:
    if not _SLOT.search(template):
        return [template]
    out: list[str] = []
    for _ in range(EXPANSIONS_PER_TEMPLATE):
        out.append(_SLOT.sub(lambda m: rng.choice(slots[m.group(1)]), template))
    return out


@cache
def training_examples(path: Path = TRAINING_FILE) -> tuple[tuple[str, str], ...]:
    """(intent, text) pairs; the same file always gives the same pairs (a fixed seed)."""
    slots, examples = _parse(path.read_text(encoding="utf-8"))
    rng = random.Random(20261130)  # noqa: S311 (not cryptographic: reproducible variety)
    pairs: list[tuple[str, str]] = []
    for intent, template in examples:
        pairs.extend((intent, text) for text in _expand(template, slots, rng))
    return tuple(pairs)
