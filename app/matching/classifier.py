"""The intent classifier: calibrated class probabilities for one normalised text.

A linear SVM (scikit-learn's ``LinearSVC``, dual solver: seconds even for a pack
ten times today's) over TF-IDF features separates the intents and the
out-of-scope class.  Its margins are not probabilities and their scale moves
with every retraining, so they are calibrated: a second model is trained on two
thirds of every class's examples, the other third is scored by it, and one
temperature ``T`` is chosen so that ``softmax(margin / T)`` best predicts those
held-out labels (lowest log loss).  A probability of 0.6 therefore means about the same after an editor's
edit as before it, and the decision policy's thresholds stay meaningful.

Scoring one text is done by hand with the trained arrays (a sparse dot product):
about 20x faster than scikit-learn's per-call input checks.  The TF-IDF weighting
is plain numpy too (what scikit-learn's ``DictVectorizer`` + ``TfidfTransformer(
sublinear_tf=True)`` compute), so scikit-learn and scipy are imported only to *fit*
the SVM: a classifier loaded from the on-disk index (``index_cache.py``) serves
without them (about 100 MB less memory, 1.5 s less start-up).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.matching.features import Featurizer

CALIBRATION_SPLIT = 3  # one held-out third fits the temperature


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def fit_temperature(margins: np.ndarray, gold: np.ndarray) -> float:
    """The ``T`` that minimises the log loss of ``softmax(margins / T)`` on ``gold`` (row indices)."""
    rows = np.arange(len(gold))

    def loss(log_t: float) -> float:
        p = _softmax(margins / math.exp(log_t))
        return float(-np.log(np.clip(p[rows, gold], 1e-12, None)).mean())

    lo, hi = math.log(0.01), math.log(10.0)  # golden-section search: the loss is unimodal in log T
    g = (math.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = loss(a), loss(b)
    for _ in range(60):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = loss(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = loss(b)
    return math.exp((lo + hi) / 2)


def _fold_of(labels: Sequence[str], k: int) -> np.ndarray:
    """Deterministic stratified folds: every class spread over all ``k`` folds."""
    fold = np.empty(len(labels), dtype=int)
    seen: Counter[str] = Counter()
    for i, label in enumerate(labels):
        fold[i] = seen[label] % k
        seen[label] += 1
    return fold


@dataclass
class Rows:
    """L2-normalised TF-IDF rows of the training texts, as CSR arrays (no scipy needed to read them)."""

    indptr: np.ndarray  # (rows + 1,) int64
    indices: np.ndarray  # (nnz,) int32, column of each value
    data: np.ndarray  # (nnz,) float64
    n_features: int

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def similarities(self, rows: Sequence[int], cols: Sequence[int], values: np.ndarray) -> np.ndarray:
        """Dot product of each of ``rows`` with the sparse vector ``(cols, values)``."""
        q = np.zeros(self.n_features)
        q[np.asarray(cols, dtype=np.int64)] = values
        out = np.empty(len(rows))
        for k, r in enumerate(rows):
            a, b = self.indptr[r], self.indptr[r + 1]
            out[k] = self.data[a:b] @ q[self.indices[a:b]]
        return out

    def to_scipy(self):
        from scipy.sparse import csr_matrix  # training only

        return csr_matrix((self.data, self.indices, self.indptr), shape=(len(self), self.n_features))


def tfidf(feature_counts: Sequence[Counter[str]]) -> tuple[dict[str, int], np.ndarray, Rows]:
    """Vocabulary (sorted feature names), smoothed idf and L2-normalised sublinear TF-IDF rows:
    the same numbers as scikit-learn's ``DictVectorizer`` + ``TfidfTransformer(sublinear_tf=True)``."""
    names = sorted({f for c in feature_counts for f in c})
    vocab = {f: j for j, f in enumerate(names)}
    indptr = np.zeros(len(feature_counts) + 1, dtype=np.int64)
    cols: list[int] = []
    tfs: list[float] = []
    for i, c in enumerate(feature_counts):
        row = sorted((vocab[f], tf) for f, tf in c.items() if tf)
        cols += [j for j, _ in row]
        tfs += [tf for _, tf in row]
        indptr[i + 1] = len(cols)
    indices = np.asarray(cols, dtype=np.int32)
    df = np.bincount(indices, minlength=len(names)).astype(float)
    idf = np.log((1.0 + len(feature_counts)) / (1.0 + df)) + 1.0
    data = (1.0 + np.log(np.asarray(tfs, dtype=float))) * idf[indices] if tfs else np.zeros(0)
    row_of = np.repeat(np.arange(len(feature_counts)), np.diff(indptr))
    norms = np.sqrt(np.bincount(row_of, weights=data * data, minlength=len(feature_counts)))
    if len(data):
        data = data / np.where(norms > 0, norms, 1.0)[row_of]
    return vocab, idf, Rows(indptr, indices, data, len(names))


