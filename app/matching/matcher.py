"""Intent matching: a buyer message in, every intent the engine is confident about out.

How a message is scored (each step has one reason):

* The message and each of its clauses ("颜色不对，而且还少了一件") are scored
  separately, so a message with several problems gets each of them.
* Per intent, the evidence is its nearest examples (TF-IDF cosine over words and
  character n-grams, so rare, meaningful words weigh most), its centroid, its
  keywords (strong cues, cancelled by a negation such as 不是色差), and for short
  texts a rapidfuzz ratio to the examples (typos, near-duplicates, 在么).
* Out-of-scope examples (``intents/_out_of_scope.yaml``) compete like an intent:
  a message nearer to them than to any intent gets no intent at all.
* Scores are in [0, 1]; the acceptance threshold was calibrated by
  cross-validation on the content pack's own examples (``shouhou calibrate``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import ahocorasick
from rapidfuzz import fuzz, process

from app.content.models import IntentSpec
from app.matching.features import Featurizer, clauses
from app.matching.index import Doc, ExampleIndex
from app.text.normalize import Normalized, normalize
from app.text.segment import Segmenter

OOS = "_out_of_scope"

# Negations that cancel a keyword right after them: "不是色差，是发错了".
_NEGATORS = ("不是", "不算", "并非", "并不是", "也不是", "不存在", "没什么", "没有什么")


@dataclass(frozen=True)
class MatchParams:
    """Weights and thresholds; the defaults come from cross-validation on the pack."""

    word_weight: float = 1.4
    knn_weight: float = 0.65
    centroid_weight: float = 0.35
    keyword_bonus: float = 0.3
    fuzzy_max_len: int = 12
    fuzzy_weight: float = 0.9
    threshold: float = 0.34
    secondary_threshold: float = 0.42
    oos_margin: float = 0.02
    clause_discount: float = 0.95


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
    #: The best intent's score when nothing was confident enough, for "no confident match" UIs.
    best_rejected: IntentMatch | None = None


@dataclass
class _ViewScore:
    score: float
    evidence: list[Evidence]
    clause_start: int
    keyword: bool


class IntentMatcher:
    """An immutable index over one version of the intents; rebuild it when they change."""

    def __init__(
        self,
        intents: dict[str, IntentSpec],
        out_of_scope: list[str],
        segmenter: Segmenter,
        params: MatchParams | None = None,
    ):
        self.params = params or MatchParams()
        self.intents = intents
        self.segmenter = segmenter
        segmenter.add_words(normalize(k).text for i in intents.values() for k in i.keywords)
        self.featurizer = Featurizer(segmenter)
        docs: list[Doc] = []
        for intent in intents.values():
            docs += [Doc(intent.id, normalize(e).text) for e in intent.examples]
        docs += [Doc(OOS, normalize(e).text) for e in out_of_scope]
        ww = self.params.word_weight
        self.index = ExampleIndex(
            docs, self.featurizer.features, weight=lambda f: ww if f.startswith("w:") else 1.0
        )
        self._texts = [d.text for d in docs]
        self._keywords = ahocorasick.Automaton()
        kw_map: dict[str, list[str]] = defaultdict(list)
        for intent in intents.values():
            for k in intent.keywords:
                kw_map[normalize(k).text].append(intent.id)
        for k, ids in kw_map.items():
            if k:
                self._keywords.add_word(k, (k, ids))
        if kw_map:
            self._keywords.make_automaton()
        self._has_keywords = bool(kw_map)

    # -- scoring one view (the whole message or one clause) -----------------------

    def _keyword_hits(self, text: str) -> dict[str, str]:
        hits: dict[str, str] = {}
        if not self._has_keywords:
            return hits
        for end, (kw, ids) in self._keywords.iter(text):
            start = end - len(kw) + 1
            before = text[max(0, start - 4) : start]
            if any(before.endswith(neg) for neg in _NEGATORS):
                continue
            for i in ids:
                if len(kw) > len(hits.get(i, "")):
                    hits[i] = kw
        return hits

    def _score_view(self, text: str, clause_start: int) -> dict[str, _ViewScore]:
        p = self.params
        vec = self.index.vector(text)
        sims = self.index.similarities(vec)
        per_label: dict[str, list[tuple[float, int]]] = defaultdict(list)
        for i, s in sims.items():
            per_label[self.index.docs[i].label].append((s, i))
        if len(text) <= p.fuzzy_max_len:
            for _, ratio, i in process.extract(text, self._texts, scorer=fuzz.ratio, limit=8):
                per_label[self.index.docs[i].label].append((p.fuzzy_weight * ratio / 100.0, -1 - i))
        centroids = self.index.centroid_similarities(vec) if vec else {}
        kw = self._keyword_hits(text)
        out: dict[str, _ViewScore] = {}
        for label in set(per_label) | set(kw):
            ranked = sorted(per_label.get(label, []), reverse=True)
            top = ranked[0][0] if ranked else 0.0
            second = ranked[1][0] if len(ranked) > 1 else top
            knn = 0.75 * top + 0.25 * second
            score = p.knn_weight * knn + p.centroid_weight * centroids.get(label, 0.0)
            score = max(score, top * 0.9)
            evidence = []
            if ranked:
                s, i = ranked[0]
                kind = "example" if i >= 0 else "fuzzy"
                evidence.append(Evidence(kind, self._texts[i if i >= 0 else -1 - i], s, text))
            if label in kw:
                score += p.keyword_bonus
                evidence.insert(0, Evidence("keyword", kw[label], 1.0, text))
            out[label] = _ViewScore(min(score, 1.0), evidence, clause_start, label in kw)
        return out

    # -- the public entry point -------------------------------------------------

    def match(self, message: str | Normalized) -> MatchResult:
        p = self.params
        n = message if isinstance(message, Normalized) else normalize(message)
        text = n.text
        if not text:
            return MatchResult(n, [])
        views = [(text, 0, 1.0)]
        parts = clauses(text)
        if len(parts) > 1:
            views += [(c.text, c.start, p.clause_discount) for c in parts]

        best: dict[str, _ViewScore] = {}
        for view_text, start, discount in views:
            for label, vs in self._score_view(view_text, start).items():
                vs.score *= discount
                if label not in best or vs.score > best[label].score:
                    best[label] = vs

        oos = best.pop(OOS, None)
        ranked = sorted(best.items(), key=lambda kv: kv[1].score, reverse=True)
        if not ranked:
            return MatchResult(n, [])

        def as_match(label: str, vs: _ViewScore) -> IntentMatch:
            spec = self.intents[label]
            return IntentMatch(label, spec.label, round(vs.score, 4), vs.evidence)

        top_label, top = ranked[0]
        oos_wins = oos is not None and oos.score >= top.score + p.oos_margin and not top.keyword
        if top.score < p.threshold or oos_wins:
            return MatchResult(n, [], best_rejected=as_match(top_label, top))

        chosen = [(top_label, top)]
        for label, vs in ranked[1:]:
            if vs.score < p.secondary_threshold:
                break
            # A second intent must come from its own clause or a keyword cue; otherwise it
            # is a near-neighbour of the first (色差 vs 错发), not a second problem.
            if vs.keyword or all(vs.clause_start != c.clause_start for _, c in chosen):
                chosen.append((label, vs))
        standalone = [c for c in chosen if self.intents[c[0]].standalone]
        if len(standalone) < len(chosen):
            chosen = [c for c in chosen if not self.intents[c[0]].standalone]
        return MatchResult(n, [as_match(label, vs) for label, vs in chosen])
