"""Intent matching: a buyer message in, every intent the engine is confident about out.

How a message is scored (each step has one reason):

* Features are jieba words (with the domain dictionary) and character n-grams,
  weighted TF-IDF, so rare, meaningful words weigh most and typos still share
  most of their n-grams (``features.py``).
* A linear classifier learns, from the intents' examples and the out-of-scope
  examples, which features tell the intents apart; "out of scope" is one of its
  classes, so chit-chat and spam compete openly.  Its scores are calibrated
  probabilities (``classifier.py``).
* Keywords are strong cues an editor can add without writing examples; a keyword
  right after a negation (不是色差) rules its intent out.  For short messages the
  nearest example by rapidfuzz ratio helps with typos and near-duplicates (在么).
* The message and each of its clauses ("颜色不对，而且还少了一件") are scored
  separately, so a message with several problems gets each of them.  The pack's
  *fragments* (怎么回事, 我前天买的) are a class of their own: a clause that looks
  like one adds nothing, and what they share with real problems stops counting
  for any intent.
* What counts as confident is the decision policy's (``policy.py``), whose values
  are chosen by cross-validation on the pack's own examples
  (``benchmarks/crossval.py``), never on evaluation data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import ahocorasick
import numpy as np
from rapidfuzz import fuzz, process

from app.content.models import IntentSpec
from app.matching.classifier import CALIBRATION_SPLIT, Classifier
from app.matching.features import Featurizer, clauses
from app.matching.index_cache import IndexCache, training_key
from app.matching.policy import OOS, Decision, Pick, Policy, adjust, decide
from app.text.negation import is_a_not_a
from app.text.negation import negated as _negated
from app.text.normalize import Normalized, normalize
from app.text.segment import Segmenter

#: The class of message pieces that carry no problem (``_out_of_scope.yaml`` ``fragments``).
FRAGMENT = "_fragment"

def _a_not_a(text: str, start: int, keyword: str) -> bool:
    """Is a keyword that starts with a negation the second half of an A-not-A question?"""
    return len(keyword) >= 2 and is_a_not_a(text, start)


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
    score: float  # calibrated probability, 0..1
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class MatchResult:
    normalized: Normalized
    intents: list[IntentMatch]
    #: The best intent when nothing was confident enough, for "no confident match" UIs.
    best_rejected: IntentMatch | None = None


@dataclass
class View:
    """One view of a message (the whole of it, or a clause) as the classifier and the cues see it."""

    text: str
    start: int
    whole: bool  # the whole message, or one of its clauses
    raw: dict[str, float]  # the classifier's calibrated probabilities
    keywords: dict[str, str]  # intent -> its keyword found here
    negated: set[str]  # intents whose keywords occur here only after a negation
    fuzzy: dict[str, tuple[float, str]]  # intent -> (similarity, example) of a near-identical example

    def probabilities(self, policy: Policy) -> dict[str, float]:
        """The classifier's probabilities with the policy's cues applied."""
        fuzzy = {}
        if len(self.text) <= policy.fuzzy_max_len:
            fuzzy = {k: r for k, (r, _) in self.fuzzy.items() if r * 100 >= policy.fuzzy_min_ratio}
        return adjust(_without_fragment(self.raw, self.whole), policy, set(self.keywords), self.negated, fuzzy)


def _without_fragment(probs: dict[str, float], whole: bool) -> dict[str, float]:
    """The fragment class is never an answer: a clause that looks like one is as good as out of
    scope; for a whole message it is left out and the rest renormalised."""
    p = probs.get(FRAGMENT)
    if p is None:
        return probs
    rest = {k: v for k, v in probs.items() if k != FRAGMENT}
    if not whole:
        rest[OOS] = rest.get(OOS, 0.0) + p
        return rest
    total = 1.0 - p
    return {k: v / total for k, v in rest.items()} if total > 1e-12 else {**rest, OOS: 1.0}


def _fuzzy_choices(texts: list[str], policy: Policy) -> dict[int, tuple[list[int], list[str]]]:
    """For each message length the fuzzy cue looks at, the examples that can reach its ratio.

    ``fuzz.ratio`` is at most ``200 * min(a, b) / (a + b)`` for texts of lengths a and b, so a
    two-character message can only be near-identical to two-character examples: scanning
    those alone (in their order) gives the same top five as scanning all of them.
    """
    if not policy.fuzzy_boost:
        return {}
    lengths = [len(t) for t in texts]
    out: dict[int, tuple[list[int], list[str]]] = {}
    for q in range(1, policy.fuzzy_max_len + 1):
        fit = {n for n in set(lengths) if 200.0 * min(q, n) / (q + n) >= policy.fuzzy_min_ratio - 1e-6}
        rows = [i for i, n in enumerate(lengths) if n in fit]
        out[q] = (rows, [texts[i] for i in rows])
    return out


@dataclass(frozen=True, slots=True)
class Doc:
    label: str
    text: str


@lru_cache(maxsize=50_000)
def _normalized_example(text: str) -> str:
    return normalize(text).text


def _trained(
    examples: list[str], labels: list[str], featurizer: Featurizer, C: float, cache: IndexCache | None
) -> tuple[list[str], Classifier]:
    """The normalised examples and the classifier trained on them: from the on-disk cache when
    it holds them, else normalised, trained and stored."""
    key = training_key(examples, labels, featurizer, C, CALIBRATION_SPLIT) if cache is not None else ""
    if cache is not None and (found := cache.load(key, featurizer, labels)) is not None:
        return found
    texts = [_normalized_example(e) for e in examples]
    clf = Classifier.train(texts, labels, featurizer, C=C, calibration_split=CALIBRATION_SPLIT)
    featurizer.retain(texts)  # the features of examples an edit removed are not needed again
    if cache is not None:
        cache.save(key, texts, clf)
    return texts, clf


def keyword_words(intents: dict[str, IntentSpec]) -> list[str]:
    """The intents' keywords as the segmenter keeps them whole (normalised)."""
    return [normalize(k).text for i in intents.values() for k in i.keywords]


