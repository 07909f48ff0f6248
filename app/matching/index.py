"""A TF-IDF nearest-example index over labelled example texts.

Vectors are sparse dicts (sublinear tf x smoothed idf, L2-normalised); an
inverted index makes a query cost proportional to the postings of its own
features, so it stays fast as the number of examples grows.  Each label also has
a centroid vector, which is steadier than single examples for long messages.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Vector = dict[str, float]


def _normalise(vec: dict[str, float]) -> Vector:
    norm = math.sqrt(sum(v * v for v in vec.values()))
    return {k: v / norm for k, v in vec.items()} if norm else {}


@dataclass(frozen=True, slots=True)
class Doc:
    label: str
    text: str


class ExampleIndex:
    def __init__(
        self,
        docs: Sequence[Doc],
        featurize: Callable[[str], Counter[str]],
        weight: Callable[[str], float] = lambda f: 1.0,
    ):
        self.docs = list(docs)
        self._featurize = featurize
        self._weight = weight
        feats = [featurize(d.text) for d in self.docs]
        df: Counter[str] = Counter()
        for f in feats:
            df.update(f.keys())
        n = len(self.docs)
        self.idf = {k: math.log((n + 1) / (c + 1)) + 1.0 for k, c in df.items()}
        self._default_idf = math.log(n + 1) + 1.0
        self.vectors: list[Vector] = [self.vector_of(f) for f in feats]
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, vec in enumerate(self.vectors):
            for k, v in vec.items():
                self.postings[k].append((i, v))
        sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for d, vec in zip(self.docs, self.vectors, strict=True):
            for k, v in vec.items():
                sums[d.label][k] += v
        self.centroids: dict[str, Vector] = {label: _normalise(s) for label, s in sums.items()}

    def vector_of(self, feats: Counter[str]) -> Vector:
        return _normalise(
            {
                k: (1.0 + math.log(tf)) * self.idf.get(k, self._default_idf) * self._weight(k)
                for k, tf in feats.items()
            }
        )

    def vector(self, text: str) -> Vector:
        return self.vector_of(self._featurize(text))

    def similarities(self, vec: Vector) -> dict[int, float]:
        """Cosine similarity of ``vec`` to every example sharing a feature with it."""
        acc: dict[int, float] = defaultdict(float)
        for k, v in vec.items():
            for i, w in self.postings.get(k, ()):
                acc[i] += v * w
        return acc

    def centroid_similarities(self, vec: Vector) -> dict[str, float]:
        return {
            label: sum(v * c.get(k, 0.0) for k, v in vec.items())
            for label, c in self.centroids.items()
        }
