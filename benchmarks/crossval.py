"""Cross-validation of the intent matcher on the content pack's own examples.

Each fold holds out a share of every intent's examples (and of the out-of-scope
examples), trains the matcher on the rest and scores messages built only from the
held-out ones, so every figure is on text the matcher has not seen:

* **single**: each held-out example as it is (top-1, out-of-scope rejected);
* **glued**: a held-out example with a held-out greeting glued in front, or
  held-out fragments (怎么回事, 我前天买的) around it, the way real turns run
  several messages together: its intent must stay first and nothing spurious may
  be added;
* **pairs**: two held-out examples of different intents joined as one message
  (half of them a product problem followed by a remedy, 开胶了 + 想退货, the
  commonest pair in real turns): both must be found.

The reference classifier the issue compares against (character 1-3-gram TF-IDF +
logistic regression, C=10, out of scope as a class) is trained on the same folds.

``--choose`` picks the decision policy (``app/matching/policy.yaml``) on these
folds: the model settings by a small grid (the simplest within one standard error of
the best), then every decision value by
coordinate ascent on one objective (top-1 and out-of-scope rejected, single and
glued, weighed as messages come in real traffic (``OOS_SHARE``), plus pair recall,
minus twice the rate of spurious intents; within one standard error of the best, values
that beat the reference classifier on both top-1 and out of scope), and writes
them with the figures they were chosen on.  It also prints what each heuristic
is worth (the figures with it turned off).

    .venv/bin/python benchmarks/crossval.py [--folds 5] [--choose] [--no-baseline] [--confusions N]
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings  # noqa: E402
from app.content.files import load_content  # noqa: E402
from app.content.models import IntentSpec  # noqa: E402
from app.matching.features import clauses  # noqa: E402
from app.matching.matcher import IntentMatcher  # noqa: E402
from app.matching.policy import POLICY_FILE, Policy, decide  # noqa: E402
from app.text.normalize import normalize  # noqa: E402
from app.text.segment import Segmenter  # noqa: E402

JOINERS = ["，而且", "，还有", " 另外", "。", "，然后", " ", "!", " 还有就是", "", "然后", "但是"]
FRAGMENT = "~"  # the label of a held-out fragment (怎么回事, 我前天买的) in a fold

#: The share of out-of-scope messages in real buyer traffic (about one in six in the public
#: JD and Taobao logs, ../shared/eval/REAL_DEV.md), rounded up.  The objective weighs a wrongly
#: rejected in-scope message and a wrongly accepted out-of-scope one by it: weighing them
#: equally, as the pack's own class sizes would, turns down real problems to reject chit-chat.
OOS_SHARE = 0.2

# What the scan for near-identical examples keeps, so that --choose can try stricter settings offline.
SCAN = {"fuzzy_max_len": 12, "fuzzy_min_ratio": 70.0, "fuzzy_boost": 1.0, "clauses": True}


def folds(pack, k: int, seed: int = 7):
    rng = random.Random(seed)
    items = [(i.id, e) for i in pack.intents.values() for e in i.examples]
    items += [("", e) for e in pack.out_of_scope]
    items += [(FRAGMENT, e) for e in pack.fragments]
    rng.shuffle(items)
    for f in range(k):
        test = items[f::k]
        train = [it for j, it in enumerate(items) if j % k != f]
        yield train, test


def build(pack, train, segmenter, policy: Policy) -> IntentMatcher:
    by_intent: dict[str, list[str]] = {}
    for label, text in train:
        by_intent.setdefault(label, []).append(text)
    intents = {
        iid: IntentSpec(**{**spec.model_dump(), "examples": by_intent.get(iid) or spec.examples[:1]})
        for iid, spec in pack.intents.items()
    }
    return IntentMatcher(intents, by_intent.get("", []), segmenter, policy, fragments=by_intent.get(FRAGMENT, []))


def one_clause(text: str) -> bool:
    """An example of one clause carries one problem; a longer one may name a second (开胶了 能退吗)."""
    return len(clauses(normalize(text).text, join_below=2)) <= 1


# A product problem, then the remedy the buyer asks for: the commonest two-intent turn
# ("屏幕不亮了 怎么申请退货"), by the spec's categories.
PROBLEM_CATEGORIES = {"商品质量", "商品不符"}
REMEDY_CATEGORIES = {"售后"}


def cases(
    test, standalone: set[str], rng: random.Random, categories: dict[str, str] | None = None
) -> list[tuple[str, str, set[str], bool]]:
    """(kind, message, expected intents, clean) built from one fold's held-out examples.

    ``clean``: every example in it has one clause, so an intent beyond the expected
    ones is spurious (the pack labels each example with one intent, while a
    multi-clause example may well name a second problem: that is not counted)."""
    out = [
        ("single", text, {label} if label else set(), one_clause(text)) for label, text in test if label != FRAGMENT
    ]
    substantive = [(lbl, t) for lbl, t in test if lbl and lbl != FRAGMENT and lbl not in standalone]
    greetings = [t for lbl, t in test if lbl == "greeting"] or ["你好"]
    oos = [t for lbl, t in test if not lbl]
    fragments = [t for lbl, t in test if lbl == FRAGMENT] or ["怎么回事"]
    for label, text in substantive:
        shape = rng.randrange(4)
        if shape == 0:
            msg = rng.choice(greetings) + rng.choice([" ", "，", "? "]) + text
        elif shape == 1:
            msg = text + rng.choice([" ", "，", "。"]) + rng.choice(fragments)
        elif shape == 2:
            msg = rng.choice(fragments) + rng.choice([" ", "，"]) + text
        else:
            msg = rng.choice(greetings) + " " + rng.choice(fragments) + " " + text + " " + rng.choice(fragments)
        out.append(("glued", msg, {label}, one_clause(text)))
    for text in oos[: len(oos) // 2]:
        out.append(("glued", rng.choice(greetings) + " " + text, set(), True))
    for _ in range(len(substantive) // 2):
        (a, ta), (b, tb) = rng.sample(substantive, 2)
        if a != b:
            out.append(("pair", ta + rng.choice(JOINERS) + tb, {a, b}, one_clause(ta) and one_clause(tb)))
    categories = categories or {}
    problems = [(lbl, t) for lbl, t in substantive if categories.get(lbl) in PROBLEM_CATEGORIES]
    remedies = [(lbl, t) for lbl, t in substantive if categories.get(lbl) in REMEDY_CATEGORIES]
    for _ in range(min(len(problems), len(remedies)) // 2):
        (a, ta), (b, tb) = rng.choice(problems), rng.choice(remedies)
        out.append(("pair", ta + rng.choice(JOINERS) + tb, {a, b}, one_clause(ta) and one_clause(tb)))
    return out


@dataclasses.dataclass
class Scored:
    kind: str
    expected: set[str]
    clean: bool  # every example in it has one clause: an extra intent is spurious
    first: str | None  # the label of the first intent
    views: list  # the matcher's views, re-decided offline under other policies
    message: str
    #: The views' probabilities with the cues applied, per setting of the cues.
    cache: dict = dataclasses.field(default_factory=dict)

    def probabilities(self, policy: Policy) -> list[dict[str, float]]:
        key = (policy.keyword_boost, policy.fuzzy_boost, policy.fuzzy_max_len, policy.fuzzy_min_ratio)
        if key not in self.cache:
            self.cache[key] = [v.probabilities(policy) for v in self.views]
        probs = self.cache[key]
        return probs if policy.clauses else probs[:1]


def score_fold(matcher: IntentMatcher, fold_cases) -> list[Scored]:
    out = []
    for kind, msg, expected, clean in fold_cases:
        out.append(Scored(kind, expected, clean, None, matcher.views(normalize(msg)), msg))
    return out


def figures(scored: list[Scored], matcher: IntentMatcher, policy: Policy) -> dict[str, float]:
    """Every figure for ``policy`` on already-scored views (no retraining)."""
    c = Counter()
    for s in scored:
        probs = s.probabilities(policy)
        cues = [set(v.keywords) for v in s.views[: len(probs)]]
        got = [p.label for p in decide(probs, policy, matcher.standalone, cues).intents]
        first = got[0] if got else None
        s.first = first
        if s.clean and s.expected:
            c["clean_n"] += 1
            c["clean_extra"] += bool(set(got) - s.expected)
        if s.kind in ("single", "glued"):
            key = s.kind
            if s.expected:
                c[key + "_n"] += 1
                c[key + "_top1"] += first in s.expected
            else:
                c[key + "_oos_n"] += 1
                c[key + "_oos_ok"] += not got
        else:
            c["pair_n"] += 1
            c["pair_recall"] += len(set(got) & s.expected) / len(s.expected)
    f = {
        "top1": c["single_top1"] / max(c["single_n"], 1),
        "oos_reject": c["single_oos_ok"] / max(c["single_oos_n"], 1),
        "glued_top1": c["glued_top1"] / max(c["glued_n"], 1),
        "glued_oos_reject": c["glued_oos_ok"] / max(c["glued_oos_n"], 1),
        "multi_recall": c["pair_recall"] / max(c["pair_n"], 1),
        "spurious": c["clean_extra"] / max(c["clean_n"], 1),
    }
    # Single and glued messages, in-scope and out of scope mixed as in real traffic (scaled so that
    # the four weigh 2 together, as the pair recall weighs 1). A spurious intent costs the agent a
    # wrong reply to read past: it weighs twice.
    accuracy = (1 - OOS_SHARE) * (f["top1"] + f["glued_top1"]) + OOS_SHARE * (f["oos_reject"] + f["glued_oos_reject"])
    f["objective"] = 2 * accuracy + f["multi_recall"] - 2 * f["spurious"]
    return {k: round(v, 4) for k, v in f.items()}


def standard_error(runs, policy: Policy) -> float:
    """The standard error of the objective's mean over the folds."""
    values = [figures(scored, matcher, policy)["objective"] for matcher, scored in runs]
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5 / len(values) ** 0.5