@dataclass
class Classifier:
    """TF-IDF + linear SVM with a fitted temperature; immutable once trained."""

    featurizer: Featurizer
    classes: list[str]
    vocab: dict[str, int]
    idf: np.ndarray
    coef_t: np.ndarray | None  # (features, classes)
    bias: np.ndarray | None
    temperature: float
    #: L2-normalised TF-IDF rows of the training texts (nearest examples, for explanations).
    rows: Rows

    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        featurizer: Featurizer,
        C: float = 1.0,
        calibration_split: int = CALIBRATION_SPLIT,
    ) -> Classifier:
        vocab, idf, rows = tfidf([featurizer.train_features(t) for t in texts])
        classes = sorted(set(labels))
        if len(classes) < 2:  # one intent and no out-of-scope examples: nothing to tell apart
            return cls(featurizer, classes, vocab, idf, None, None, 1.0, rows)
        x = rows.to_scipy()
        y = np.asarray(labels)
        svm = _svm(C).fit(x, y)
        coef, bias = _one_row_per_class(svm, classes)
        temperature = 1.0
        # One held-out third is plenty to fit one scalar, and costs one more (smaller) fit.
        held = np.flatnonzero(_fold_of(labels, calibration_split) == 0) if calibration_split >= 2 else []
        train = np.setdiff1d(np.arange(len(labels)), held)
        if len(held) and len(set(y[train])) == len(classes):
            fc, fb = _one_row_per_class(_svm(C).fit(x[train], y[train]), classes)
            index = {c: i for i, c in enumerate(classes)}
            temperature = fit_temperature(x[held] @ fc.T + fb, np.asarray([index[y[i]] for i in held]))
        return cls(featurizer, classes, vocab, idf, np.ascontiguousarray(coef.T), bias, temperature, rows)

    def vector(self, text: str, words: dict[str, list[str]] | None = None) -> tuple[list[int], np.ndarray]:
        """TF-IDF (sublinear tf, L2-normalised) of ``text`` as (columns, values); ``words`` as in
        ``Featurizer.features``."""
        cols, vals = [], []
        vocab, idf = self.vocab, self._idf_list()
        feats = self.featurizer.features(text, words)
        for j, tf in zip(map(vocab.get, feats), feats.values(), strict=True):  # in the features' order, as in training
            if j is not None:
                cols.append(j)
                vals.append((1.0 + math.log(tf)) * idf[j])
        v = np.asarray(vals, dtype=float)
        if cols:
            v /= np.sqrt(v @ v)
        return cols, v

    def _idf_list(self) -> list[float]:
        # The same float64 values as Python floats: indexing a list costs a tenth of a numpy scalar.
        cached = self.__dict__.get("_idf_as_list")
        if cached is None:
            cached = self.__dict__["_idf_as_list"] = self.idf.tolist()
        return cached

    def probabilities(self, text: str, words: dict[str, list[str]] | None = None) -> dict[str, float]:
        """Calibrated probability of every class (intents and out of scope) for ``text``."""
        if self.coef_t is None:
            return {c: 1.0 / len(self.classes) for c in self.classes}
        cols, v = self.vector(text, words)
        margins = v @ self.coef_t[cols] + self.bias if cols else self.bias
        return dict(zip(self.classes, _softmax(margins / self.temperature).tolist(), strict=True))


def _svm(C: float):
    from sklearn.svm import LinearSVC  # training only: serving never imports scikit-learn

    return LinearSVC(C=C, dual=True, max_iter=5000)


def _one_row_per_class(svm, classes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    coef, bias = svm.coef_, svm.intercept_
    if coef.shape[0] == 1:  # binary: scikit-learn keeps one row, for the second class
        coef, bias = np.vstack([-coef, coef]), np.concatenate([-bias, bias])
    order = [list(svm.classes_).index(c) for c in classes]
    return coef[order], bias[order]
