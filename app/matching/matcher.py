"""Intent matching: a buyer message in, every intent the engine is confident about out.

How a message is scored (each step has one reason):

* Features are jieba words (with the domain dictionary) and character 1-2-grams,
  weighted TF-IDF, so rare, meaningful words weigh most and typos still share
  most of their n-grams.
* A linear classifier (scikit-learn's ``LinearSVC``) learns, from the intents'
  examples and the out-of-scope examples, which features tell the intents apart;
  "out of scope" is one of its classes, so chit-chat and spam compete openly.
* Keywords are strong cues an editor can add without writing examples; a keyword
  right after a negation (不是色差) does not count.  For short messages the
  nearest example by rapidfuzz ratio helps with typos and near-duplicates (在么).
* The message and each of its clauses ("颜色不对，而且还少了一件") are scored
  separately, so a message with several problems gets each of them.
* Scores map the classifier's margin to [0, 1] with 0.5 at the acceptance
  threshold, which was calibrated by cross-validation on the pack's own examples
  (``benchmarks/crossval.py``), never on evaluation data.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import ahocorasick
import numpy as np
from rapidfuzz import fuzz, process
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.svm import LinearSVC

from app.content.models import IntentSpec
from app.matching.features import Featurizer, clauses
from app.text.normalize import Normalized, normalize
from app.text.segment import Segmenter

OOS = "_out_of_scope"

# Negations that cancel a keyword right after them: "不是色差，是发错了".
_NEGATORS = ("不是", "不算", "并非", "并不是", "也不是", "不存在", "没什么", "没有什么")


def _negated(text: str, start: int) -> bool:
    """Does a negation end right before ``start``?  "是不是正品" asks; it does not negate."""
    for neg in _NEGATORS:
        if text.endswith(neg, 0, start):
            i = start - len(neg)
            a_not_a = neg[0] == "不" and i > 0 and text[i - 1] == neg[1]
            if not a_not_a:
                return True
    return False


@dataclass(frozen=True)
class MatchParams:
    """Weights and thresholds; the defaults come from cross-validation on the pack."""

    C: float = 1.0  # LinearSVC regularisation
    threshold: float = -0.55  # classifier margin at which a match is accepted (score 0.5)
    secondary_margin: float = 0.1  # a clause's second intent needs this much above the threshold
    slope: float = 2.5  # margin -> score steepness (display only: decisions use margins)
    keyword_bonus: float = 0.35
    fuzzy_max_len: int = 8
    fuzzy_min_ratio: float = 85.0
    oos_margin: float = -0.2  # out-of-scope wins when its margin is at least the best intent's plus this
    oos_keyword_margin: float = 0.25  # …plus this when the best intent has a keyword cue

    def score(self, margin: float) -> float:
        return 1.0 / (1.0 + math.exp(-self.slope * (margin - self.threshold)))


@dataclass
class Evidence:
    kind: str  # example | keyword | fuzzy
    text: str
    similarity: float
    clause: str

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "text": self.text,
            "similarity": round(self.similarity, 3),
            "clause": self.clause,
        }


@dataclass
class IntentMatch:
    id: str
    label: str
    score: float
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class MatchResult:
    normalized: Normalized
    intents: list[IntentMatch]
    #: The best intent when nothing was confident enough, for "no confident match" UIs.
    best_rejected: IntentMatch | None = None


@dataclass
class _View:
    text: str
    start: int
    whole: bool
    margins: dict[str, float]
    keywords: dict[str, str]
    fuzzy: dict[str, tuple[float, str]]

    def top(self, exclude: set[str] = frozenset()) -> tuple[str, float]:
        label, m = max(((k, v) for k, v in self.margins.items() if k not in exclude), key=lambda kv: kv[1])
        return label, m


@dataclass(frozen=True, slots=True)
class Doc:
    label: str
    text: str


@lru_cache(maxsize=50_000)
def _normalized_example(text: str) -> str:
    return normalize(text).text


class IntentMatcher:
    """An immutable index over one version of the intents; rebuild it when they change."""

    def __init__(
        self,
        intents: dict[str, IntentSpec],
        out_of_scope: list[str],
        segmenter: Segmenter,
        params: MatchParams | None = None,
        featurizer: Featurizer | None = None,
    ):
        self.params = params or MatchParams()
        self.intents = intents
        self.segmenter = segmenter
        segmenter.add_words(normalize(k).text for i in intents.values() for k in i.keywords)
        # A featurizer shared across rebuilds keeps its cache: an edit re-featurizes only what changed.
        self.featurizer = featurizer if featurizer is not None and featurizer.segmenter is segmenter else Featurizer(segmenter)
        docs: list[Doc] = []
        for intent in intents.values():
            docs += [Doc(intent.id, _normalized_example(e)) for e in intent.examples]
        docs += [Doc(OOS, _normalized_example(e)) for e in out_of_scope]
        self.docs = docs
        self._texts = [d.text for d in docs]
        self._rows: dict[str, list[int]] = defaultdict(list)
        for i, d in enumerate(docs):
            self._rows[d.label].append(i)

        self._vectorizer = DictVectorizer()
        self._tfidf = TfidfTransformer(sublinear_tf=True)
        x = self._tfidf.fit_transform(self._vectorizer.fit_transform([self.featurizer.features(t) for t in self._texts]))
        self._x = x.tocsr()  # L2-normalised example vectors: nearest examples, for explanations
        labels = sorted({d.label for d in docs})
        self._vocab: dict[str, int] = self._vectorizer.vocabulary_
        self._idf = self._tfidf.idf_
        if len(labels) >= 2:
            svm = LinearSVC(C=self.params.C).fit(x, [d.label for d in docs])
            coef, bias = svm.coef_, svm.intercept_
            if coef.shape[0] == 1:  # binary: sklearn keeps one row, for the second class
                coef, bias = np.vstack([-coef, coef]), np.concatenate([-bias, bias])
            # Kept as plain arrays: scoring one message by hand is ~20x faster than sklearn's
            # per-call input validation, and the index is rebuilt on every content edit anyway.
            self._coef_t = np.ascontiguousarray(coef.T)
            self._bias = bias
            self._classes = [str(c) for c in svm.classes_]
        else:  # a single intent and no out-of-scope examples: nothing to tell apart
            self._coef_t, self._bias, self._classes = None, None, labels

        self._keywords = ahocorasick.Automaton()
        kw_map: dict[str, list[str]] = defaultdict(list)
        for intent in intents.values():
            for k in intent.keywords:
                if kw := normalize(k).text:
                    kw_map[kw].append(intent.id)
        for k, ids in kw_map.items():
            self._keywords.add_word(k, (k, ids))
        if kw_map:
            self._keywords.make_automaton()
        self._has_keywords = bool(kw_map)

    # -- one view: the whole message or one clause ---------------------------------

    def _keyword_hits(self, text: str) -> tuple[dict[str, str], set[str]]:
        """Intents whose keywords occur in ``text``, and those whose keywords occur only negated."""
        hits: dict[str, str] = {}
        negated: set[str] = set()
        if not self._has_keywords:
            return hits, negated
        for end, (kw, ids) in self._keywords.iter(text):
            start = end - len(kw) + 1
            if _negated(text, start):
                negated.update(ids)
                continue
            for i in ids:
                if len(kw) > len(hits.get(i, "")):
                    hits[i] = kw
        return hits, negated - set(hits)

    def _vector(self, text: str) -> tuple[list[int], np.ndarray]:
        """TF-IDF (sublinear tf, L2-normalised) of ``text`` as (columns, values)."""
        cols, vals = [], []
        for f, tf in self.featurizer.features(text).items():
            j = self._vocab.get(f)
            if j is not None:
                cols.append(j)
                vals.append((1.0 + math.log(tf)) * self._idf[j])
        v = np.asarray(vals, dtype=float)
        if cols:
            v /= np.sqrt(v @ v)
        return cols, v

    def _margins(self, text: str) -> dict[str, float]:
        """The classifier's margin for every class: w·x + b."""
        if self._coef_t is None:
            return {label: 0.0 for label in self._classes}
        cols, v = self._vector(text)
        d = v @ self._coef_t[cols] + self._bias if cols else self._bias
        return dict(zip(self._classes, d.tolist(), strict=True))

    def _view(self, text: str, start: int, whole: bool) -> _View:
        p = self.params
        margins = self._margins(text)
        keywords, negated = self._keyword_hits(text)
        fuzzy: dict[str, tuple[float, str]] = {}
        if whole and len(text) <= p.fuzzy_max_len:
            for example, ratio, i in process.extract(text, self._texts, scorer=fuzz.ratio, limit=5):
                label = self.docs[i].label
                if ratio >= p.fuzzy_min_ratio and label not in fuzzy:
                    fuzzy[label] = (ratio / 100.0, example)
        adjusted = dict(margins)
        for label in keywords:
            adjusted[label] = adjusted.get(label, p.threshold) + p.keyword_bonus
        for label in negated:  # "不是色差": the buyer rules this intent out, whatever else it resembles
            if label in adjusted:
                adjusted[label] = min(adjusted[label], p.threshold - p.keyword_bonus)
        for label, (ratio, _) in fuzzy.items():
            # A near-identical short example is as good as a confident classifier.
            adjusted[label] = max(adjusted.get(label, -9.0), p.threshold + (ratio - 0.8) * 2)
        if not whole:
            for label in list(adjusted):
                if label != OOS and label in self.intents and self.intents[label].standalone:
                    del adjusted[label]  # "亲"/"好的" inside a longer message is not a greeting or thanks
        return _View(text, start, whole, adjusted, keywords, fuzzy)

    def _evidence(self, label: str, view: _View) -> list[Evidence]:
        ev: list[Evidence] = []
        if label in view.keywords:
            ev.append(Evidence("keyword", view.keywords[label], 1.0, view.text))
        if label in view.fuzzy:
            ratio, example = view.fuzzy[label]
            ev.append(Evidence("fuzzy", example, ratio, view.text))
        cols, v = self._vector(view.text)
        rows = self._rows.get(label)
        if cols and rows:
            sims = self._x[rows][:, cols] @ v
            k = int(np.argmax(sims))
            if sims[k] > 0:
                ev.append(Evidence("example", self.docs[rows[k]].text, float(sims[k]), view.text))
        return ev

    # -- the public entry point -------------------------------------------------

    def match(self, message: str | Normalized, explain: bool = False) -> MatchResult:
        """Match ``message``; with ``explain`` each intent carries the keyword/example behind it."""
        p = self.params
        n = message if isinstance(message, Normalized) else normalize(message)
        if not n.text or not self.intents:
            return MatchResult(n, [])
        whole = self._view(n.text, 0, True)
        parts = clauses(n.text)
        views = [whole] + ([self._view(c.text, c.start, False) for c in parts] if len(parts) > 1 else [])

        def as_match(label: str, margin: float, view: _View) -> IntentMatch:
            evidence = self._evidence(label, view) if explain else []
            return IntentMatch(label, self.intents[label].label, round(p.score(margin), 4), evidence)

        # The whole message decides whether this is after-sales at all, and its main intent.
        top_label, top_margin = whole.top({OOS})
        top_view = whole
        for v in views[1:]:
            label, m = v.top({OOS})
            if m > top_margin and v.margins.get(OOS, -9) < m:
                top_label, top_margin, top_view = label, m, v
        oos_margin = whole.margins.get(OOS, -9.0)
        # A keyword cue makes the out-of-scope class work harder: "滴滴怎么投诉" must clearly
        # look like chit-chat to lose its 投诉.
        needed = p.oos_margin + (p.oos_keyword_margin if top_label in top_view.keywords else 0.0)
        if top_margin < p.threshold or oos_margin > top_margin + needed:
            return MatchResult(n, [], best_rejected=as_match(top_label, top_margin, top_view))

        chosen: dict[str, tuple[float, _View]] = {top_label: (top_margin, top_view)}
        # Further problems: the best intent of another clause, or a keyword cue, when confident.
        for v in views[1:]:
            label, m = v.top({OOS})
            if label in chosen or v.margins.get(OOS, -9) > m:
                continue
            if m >= p.threshold + p.secondary_margin or (label in v.keywords and m >= p.threshold):
                chosen[label] = (m, v)
        if len(chosen) > 1:
            chosen = {k: v for k, v in chosen.items() if not self.intents[k].standalone} or chosen
        ranked = sorted(chosen.items(), key=lambda kv: kv[1][0], reverse=True)
        return MatchResult(n, [as_match(label, m, v) for label, (m, v) in ranked])