def pooled(runs, policy: Policy) -> dict[str, float]:
    """Figures over all folds (``runs``: (matcher, scored) per fold), weighted by fold size."""
    total: Counter = Counter()
    for matcher, scored in runs:
        for k, v in figures(scored, matcher, policy).items():
            total[k] += v * len(scored)
    n = sum(len(s) for _, s in runs)
    return {k: round(v / n, 4) for k, v in total.items()}


def run_folds(pack, k: int, segmenter, policy: Policy, rng_seed: int = 3):
    rng = random.Random(rng_seed)
    scan = dataclasses.replace(policy, **SCAN)
    standalone = {i.id for i in pack.intents.values() if i.standalone}
    categories = {i.id: i.category for i in pack.intents.values()}
    runs = []
    for train, test in folds(pack, k):
        m = build(pack, train, segmenter, scan)
        runs.append((m, score_fold(m, cases(test, standalone, rng, categories))))
    return runs


def reference_model(train):
    """The reference classifier: character 1-3-gram TF-IDF + logistic regression, out of scope as a class."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
    clf = LogisticRegression(max_iter=3000, C=10)
    clf.fit(vec.fit_transform([normalize(t).text for _, t in train]), [lbl or "_oos" for lbl, _ in train])
    return lambda texts: list(clf.predict(vec.transform([normalize(t).text for t in texts])))


def reference_figures(model, test) -> dict[str, float]:
    """top-1 and out-of-scope rejected of ``model`` on (label, text) pairs; label "" = out of scope."""
    pred = model([t for _, t in test])
    ins = [(lbl, p) for (lbl, _), p in zip(test, pred, strict=True) if lbl]
    oos = [p for (lbl, _), p in zip(test, pred, strict=True) if not lbl]
    return {
        "top1": round(sum(lbl == p for lbl, p in ins) / max(len(ins), 1), 4),
        "oos_reject": round(sum(p == "_oos" for p in oos) / max(len(oos), 1), 4),
    }


def reference(pack, k: int) -> dict[str, float]:
    """The reference classifier on the same folds (single messages only)."""
    total: Counter = Counter()
    for train, test in folds(pack, k):
        train = [("" if lbl == FRAGMENT else lbl, t) for lbl, t in train]  # it has no fragment class
        test = [(lbl, t) for lbl, t in test if lbl != FRAGMENT]
        f = reference_figures(reference_model(train), test)
        total["top1"] += f["top1"] * sum(1 for lbl, _ in test if lbl)
        total["oos"] += f["oos_reject"] * sum(1 for lbl, _ in test if not lbl)
        total["n"] += sum(1 for lbl, _ in test if lbl)
        total["n0"] += sum(1 for lbl, _ in test if not lbl)
    return {"top1": round(total["top1"] / total["n"], 4), "oos_reject": round(total["oos"] / max(total["n0"], 1), 4)}


def reference_on(pack, path: Path) -> dict[str, float]:
    """The reference classifier trained on the whole pack, scored on a labelled file
    (``evaluate.py``'s format: {"message", "intents"}): the side-by-side figure for the README."""
    import json

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    train = [(i.id, e) for i in pack.intents.values() for e in i.examples] + [("", e) for e in pack.out_of_scope]
    train += [("", e) for e in pack.fragments]  # it has no class of its own: pieces of text are out of scope
    test = [((r["intents"] or [""])[0], r["message"]) for r in rows]
    return reference_figures(reference_model(train), test)


GRID = {
    "keyword_boost": [0.0, 0.5, 1.0, 1.5, 2.0, 3.0],
    "fuzzy_boost": [0.0, 0.5, 1.0, 2.0, 3.0],
    "fuzzy_max_len": [4, 6, 8, 10, 12],
    "fuzzy_min_ratio": [70.0, 75.0, 80.0, 85.0, 90.0],
    "accept": [round(0.05 * i, 2) for i in range(2, 15)],
    "oos_ratio": [0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0],
    "oos_veto": [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01],
    "secondary": [round(0.05 * i, 2) for i in range(4, 20)],
    "whole_secondary": [0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 1.01],
    "keyword_secondary": [0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 1.01],
    "clauses": [True, False],
    "clause_may_lead": [True, False],
    "clause_lead_below": [0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
    "clause_support": [0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2],
}
MODEL_GRID = [
    {"C": 1.0, "ngrams": (1, 2)},
    {"C": 2.0, "ngrams": (1, 2)},
    {"C": 4.0, "ngrams": (1, 2)},
    {"C": 2.0, "ngrams": (1, 2, 3)},
    {"C": 2.0, "ngrams": (1, 2), "clause_join_below": 3},
    {"C": 2.0, "ngrams": (1, 2), "clause_join_below": 2},
]
#: The decision values tried for every model of MODEL_GRID (the rest only for the best model).
QUICK = ("accept", "oos_ratio", "oos_veto", "secondary")


def beats(f: dict, floor: dict | None) -> bool:
    """Does ``f`` find more in-scope and reject more out-of-scope messages than ``floor`` (the reference)?"""
    return floor is None or (f["top1"] > floor["top1"] and f["oos_reject"] > floor["oos_reject"])


def choose(
    runs, start: Policy, log, names=tuple(GRID), floor: dict | None = None, within: float = float("-inf")
) -> tuple[Policy, dict]:
    """Coordinate ascent over the decision values ``names``, on already-scored folds.

    With ``floor`` (the reference classifier's figures), values that beat it on both top-1 and
    out of scope, with an objective of at least ``within``, come first, then the objective."""

    def key(f: dict) -> tuple[bool, float]:
        return (beats(f, floor) and f["objective"] >= within, f["objective"])

    best, best_f = start, pooled(runs, start)
    for rnd in range(3):
        changed = False
        for name in names:
            values = GRID[name]
            for v in values:
                cand = dataclasses.replace(best, **{name: v})
                f = pooled(runs, cand)
                if key(f) > (key(best_f)[0], best_f["objective"] + 1e-9):
                    best, best_f, changed = cand, f, True
        log(f"  round {rnd + 1}: objective {best_f['objective']:.4f}")
        if not changed:
            break
    return best, best_f


def show(name: str, f: dict) -> str:
    return (
        f"{name:34s} top1 {f['top1']:.3f}  oos {f['oos_reject']:.3f}  glued {f['glued_top1']:.3f}"
        f"  glued_oos {f['glued_oos_reject']:.3f}  multi {f['multi_recall']:.3f}  spurious {f['spurious']:.3f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--choose", action="store_true", help=f"choose the policy and write {POLICY_FILE.name}")
    ap.add_argument("--no-baseline", action="store_true", help="skip the reference classifier (slow)")
    ap.add_argument("--confusions", type=int, default=0, metavar="N", help="print the N most frequent confusions")
    ap.add_argument(
        "--reference-on", type=Path, nargs="*", default=[], metavar="FILE",
        help="also score the reference classifier, trained on the whole pack, on these labelled files",
    )
    a = ap.parse_args()
    settings = Settings()
    pack, _ = load_content(settings.intents_dir, settings.templates_dir)
    segmenter = Segmenter()
    n_in = sum(len(i.examples) for i in pack.intents.values())
    print(f"examples: {n_in} in scope, {len(pack.out_of_scope)} out of scope, {a.folds} folds")
    policy = Policy.load()

    if a.choose:
        t0 = time.perf_counter()
        tried = []
        for n, model in enumerate(MODEL_GRID):
            cand = dataclasses.replace(policy, **model)
            runs = run_folds(pack, a.folds, segmenter, cand)
            cand, f = choose(runs, cand, lambda s: None, QUICK)
            se = standard_error(runs, cand)
            print(f"model {model}: objective {f['objective']:.4f} ± {se:.4f}", flush=True)
            tried.append((f["objective"], se, (model["C"], len(model["ngrams"]), n), cand, runs))
        # The one-standard-error rule: the simplest model (least C, fewest n-gram sizes) whose
        # objective is within one standard error of the best. The folds share the pack's own
        # phrasing, so a sharper fit that wins by less than the folds disagree buys nothing on
        # text written by others.
        top, top_se = max((t[0], t[1]) for t in tried)
        _, _, _, best_model, best_runs = min((t for t in tried if t[0] >= top - top_se), key=lambda t: t[2])
        print(f"simplest model within one standard error of the best: C={best_model.C} ngrams={best_model.ngrams}")
        policy, f = choose(best_runs, best_model, print)
        ref = None if a.no_baseline else reference(pack, a.folds)
        if ref is not None and not beats(f, ref):
            # A plain classifier is the least the matcher must do on both counts; the objective
            # cannot tell apart operating points closer together than the folds disagree, so
            # among those within one standard error of the best, one that beats it is taken.
            se = standard_error(best_runs, policy)
            cand, g = choose(best_runs, policy, print, floor=ref, within=f["objective"] - se)
            if beats(g, ref) and g["objective"] >= f["objective"] - se:
                print(f"beats the reference on both at objective {g['objective']:.4f} (best {f['objective']:.4f} ± {se:.4f})")
                policy, f = cand, g
        runs = best_runs
        print(f"chosen in {time.perf_counter() - t0:.0f} s")
    else:
        runs = run_folds(pack, a.folds, segmenter, policy)
        f = pooled(runs, policy)

    print(show("shouhou", f))
    ablations = {
        "without keyword cues": {"keyword_boost": 0.0},
        "without fuzzy short-message match": {"fuzzy_boost": 0.0},
        "without clauses (whole message only)": {"clauses": False},
        "clauses never lead": {"clause_may_lead": False, "clause_lead_below": 0.0},
    }
    worth = {}
    for name, change in ablations.items():
        g = pooled(runs, dataclasses.replace(policy, **change))
        worth[name] = round(f["objective"] - g["objective"], 4)
        print(show(name, g))
    if not a.choose:
        ref = None if a.no_baseline else reference(pack, a.folds)
    if ref:
        print(f"{'reference (char 1-3 TF-IDF + LR)':34s} top1 {ref['top1']:.3f}  oos {ref['oos_reject']:.3f}")

    for path in a.reference_on:
        r = reference_on(pack, path)
        print(f"reference on {path.name}: top1 {r['top1']:.3f}  oos {r['oos_reject']:.3f}")

    if a.confusions:
        conf = Counter()
        pooled(runs, policy)  # sets each case's first label under this policy
        for _, scored in runs:
            for s in scored:
                if s.kind == "single":
                    want = next(iter(s.expected)) if s.expected else "(no match)"
                    got = s.first or "(no match)"
                    if want != got:
                        conf[(want, got)] += 1
        print("most frequent confusions (held-out label -> answer):")
        for (want, got), k in conf.most_common(a.confusions):
            print(f"  {want:22s} -> {got:22s} x{k}")

    if a.choose:
        figs = {"examples": n_in, "out_of_scope": len(pack.out_of_scope), "folds": a.folds, **f}
        figs["heuristic_worth"] = worth
        if ref:
            figs["reference"] = ref
        policy = dataclasses.replace(policy, figures=figs)
        header = (
            "# The matcher's decision policy, chosen by `benchmarks/crossval.py --choose` on the\n"
            "# content pack's own examples (never on evaluation data). Probabilities are calibrated;\n"
            "# see app/matching/policy.py for what each value means. `figures` are what they were\n"
            "# chosen on; `heuristic_worth` is how much each cue adds to the objective.\n"
        )
        policy.dump(POLICY_FILE, header)
        print(f"wrote {POLICY_FILE.relative_to(Path.cwd()) if POLICY_FILE.is_relative_to(Path.cwd()) else POLICY_FILE}")


if __name__ == "__main__":
    main()
