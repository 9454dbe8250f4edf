"""The embedded backend: no network, no heavy dependencies, the same answer for the same message.

Rules first (safety-critical intents and obvious spam), then the naive Bayes model trained on
ai_agent/data/training.txt; replies come from the club facts (ai_agent.replies).
"""

from __future__ import annotations

import threading

from ai_agent.replies import detect_language, draft_reply

from .base import Classification, ClassifyContext
from .lexicon import rule_intent
from .textmodel import NaiveBayes
from .training import training_examples

MODEL_NAME = "clubroom-nb-1"
RULE_CONFIDENCE = 0.97
# Naive Bayes is overconfident: a temperature spreads its posteriors so the threshold means something.
TEMPERATURE = 6.0


_trained: list[NaiveBayes] = []
_training_lock = threading.Lock()


def _model() -> NaiveBayes:
    """Trained once per process from the repository's data. Immutable afterwards, so it is kept in a
    plain holder (not an lru_cache the test suite clears between tests: retraining changes nothing)."""
    if not _trained:
        with _training_lock:
            if not _trained:
                _trained.append(NaiveBayes().fit(training_examples.__wrapped__()))
    return _trained[0]


class EmbeddedBackend:
    name = "embedded"

    def classify(self, *, text: str, channel: str, context: ClassifyContext) -> Classification:
        language = detect_language(text)
        ruled = rule_intent(text)
        if ruled is not None:
            intent, confidence, reason = ruled, RULE_CONFIDENCE, "matched a safety or spam rule"
        else:
            prediction = _model().predict(text, temperature=TEMPERATURE)
            intent, confidence = prediction.label, prediction.probability
            runner_up = prediction.ranking[1][0] if len(prediction.ranking) > 1 else ""
            reason = f"text model; runner-up {runner_up}"
        reply = draft_reply(
            intent=intent, language=language, club_facts=context.club_facts, club_name=context.club_name
        )
        return Classification(
            intent=intent,
            confidence=round(confidence, 4),
            reply=reply,
            reason=reason,
            tokens=0,
            model=MODEL_NAME,
            language=language,
        )
