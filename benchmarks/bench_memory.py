"""Memory: RSS of a server process after start (full pack, the classifier from the on-disk
cache) and after it has answered N unique buyer messages (default 20,000).

Nothing a request brings in may stay: features are cached for training examples only.
The messages are made up here (pieces of after-sales talk with random characters, so that
every one is new), never taken from the evaluation sets.

    .venv/bin/python benchmarks/bench_memory.py [--messages 20000]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PIECES = [
    "亲在吗", "颜色和图片不太一样", "少发了一件", "快递好几天没动了", "我要退货", "鞋子开胶了", "尺码偏小",
    "发票怎么开", "能便宜点吗", "什么时候发货", "包装破了", "收到的是旧的", "想换个颜色", "怎么还没到",
    "客服你好", "我前天买的", "订单号", "怎么回事啊", "谢谢", "能不能补发", "退款什么时候到账",
]


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def message(rng: random.Random, i: int) -> str:
    noise = "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(rng.randint(2, 6)))
    parts = rng.sample(PIECES, rng.randint(1, 3))
    return f"{'，'.join(parts)}{noise}{i}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--database", help="SQLite file (default: a new one in a temporary directory)")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="shouhou-bench-mem-")
    os.environ.setdefault("SHOUHOU_DATABASE_URL", f"sqlite:///{args.database or Path(tmp) / 'shouhou.db'}")

    from app.config import Settings
    from app.main import create_app

    base = rss_mb()
    t0 = time.perf_counter()
    app = create_app(Settings(agent_access="open"))
    engine = app.state.holder.current()
    engine.suggest("在吗")
    gc.collect()
    start = rss_mb()
    heavy = [m for m in ("sklearn", "scipy") if m in sys.modules]
    print(f"after start (create_app + first answer, {time.perf_counter() - t0:.1f} s): RSS {start:.0f} MB "
          f"(interpreter + imports before create_app: {base:.0f} MB); scikit-learn/scipy loaded: {heavy or 'no'}")
    rng = random.Random(9)
    checkpoints = {args.messages // 4, args.messages // 2, args.messages}
    t0 = time.perf_counter()
    for i in range(1, args.messages + 1):
        engine.suggest(message(rng, i), explain=i % 10 == 0)
        if i in checkpoints:
            gc.collect()
            print(f"after {i:>6} unique messages: RSS {rss_mb():.0f} MB ({rss_mb() - start:+.1f} MB), "
                  f"{(time.perf_counter() - t0) / i * 1000:.1f} ms per message")
    # What an editor's intent edit costs: the classifier is retrained in this process (scikit-learn
    # and scipy are imported for the fit and stay loaded).
    from app.engine.assistant import Assistant

    t0 = time.perf_counter()
    Assistant.build(engine.pack, engine.rules, app.state.holder.segmenter, index_cache=None)
    gc.collect()
    print(f"after one retraining in the process ({time.perf_counter() - t0:.1f} s): RSS {rss_mb():.0f} MB "
          f"({rss_mb() - start:+.1f} MB)")


if __name__ == "__main__":
    main()
