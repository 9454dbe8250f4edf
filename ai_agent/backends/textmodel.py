"""A small text classifier in pure Python: word and character n-grams, multinomial naive Bayes.

Deterministic: the same training pairs always give the same model. No numpy, no downloads.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .lexicon import lexicon_features
from .text import STOPWORDS, WORD, normalize


def features(text: str) -> list[str]:
    normalized = normalize(text)
    words = WORD.findall(normalized)
    feats = [f"w:{w}" for w in words if w not in STOPWORDS]
    feats += [f"b:{a}_{b}" for a, b in itertools.pairwise(words)]
    for w in words:
        if w.startswith("_") or len(w) < 4:
            continue
        padded = f"<{w}>"
        feats += [f"c:{padded[i : i + 4]}" for i in range(len(padded) - 3)]
    feats += lexicon_features(normalized)
    if text.rstrip().endswith("?") or "¿" in text:
        feats.append("shape:question")
    if len(words) > 30:
        feats.append("shape:long")
    return feats


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float
    ranking: tuple[tuple[str, float], ...]


class NaiveBayes:
    """Multinomial NB on binary features; char n-grams weighted down so words lead."""

    def __init__(self, *, alpha: float = 0.3, char_weight: float = 0.35, lexicon_weight: float = 2.0) -> None:
        self.alpha = alpha
        self.char_weight = char_weight
        self.lexicon_weight = lexicon_weight
        self.labels: list[str] = []
        self.log_prior: dict[str, float] = {}
        self.log_likelihood: dict[str, dict[str, float]] = {}
        self.log_unseen: dict[str, float] = {}
        self.vocabulary: set[str] = set()

    def _weight(self, feature: str) -> float:
        if feature.startswith("c:"):
            return self.char_weight
        return self.lexicon_weight if feature.startswith("lex:") else 1.0

    def fit(self, pairs: Iterable[tuple[str, str]]) -> NaiveBayes:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        docs: Counter[str] = Counter()
        for label, text in pairs:
            docs[label] += 1
            for feature in set(features(text)):
                counts[label][feature] += self._weight(feature)  # type: ignore[assignment]
                self.vocabulary.add(feature)
        self.labels = sorted(docs)
        total_docs = sum(docs.values())
        size = len(self.vocabulary)
        for label in self.labels:
            # Uniform-ish prior: classes are balanced by design, not by how many templates we wrote.
            self.log_prior[label] = math.log(1 / len(self.labels)) * 0.5 + math.log(docs[label] / total_docs) * 0.5
            total = sum(counts[label].values())
            denominator = total + self.alpha * size
            self.log_likelihood[label] = {f: math.log((c + self.alpha) / denominator) for f, c in counts[label].items()}
            self.log_unseen[label] = math.log(self.alpha / denominator)
        return self

    def scores(self, text: str) -> dict[str, float]:
        feats = [f for f in set(features(text)) if f in self.vocabulary]
        out: dict[str, float] = {}
        for label in self.labels:
            table, unseen = self.log_likelihood[label], self.log_unseen[label]
            out[label] = self.log_prior[label] + sum(table.get(f, unseen) * self._weight(f) for f in feats)
        return out

    def predict(self, text: str, *, temperature: float = 1.0) -> Prediction:
        scores = self.scores(text)
        top = max(scores.values())
        exp = {label: math.exp((s - top) / temperature) for label, s in scores.items()}
        total = sum(exp.values())
        ranking = tuple(sorted(((label, v / total) for label, v in exp.items()), key=lambda kv: (-kv[1], kv[0])))
        return Prediction(label=ranking[0][0], probability=ranking[0][1], ranking=ranking)


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    labels = sorted(set(gold) | set(predicted))
    f1s = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p == label and g != label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(f1s) / len(f1s)
