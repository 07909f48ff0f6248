"""How long ``Guard.check`` takes on 300-character drafts, with every bundled rule.

Run: ``.venv/bin/python benchmarks/bench_check.py``.  Prints p50/p99 per draft and
overall, in milliseconds, then ``POST /v1/check`` through the ASGI app in-process next to
a bare FastAPI JSON endpoint in the same run, and the ratio of their p50s (target ≤ 1.5×).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.guard.guard import Guard  # noqa: E402
from app.shop import ShopProfile  # noqa: E402

SHOP = ShopProfile(
    carriers=["申通"],
    ship_within_hours=72,
    seven_day_return=True,
    invoice={"company": "某某鞋业有限公司", "categories": ["鞋"]},
)

_CLEAN = (
    "亲，非常抱歉给您带来不便。您反馈的鞋子开胶问题我们已经收到了，麻烦您在旺旺上发几张照片给我们，"
    "我们核实后会第一时间为您安排换货或退款。快递一般3到5天送达，具体以物流信息为准。"
    "商品支持7天无理由退换，不影响二次销售就可以。发票我们会按订单实付金额开具，开好后发送到您的邮箱。"
    "如果还有其他问题，随时联系我们，我们会一直跟进直到问题解决。祝您生活愉快！"
)
_RISKY = (
    "亲，可以的，给您发韵达，保证后天到！您再拍1元凑个吉利数，发票可以给您多开10元，开成办公用品也没问题。"
    "好评返现5元，加我微信领取。这款是全网最好的鞋，绝对没问题，坏了赔您一双新的。"
    "麻烦把退款原因改成七天无理由，您先确认收货我再给您退款。别家卖的都是假货。订单{{ order_id }}已发出。"
)
_EVASIVE = (
    "親，這邊給您發 順 豐，保\u200b證\u200b明\u200b天\u200b到。加 Ｖ Ｘ：ａｂｃ１２３ 详聊，威信也行，"
    "支付寶轉給我就好，私下轉賬便宜２０。絕·對·沒·問·題，百分百不會再壞。"
)


def _draft(seed: str, n: int = 300) -> str:
    text = seed
    while len(text) < n:
        text += seed
    return text[:n]


DRAFTS = {"clean": _draft(_CLEAN), "risky": _draft(_RISKY), "evasive": _draft(_EVASIVE)}


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main(rounds: int = 2000) -> None:
    t0 = time.perf_counter()
    guard = Guard.from_dir(ROOT / "rules")
    print(f"load: {1000 * (time.perf_counter() - t0):.1f} ms for {len(guard.rules)} rules")
    for text in DRAFTS.values():  # warm-up (OpenCC, regex caches)
        guard.check(text, SHOP)
    overall: list[float] = []
    for name, text in DRAFTS.items():
        times = []
        flags = guard.check(text, SHOP)
        for _ in range(rounds):
            t = time.perf_counter()
            guard.check(text, SHOP)
            times.append(time.perf_counter() - t)
        overall += times
        print(
            f"{name:8s} {len(text)} chars, {len(flags):2d} flags: "
            f"p50 {1000 * statistics.median(times):.3f} ms  p99 {1000 * _pct(times, 0.99):.3f} ms"
        )
    print(
        f"overall  p50 {1000 * statistics.median(overall):.3f} ms  p99 {1000 * _pct(overall, 0.99):.3f} ms"
    )

    from inprocess import compare, with_apps

    shop = SHOP.model_dump(exclude_none=True)
    bodies = [{"text": text, "shop": shop} for text in DRAFTS.values()]
    # Replies as the agents send them: short ones, each different (nothing to reuse).
    bodies += [{"text": f"亲，您的订单{n}已经发出了，请注意查收哦", "shop": shop} for n in range(3)]
    with_apps({}, lambda app, bare: compare(app, bare, "/v1/check", bodies, max(20, rounds // 20)))


if __name__ == "__main__":
    main()
