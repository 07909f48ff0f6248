"""Grouping similar buyer messages, so that fifty ways of asking one new question are one row.

``group_texts`` turns each text's features (the matcher's words and character n-grams)
into a TF-IDF vector and compares texts by cosine similarity.  The weights should come
from a larger collection than the few texts being grouped (``idf``: the engine's trained
idf, where 吗 and 亲 weigh little; a word no example has, such as a new question's 积分,
weighs as the rarest), else the texts' own document frequencies are used.  Greedy
clustering: the texts in order of weight (the most frequent first) each join the group
whose centroid is most similar, at or above ``threshold``, or start a new group (the
centroid of many variants resembles the next variant more than any one of them does).
Deterministic, and bounded: at most ``MAX_TEXTS`` texts (the caller keeps the newest).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

#: Cosine similarity to a group's centroid at which a message joins it (with the trained idf;
#: chosen on hand-written variants like those of tests/matching/test_grouping.py: different
#: questions stay below 0.15, variants of one question reach 0.25 against their group).
DEFAULT_THRESHOLD = 0.25
#: The most texts one call groups (two matrices of this squared: 2,000 texts → about 50 MB at the peak).
MAX_TEXTS = 2000


def tfidf_rows(feature_sets: Sequence[Mapping[str, float]], idf: Callable[[str], float | None] | None = None):
    """L2-normalised TF-IDF rows (sublinear tf); ``idf`` gives a feature's weight from a larger
    collection (None: not in it), else the smoothed idf over these texts is used.  A scipy CSR matrix:
    scipy is imported here, when an editor groups messages, never for serving suggestions."""
    from scipy.sparse import csr_matrix

    vocab: dict[str, int] = {}
    df: dict[int, int] = {}
    indptr, indices, data = [0], [], []
    for feats in feature_sets:
        for name, count in feats.items():
            if count <= 0:
                continue
            j = vocab.setdefault(name, len(vocab))
            df[j] = df.get(j, 0) + 1
            indices.append(j)
            data.append(1.0 + math.log(count))
        indptr.append(len(indices))
    n = len(feature_sets)
    names = list(vocab)
    weights = np.ones(len(vocab))
    for j, d in df.items():
        known = idf(names[j]) if idf is not None else None
        weights[j] = known if known is not None else math.log((1 + n) / (1 + d)) + 1.0
    values = np.asarray(data, dtype=np.float64) * weights[np.asarray(indices, dtype=np.int64)] if data else np.zeros(0)
    X = csr_matrix((values, indices, indptr), shape=(n, len(vocab)))
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return csr_matrix(X.multiply(1.0 / norms[:, None]))


def group_texts(
    texts: Sequence[str],
    features: Callable[[str], Mapping[str, float]],
    weights: Sequence[int] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    idf: Callable[[str], float | None] | None = None,
) -> list[list[int]]:
    """Groups of similar ``texts`` as lists of their indices.

    ``weights`` (how often each text was seen; 1 each by default) decide who leads: a
    group's first index is its most frequent text.  Groups come heaviest first, their
    members heaviest first.  Only the first ``MAX_TEXTS`` texts are grouped.
    """
    texts = list(texts)[:MAX_TEXTS]
    n = len(texts)
    if n == 0:
        return []
    w = list(weights)[:n] if weights is not None else [1] * n
    X = tfidf_rows([features(t) for t in texts], idf)
    sims = (X @ X.T).toarray().astype(np.float32)
    order = sorted(range(n), key=lambda i: (-w[i], i))
    # Column k of ``acc``: every text's similarity summed over group k's members, so that a text's
    # cosine with the group's centroid is acc[i, k] / |centroid k| without building the centroid.
    acc = np.zeros((n, n), dtype=np.float32)
    norm2 = np.zeros(n, dtype=np.float64)
    members: list[list[int]] = []
    for i in order:
        k = -1
        if members:
            g = len(members)
            row = acc[i, :g] / np.sqrt(np.maximum(norm2[:g], 1e-12))
            best = int(np.argmax(row))
            if row[best] >= threshold:
                k = best
        if k < 0:
            k = len(members)
            members.append([])
        norm2[k] += 2.0 * acc[i, k] + sims[i, i]
        acc[:, k] += sims[:, i]
        members[k].append(i)
    members.sort(key=lambda m: (-sum(w[i] for i in m), m[0]))
    return members
