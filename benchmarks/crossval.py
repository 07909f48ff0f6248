"""Cross-validation of the intent matcher on the content pack's own examples.

Each fold holds out a share of every intent's examples (and of the out-of-scope
examples), builds the matcher on the rest and scores the held-out messages, so
the figures are on messages the matcher has not seen.  It also builds the
reference classifier the issue compares against (character n-gram TF-IDF +
logistic regression, scikit-learn) on the same folds, and sweeps the acceptance
threshold so it can be calibrated on our own data, never on the eval sets.

    .venv/bin/python benchmarks/crossval.py [--folds 5] [--sweep]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings  # noqa: E402
from app.content.files import load_content  # noqa: E402
from app.content.models import IntentSpec  # noqa: E402
from app.matching.matcher import IntentMatcher, MatchParams  # noqa: E402
from app.text.segment import Segmenter  # noqa: E402

JOINERS = ["，而且", "，还有", " 另外", "。", "，然后", " "]


def folds(pack, k: int, seed: int = 7):
    rng = random.Random(seed)
    items = [(i.id, e) for i in pack.intents.values() for e in i.examples]
    items += [("", e) for e in pack.out_of_scope]
    rng.shuffle(items)
    for f in range(k):
        test = items[f::k]
        test_set = set(map(id, test))
        train = [it for it in items if id(it) not in test_set]
        yield train, test


def build(pack, train, segmenter, params):
    by_intent: dict[str, list[str]] = {}
    oos = []
    for label, text in train:
        (by_intent.setdefault(label, []) if label else oos).append(text)
    intents = {
        iid: IntentSpec(
            **{**spec.model_dump(), "examples": by_intent.get(iid) or spec.examples[:1]}
        )
        for iid, spec in pack.intents.items()
    }
    return IntentMatcher(intents, oos, segmenter, params)


def score(matcher, test, rng):
    top1 = n_in = oos = oos_ok = 0
    results = []
    for label, text in test:
        got = matcher.match(text)
        ids = [m.id for m in got.intents]
        best = (
            got.intents[0].score
            if got.intents
            else (got.best_rejected.score if got.best_rejected else 0.0)
        )
        best_id = (
            got.intents[0].id
            if got.intents
            else (got.best_rejected.id if got.best_rejected else None)
        )
        results.append((label, ids[0] if ids else None, best_id, best))
        if label:
            n_in += 1
            top1 += bool(ids) and ids[0] == label
        else:
            oos += 1
            oos_ok += not ids
    # Synthetic two-problem messages from held-out examples of two different intents.
    ins = [(lbl, t) for lbl, t in test if lbl]
    multi = recall = 0.0
    for _ in range(150):
        (a, ta), (b, tb) = rng.sample(ins, 2)
        if a == b or pack_standalone(matcher, a) or pack_standalone(matcher, b):
            continue
        got = {m.id for m in matcher.match(ta + rng.choice(JOINERS) + tb).intents}
        multi += 1
        recall += ((a in got) + (b in got)) / 2
    return top1, n_in, oos_ok, oos, recall, multi, results


def pack_standalone(matcher, iid):
    return matcher.intents[iid].standalone


def baseline(train, test):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from app.text.normalize import normalize

    xs = [normalize(t).text for lbl, t in train]
    ys = [lbl or "_oos" for lbl, t in train]
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
    clf = LogisticRegression(max_iter=2000, C=10)
    clf.fit(vec.fit_transform(xs), ys)
    pred = clf.predict(vec.transform([normalize(t).text for _, t in test]))
    ins = [(lbl, p) for (lbl, _), p in zip(test, pred, strict=True) if lbl]
    oos = [(lbl, p) for (lbl, _), p in zip(test, pred, strict=True) if not lbl]
    return sum(lbl == p for lbl, p in ins), len(ins), sum(p == "_oos" for _, p in oos), len(oos)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--sweep", action="store_true", help="try acceptance thresholds")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--confusions", type=int, default=0, metavar="N", help="print the N most frequent confusions")
    ap.add_argument("--standalone", default="greeting,thanks", help=argparse.SUPPRESS)
    a = ap.parse_args()
    settings = Settings()
    pack, problems = load_content(settings.intents_dir, settings.templates_dir)
    segmenter = Segmenter()
    params = MatchParams()
    rng = random.Random(3)
    tot = [0] * 6
    btot = [0] * 4
    all_results = []
    for train, test in folds(pack, a.folds):
        m = build(pack, train, segmenter, params)
        r = score(m, test, rng)
        tot = [x + y for x, y in zip(tot, r[:6], strict=True)]
        all_results += r[6]
        if not a.no_baseline:
            btot = [x + y for x, y in zip(btot, baseline(train, test), strict=True)]
    top1, n_in, oos_ok, oos, recall, multi = tot
    print(f"examples: {n_in} in scope, {oos} out of scope, {a.folds} folds")
    print(
        f"shouhou   top1 {top1 / n_in:.3f}  oos_reject {oos_ok / max(oos, 1):.3f}  multi_recall {recall / max(multi, 1):.3f}"
    )
    if not a.no_baseline:
        bt, bn, bo, bon = btot
        print(
            f"baseline  top1 {bt / bn:.3f}  oos_reject {bo / max(bon, 1):.3f}  (char 1-3gram TF-IDF + logistic regression)"
        )
    if a.confusions:
        from collections import Counter

        conf = Counter((lbl or "(out of scope)", got or "(no match)") for lbl, got, _, _ in all_results if lbl != (got or ""))
        print("most frequent confusions (held-out label -> answer):")
        for (lbl, got), k in conf.most_common(a.confusions):
            print(f"  {lbl:22s} -> {got:22s} x{k}")
    if a.sweep:
        print("threshold sweep (top1 counts a rejected in-scope message as a miss):")
        for t in [x / 100 for x in range(20, 62, 2)]:
            t1 = sum(1 for lbl, _, b, s in all_results if lbl and b == lbl and s >= t)
            ok = sum(1 for lbl, _, b, s in all_results if not lbl and (s < t))
            n1 = sum(1 for r in all_results if r[0])
            n0 = sum(1 for r in all_results if not r[0])
            print(f"  {t:.2f}  top1 {t1 / n1:.3f}  oos_reject~ {ok / max(n0, 1):.3f}")


if __name__ == "__main__":
    main()
