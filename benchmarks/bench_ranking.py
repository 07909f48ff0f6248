"""How fast the ranking learns: agents who prefer one template, and after how many suggestions it leads.

For every intent with three or more templates, the template the editors' default order
puts last is the one agents prefer: they use it 60 % of the times it is shown and any
other 10 % (then weaker preferences, 30 % and 20 % against 10 %).  Each round is one
suggest answer (top 3) for a message of that intent; the ranking table is rebuilt from
the counts every 1 or 10 rounds (the server rebuilds it every 30 s).  Printed: after
how many suggestions the preferred template is first and stays first, over ``--seeds``
runs per intent (median, 90th percentile, worst).

    .venv/bin/python benchmarks/bench_ranking.py [--seeds 20]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings  # noqa: E402
from app.editing.sync import load_from_files  # noqa: E402
from app.engine.assistant import Assistant  # noqa: E402
from app.ranking import RankingTable, TemplateCount  # noqa: E402
from app.text.normalize import normalize  # noqa: E402
from app.text.segment import Segmenter  # noqa: E402

ROUNDS = 400


def first_place_at(
    engine: Assistant, intent: str, message: str, prefer: str, p_prefer: float, p_other: float, refresh: int, seed: int
) -> int | None:
    """The round after which ``prefer`` is first for the rest of the run (None: never)."""
    rng = random.Random(seed)
    shown: dict[str, int] = {}
    used: dict[str, int] = {}
    table = RankingTable()
    since = None
    for n in range(1, ROUNDS + 1):
        result = engine.suggest(message, top_k=3, ranking=table.for_shop("shop"))
        order = [s.template_id for s in result.suggestions if s.intent == intent]
        if order and order[0] == prefer:
            since = n if since is None else since
        else:
            since = None
        for tid in order:
            shown[tid] = shown.get(tid, 0) + 1
            if rng.random() < (p_prefer if tid == prefer else p_other):
                used[tid] = used.get(tid, 0) + 1
        if n % refresh == 0:
            table = RankingTable.from_counts(
                TemplateCount("shop", intent, t, k, used.get(t, 0)) for t, k in shown.items()
            )
    return since


def scenario(engine: Assistant, cases: list[tuple[str, str, str]], p_prefer: float, p_other: float, refresh: int, seeds: int) -> None:
    got: list[int] = []
    never = 0
    for k, (intent, message, prefer) in enumerate(cases):
        for seed in range(seeds):
            r = first_place_at(engine, intent, message, prefer, p_prefer, p_other, refresh, seed * 1000 + k)
            if r is None:
                never += 1
            else:
                got.append(r)
    got.sort()
    label = f"prefer {p_prefer:.0%} vs {p_other:.0%}, table every {refresh:2d} suggestion(s)"
    if got:
        print(
            f"  {label}: first for good after median {statistics.median(got):5.1f}, 90th pct {got[int(0.9 * len(got))]:4d},"
            f" worst {got[-1]:4d} suggestions; never within {ROUNDS}: {never}/{len(got) + never}"
        )
    else:
        print(f"  {label}: never within {ROUNDS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()

    pack, rules, _ = load_from_files(Settings())
    engine = Assistant.build(pack, rules, Segmenter())
    cases = []
    for intent, spec in sorted(pack.intents.items()):
        templates = engine.templates_for(intent)
        if len(templates) < 3:
            continue
        # A message the engine matches to this intent alone (its first example that does).
        message = next(
            (e for e in spec.examples if [m.id for m in engine.matcher.match(normalize(e)).intents] == [intent]), None
        )
        if message is not None:
            cases.append((intent, message, templates[-1].id))  # the one the default order puts last
    print(f"{len(cases)} intents, {args.seeds} runs each of {ROUNDS} suggestions (top 3); the preferred template starts last")
    for p_prefer, p_other, refresh in ((0.6, 0.1, 1), (0.6, 0.1, 10), (0.3, 0.1, 1), (0.2, 0.1, 1), (0.2, 0.1, 10)):
        scenario(engine, cases, p_prefer, p_other, refresh, args.seeds)


if __name__ == "__main__":
    main()
