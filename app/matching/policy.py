"""The decision policy: from calibrated probabilities to "these intents" or "no confident match".

Everything here is a pure function of probabilities and a ``Policy``, whose values
are data (``policy.yaml`` beside this module).  ``benchmarks/crossval.py --choose``
picks them by cross-validation on the content pack's own examples (never on
evaluation data) and writes them there together with the figures they were chosen
on, so a change of policy is a reviewed diff of numbers, not of code.

A message is seen in *views*: the whole message first, then each of its clauses
(when it has more than one).  Each view has a probability for every intent and
for the out-of-scope class.  The policy:

1. **Cues** (``adjust``): a keyword of an intent adds ``keyword_boost`` to that
   intent's log-odds; a negated keyword (不是色差) rules the intent out of that
   view; a near-identical short example (rapidfuzz) adds ``fuzzy_boost``.
   A boost of 0 turns a cue off, so cross-validation can show whether it helps.
2. **The main intent** (``decide``) is the whole message's best intent, or a
   clause's best intent when ``clause_may_lead`` and it is more probable (a long
   turn glues several messages: the problem may sit in one of them), or when the
   whole message's best is below ``clause_lead_below`` (a turn that spreads its
   probability over several readings, "包裹一直没收到 麻烦帮我看下", is led by
   the clause that is sure of itself).  Greetings
   and thanks (``standalone`` intents) never lead when anything else is found,
   and are judged on the whole message only: glued to a question that is not
   after-sales, a greeting is no match.  A clause's intent only counts when the
   whole message gives it at least ``clause_support``: a clause of three
   characters ("怎么处理") can look sure of itself on its own while the message as
   a whole is about something else.
3. **No confident match** when the main intent's probability (in the view where
   it is most probable) is below ``accept``, or out of scope is more probable
   there than ``oos_ratio`` times it, or the whole message is out of scope with
   at least ``oos_veto`` ("运费多少 我还没买": its clause 运费多少 alone looks
   like a return-postage question, the message does not).
4. **Further intents**: a clause's best intent with at least ``secondary``, and
   more probable than out of scope in that clause; and the whole message's
   runner-up with at least ``whole_secondary`` (two problems in one run-on
   sentence share the probability between them); and an intent whose keyword
   is in a view, with at least ``keyword_secondary`` there ("有划痕 不想要了
   申请退货": 申请退货 is a cue of its own).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import yaml

OOS = "_out_of_scope"
POLICY_FILE = Path(__file__).with_name("policy.yaml")


@dataclass(frozen=True)
class Policy:
    # The model
    C: float = 1.0  # LinearSVC regularisation
    ngrams: tuple[int, ...] = (1, 2)  # character n-gram sizes, beside jieba words
    # Cues, as log-odds added to an intent (0 = off)
    keyword_boost: float = 1.5
    fuzzy_boost: float = 1.5
    fuzzy_max_len: int = 8
    fuzzy_min_ratio: float = 85.0
    # Decisions, on calibrated probabilities
    accept: float = 0.35
    oos_ratio: float = 1.0
    oos_veto: float = 1.01  # the whole message at least this likely out of scope: no clause overturns it
    secondary: float = 0.5
    whole_secondary: float = 1.01  # the whole message's runner-up with at least this (above 1: off)
    keyword_secondary: float = 1.01  # an intent whose keyword is in a clause, with at least this there
    clauses: bool = True  # score each clause too (off: the whole message only)
    clause_join_below: int = 4  # a piece shorter than this joins the clause before it ("退了吧")
    clause_may_lead: bool = True
    clause_lead_below: float = 0.0  # when the whole message's best is below this, a more probable clause leads
    clause_support: float = 0.0  # a clause's intent needs at least this probability in the whole message
    #: What the values were chosen on (written by crossval; informative only).
    figures: dict = field(default_factory=dict, compare=False)

    @classmethod
    def load(cls, path: Path = POLICY_FILE) -> Policy:
        if not path.exists():
            return cls()
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"{path}: unknown policy keys {sorted(unknown)}")
        if "ngrams" in data:
            data["ngrams"] = tuple(data["ngrams"])
        return cls(**data)

    def dump(self, path: Path = POLICY_FILE, header: str = "") -> None:
        data = asdict(self)
        data["ngrams"] = list(self.ngrams)
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        path.write_text(header + text, encoding="utf-8")


Probs = dict[str, float]


def adjust(
    probs: Probs,
    policy: Policy,
    keywords: set[str] = frozenset(),
    negated: set[str] = frozenset(),
    fuzzy: dict[str, float] | None = None,
) -> Probs:
    """Apply the cues to one view's probabilities and renormalise.

    ``keywords``: intents with a keyword in the view; ``negated``: intents whose
    keywords occur only after a negation; ``fuzzy``: intent -> similarity (0..1) of a
    near-identical example.
    """
    # Adding b to a class's log-odds multiplies its unnormalised probability by e**b.
    factor: dict[str, float] = {}
    for label in keywords:
        factor[label] = factor.get(label, 1.0) * math.exp(policy.keyword_boost)
    for label in fuzzy or {}:
        factor[label] = factor.get(label, 1.0) * math.exp(policy.fuzzy_boost)
    for label in negated:
        factor[label] = 0.0
    factor = {k: f for k, f in factor.items() if k in probs and f != 1.0}
    if not factor:
        return probs
    scaled = {k: v * factor.get(k, 1.0) for k, v in probs.items()}
    total = sum(scaled.values())
    if total <= 0:  # every class ruled out: nothing to choose from
        return {k: 0.0 for k in probs}
    return {k: v / total for k, v in scaled.items()}


@dataclass(frozen=True)
class Pick:
    label: str
    probability: float
    view: int  # 0 = the whole message, i = its i-th clause


@dataclass(frozen=True)
class Decision:
    intents: list[Pick]
    #: The best intent when nothing was confident enough ("no confident match" UIs).
    best_rejected: Pick | None = None


def _top(probs: Probs, exclude: set[str]) -> tuple[str, float] | None:
    best = None
    for label, p in probs.items():
        if label != OOS and label not in exclude and (best is None or p > best[1]):
            best = (label, p)
    return best


def decide(
    views: list[Probs],
    policy: Policy,
    standalone: set[str] = frozenset(),
    keywords: list[set[str]] | None = None,
) -> Decision:
    """Which intents a message has; ``views[0]`` is the whole message, the rest its clauses.

    ``keywords``: per view, the intents whose keywords occur there (not negated)."""
    if not views or not views[0]:
        return Decision([])
    whole = views[0]
    first = _top(whole, set())
    if first is None:
        return Decision([])
    # Each clause's best intent, when the clause is not rather out of scope.
    candidates = [Pick(first[0], first[1], 0)]
    for i, view in enumerate(views[1:], 1):
        top = _top(view, set())
        if top is not None and top[1] > view.get(OOS, 0.0) and whole.get(top[0], 0.0) >= policy.clause_support:
            candidates.append(Pick(top[0], top[1], i))

    # Greetings and thanks lead only when nothing else is found ("亲 在吗 鞋子开胶了").
    substantive = [c for c in candidates if c.label not in standalone]
    pool = substantive or candidates
    main = candidates[0] if candidates[0] in pool else max(pool, key=lambda c: c.probability)
    if policy.clause_may_lead or main.label in standalone or main.probability < policy.clause_lead_below:
        best = max(pool, key=lambda c: c.probability)
        if best.probability > main.probability:
            main = best

    if main.label in standalone:
        # A greeting or thanks is about the whole message: "你好 这款有优惠吗" is a question that
        # is not after-sales, not a greeting; "东西挺好 谢谢啦" is thanks.
        main = Pick(main.label, whole[main.label], 0)
    else:
        # A problem's strength is its best view: "包裹一直没收到 麻烦帮我看下" is sure in its
        # first clause even where the whole message spreads its probability.
        main = max((c for c in candidates if c.label == main.label), key=lambda c: c.probability)
    oos = views[main.view].get(OOS, 0.0)
    if (
        main.probability < policy.accept
        or oos > policy.oos_ratio * main.probability
        or whole.get(OOS, 0.0) >= policy.oos_veto
    ):
        return Decision([], best_rejected=main)

    chosen = {main.label: main}
    for c in candidates[1:]:
        if c.label not in chosen and c.probability >= policy.secondary:
            chosen[c.label] = c
    runner_up = _top(whole, standalone | set(chosen))
    if runner_up is not None and runner_up[1] >= policy.whole_secondary:
        chosen[runner_up[0]] = Pick(runner_up[0], runner_up[1], 0)
    for i, cues in enumerate(keywords or []):
        for label in sorted(cues - standalone - set(chosen)):
            p = views[i].get(label, 0.0)
            if p >= policy.keyword_secondary:
                chosen[label] = Pick(label, p, i)
    picks = [main] + sorted((c for c in chosen.values() if c is not main), key=lambda c: -c.probability)
    if any(p.label not in standalone for p in picks):
        picks = [p for p in picks if p.label not in standalone]
    return Decision(picks)