class IntentMatcher:
    """An immutable index over one version of the intents; rebuild it when they change."""

    def __init__(
        self,
        intents: dict[str, IntentSpec],
        out_of_scope: list[str],
        segmenter: Segmenter,
        policy: Policy | None = None,
        featurizer: Featurizer | None = None,
        fragments: list[str] = (),
        index_cache: IndexCache | None = None,
    ):
        self.policy = policy or Policy.load()
        self.intents = intents
        # Keywords are kept whole too: the segmenter of this content's words (the same one when
        # the assistant already built it with them).
        self.segmenter = segmenter = segmenter.with_words(keyword_words(intents))
        self.standalone = {i.id for i in intents.values() if i.standalone}
        # A featurizer shared across rebuilds keeps its cache: an edit re-featurizes only what changed.
        if (
            featurizer is None
            or featurizer.segmenter is not segmenter
            or featurizer.ngrams != tuple(self.policy.ngrams)
        ):
            featurizer = Featurizer(segmenter, self.policy.ngrams)
        self.featurizer = featurizer
        labelled = [(intent.id, e) for intent in intents.values() for e in intent.examples]
        labelled += [(OOS, e) for e in out_of_scope] + [(FRAGMENT, e) for e in fragments]
        labels = [label for label, _ in labelled]
        self._texts, self.classifier = _trained(
            [e for _, e in labelled], labels, self.featurizer, self.policy.C, index_cache
        )
        self.docs = [Doc(label, text) for label, text in zip(labels, self._texts, strict=True)]
        self._rows: dict[str, list[int]] = defaultdict(list)
        for i, d in enumerate(self.docs):
            self._rows[d.label].append(i)
        self._fuzzy_choices = _fuzzy_choices(self._texts, self.policy)

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
            if _a_not_a(text, start, kw):
                continue  # "有没有赠品" asks; it does not say the gift is missing
            if _negated(text, start):
                negated.update(ids)
                continue
            for i in ids:
                if len(kw) > len(hits.get(i, "")):
                    hits[i] = kw
        return hits, negated - set(hits)

    def _view(self, text: str, start: int, whole: bool, words: dict[str, list[str]] | None = None) -> View:
        p = self.policy
        keywords, negated = self._keyword_hits(text)
        fuzzy: dict[str, tuple[float, str]] = {}
        if whole and p.fuzzy_boost and len(text) <= p.fuzzy_max_len:
            # Only the examples whose length allows the ratio (see ``_fuzzy_choices``), in their
            # order, so that ties come out as over all of them; rapidfuzz skips the rest early.
            rows, choices = self._fuzzy_choices.get(len(text), ((), ()))
            found = process.extract(text, choices, scorer=fuzz.ratio, limit=5, score_cutoff=p.fuzzy_min_ratio)
            for example, ratio, k in found:
                label = self.docs[rows[k]].label
                if label not in fuzzy:  # score_cutoff already left out what is below the ratio
                    fuzzy[label] = (ratio / 100.0, example)
        return View(text, start, whole, self.classifier.probabilities(text, words), keywords, negated, fuzzy)

    def _evidence(self, label: str, view: View) -> list[Evidence]:
        ev: list[Evidence] = []
        if label in view.keywords:
            ev.append(Evidence("keyword", view.keywords[label], 1.0, view.text))
        if label in view.fuzzy:
            ratio, example = view.fuzzy[label]
            ev.append(Evidence("fuzzy", example, ratio, view.text))
        cols, v = self.classifier.vector(view.text)
        rows = self._rows.get(label)
        if cols and rows:
            sims = self.classifier.rows.similarities(rows, cols, v)
            k = int(np.argmax(sims))
            if sims[k] > 0:
                ev.append(Evidence("example", self.docs[rows[k]].text, float(sims[k]), view.text))
        return ev

    # -- the public entry point -------------------------------------------------

    def views(self, n: Normalized) -> list[View]:
        """The whole message, then each clause when there are several (and the policy looks at clauses)."""
        words: dict[str, list[str]] = {}  # the clauses' runs of text are the message's: cut once
        whole = self._view(n.text, 0, True, words)
        parts = clauses(n.text, join_below=self.policy.clause_join_below) if self.policy.clauses else []
        return [whole] + ([self._view(c.text, c.start, False, words) for c in parts] if len(parts) > 1 else [])

    def decide(self, views: list[View], policy: Policy | None = None) -> Decision:
        policy = policy or self.policy
        if not policy.clauses:
            views = views[:1]
        return decide([v.probabilities(policy) for v in views], policy, self.standalone, [set(v.keywords) for v in views])

    def match(self, message: str | Normalized, explain: bool = False) -> MatchResult:
        """Match ``message``; with ``explain`` each intent carries the keyword/example behind it."""
        n = message if isinstance(message, Normalized) else normalize(message)
        if not n.text or not self.intents:
            return MatchResult(n, [])
        views = self.views(n)
        decision = self.decide(views)

        def as_match(pick: Pick) -> IntentMatch:
            view = views[pick.view]
            evidence = self._evidence(pick.label, view) if explain else []
            return IntentMatch(pick.label, self.intents[pick.label].label, round(pick.probability, 4), evidence)

        rejected = as_match(decision.best_rejected) if decision.best_rejected else None
        return MatchResult(n, [as_match(p) for p in decision.intents], best_rejected=rejected)
