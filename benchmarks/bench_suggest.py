"""Latency of suggest, in-process, with the full content pack and with 10x the examples.

Prints p50/p99 of ``Assistant.suggest`` (matching + rendering + guard + alerts); then
``POST /v1/suggest`` through the ASGI app in-process next to a bare FastAPI JSON
endpoint in the same run, with the ratio of their p50s (target ≤ 2×), for contexts
that repeat (the replies' flags are remembered) and for a new order in every request;
then the same engine call after multiplying every intent's examples by ten (with
small variations, so they are distinct texts), and the time to rebuild the match index.

    .venv/bin/python benchmarks/bench_suggest.py
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings  # noqa: E402
from app.content.files import ContentPack  # noqa: E402
from app.editing.sync import load_from_files  # noqa: E402
from app.engine.assistant import Assistant  # noqa: E402
from app.text.segment import Segmenter  # noqa: E402

MESSAGES = [
    "在吗",
    "好的谢谢",
    "收到的鞋子颜色和图片差好多，实物暗了一个色",
    "亲 衣服颜色跟图片完全不一样，而且还少发了一条裤子，你们怎么回事",
    "快递显示已经签收了但是我家里人都说没看到，驿站也没有，麻烦帮我查一下到底送哪去了",
    "你们公司还招客服吗",
    "我前天买的那个电饭煲，用了两次就不加热了，按键也没反应，能换一个还是怎么处理，我不想退，就想要个能用的，着急做饭呢，麻烦尽快给个答复，不然我只能去投诉了",
    "能給我發順豐嗎 急用",
]
CONTEXT = {"buyer_name": "小王", "order_id": "3312456789", "item_name": "F5716 女鞋"}
VARIANTS = ["", "啊", "呢", "亲", "吧", "哦", "哈", "呀", "嘛", "了"]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def time_calls(fn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        for m in MESSAGES:
            t = time.perf_counter()
            fn(m)
            out.append((time.perf_counter() - t) * 1000)
    return out


def report(label: str, ms: list[float]) -> None:
    print(
        f"{label:44s} p50 {statistics.median(ms):6.2f} ms   p99 {pct(ms, 0.99):6.2f} ms   (n={len(ms)})"
    )


def tenfold(pack: ContentPack) -> ContentPack:
    intents = {}
    for iid, spec in pack.intents.items():
        examples = [e + v for e in spec.examples for v in VARIANTS]
        intents[iid] = spec.model_copy(update={"examples": examples})
    oos = [e + v for e in pack.out_of_scope for v in VARIANTS]
    fragments = [e + v for e in pack.fragments for v in VARIANTS]
    return ContentPack(intents, pack.templates, oos, pack.variables, fragments)


def main() -> None:
    warnings.filterwarnings("ignore", message="Using `httpx`")
    settings = Settings()
    pack, rules, _ = load_from_files(settings)
    segmenter = Segmenter()
    engine = Assistant.build(pack, rules, segmenter)
    n_examples = sum(len(i.examples) for i in pack.intents.values()) + len(pack.out_of_scope)
    print(
        f"content: {len(pack.intents)} intents, {n_examples} examples, {len(pack.templates)} templates, {len(rules)} rules"
    )

    time_calls(engine.suggest, 3)  # warm caches
    report("suggest (engine, full pack)", time_calls(engine.suggest, 60))

    rebuilds = []
    for n in range(5):
        # As after an editor saves an intent with one more example: the classifier is retrained.
        spec = pack.intents["color_difference"]
        edited = spec.model_copy(update={"examples": [*spec.examples, f"颜色和图上差了第{n}个色号"]})
        pack = ContentPack({**pack.intents, spec.id: edited}, pack.templates, pack.out_of_scope, pack.variables, pack.fragments)
        t = time.perf_counter()
        engine = Assistant.build(pack, rules, segmenter, previous=engine)
        rebuilds.append((time.perf_counter() - t) * 1000)
    print(f"{'rebuild after an intent edit (full pack)':44s} median {statistics.median(rebuilds):6.1f} ms")

    from inprocess import compare, with_apps

    shop = {"carriers": ["申通"]}
    same = [{"message": m} for m in MESSAGES]
    same += [{"message": m, "context": CONTEXT, "shop": shop} for m in MESSAGES]
    # Every request for another order: the replies differ in their order number and name.
    fresh = [
        {"message": m, "context": {**CONTEXT, "order_id": str(3312456789 + 97 * n), "buyer_name": f"买家{n}"}, "shop": shop}
        for n in range(30)
        for m in MESSAGES
    ]

    # A pasted chat of 12 turns: parsed context, the newest buyer turn answered, the promise ledger.
    chat = []
    for n in range(3):
        chat += [
            {"role": "buyer", "text": f"在吗 订单号 {3312456789 + n} 我想问下什么时候能发货"},
            {"role": "agent", "text": "在的亲，已经帮您催仓库了，给您备注发韵达，今天给您发出"},
            {"role": "buyer", "text": "好的 鞋子要42码的 别发错了"},
            {"role": "agent", "text": "好的亲，给您备注好了，再送您一双袜子"},
        ]
    chats = [{"conversation": [*chat, {"role": "buyer", "text": m}], "shop": shop} for m in MESSAGES]

    def both(app, bare):
        compare(app, bare, "/v1/suggest", same, 30, "POST /v1/suggest, repeated contexts")
        compare(app, bare, "/v1/suggest", fresh, 1, "POST /v1/suggest, a new order each time", warmup=same)
        compare(app, bare, "/v1/suggest", chats, 20, "POST /v1/suggest, a 13-turn conversation")

    with_apps({}, both)

    big = tenfold(pack)
    t = time.perf_counter()
    big_engine = Assistant.build(big, rules, segmenter)
    build_ms = (time.perf_counter() - t) * 1000
    n_big = sum(len(i.examples) for i in big.intents.values()) + len(big.out_of_scope)
    time_calls(big_engine.suggest, 2)
    report(f"suggest (engine, 10x: {n_big} examples)", time_calls(big_engine.suggest, 30))
    print(f"{'build index (10x)':44s} {build_ms:6.1f} ms")


if __name__ == "__main__":
    main()
