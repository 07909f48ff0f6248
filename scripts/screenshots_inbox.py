"""Regenerate docs/screenshots/inbox.png: the editors' learning inbox with a preview open.

A fresh server (SQLite in a temporary directory, a free port) is asked, over HTTP as a
buyer-facing bot would, a few new questions in several wordings; one suggestion is
dismissed with a reason.  An editor then opens /editor/inbox in headless Chromium and
previews adding the shoelace group to 库存咨询.

    .venv/bin/python scripts/screenshots_inbox.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import httpx
from shots import OUT, chromium, server, sign_in

SHOPS = "default: flagship\nshops:\n  flagship: {name: 某某鞋业旗舰店, carriers: [申通], ship_within_hours: 72}\n"
#: New questions, each in several wordings, and how many times each wording is asked.
ASKED = {
    "鞋带能单独买吗": 6, "鞋带可以单独卖给我一副吗": 3, "能不能单买一副鞋带 白色的": 2, "亲 想单独买一副鞋带 有卖吗": 1,
    "会员积分怎么兑换": 4, "积分兑换在哪里呀": 2, "亲 我的积分怎么用不了": 2, "攒的积分能换礼品吗": 1,
    "你们有没有实体店": 3, "实体店在哪 想去试穿 电话13812345678": 1,
    "鞋子可以刻字吗 想送男朋友": 2, "能刻字吗": 1,
}
#: A message that gets suggestions, one of which the agent dismisses as off the point.
DISMISSED = ("亲 收到的靴子颜色比图片深了好多", "不相关")


def ask(base: str) -> None:
    with httpx.Client(base_url=base, timeout=10) as c:
        for message, times in ASKED.items():
            for _ in range(times):
                c.post("/v1/suggest", json={"message": message}).raise_for_status()
        data = c.post("/v1/suggest", json={"message": DISMISSED[0]}).json()
        sid = data["suggestions"][0]["suggestion_id"]
        c.post("/v1/feedback", json={"suggestion_id": sid, "action": "dismissed", "reason": DISMISSED[1]}).raise_for_status()


def main() -> None:
    users = [("xiaomei", "editor-password-1", "editor")]
    with server(Path(tempfile.mkdtemp()), SHOPS, users, env={"SHOUHOU_AGENT_ACCESS": "local"}) as base:
        ask(base)
        time.sleep(1.5)  # the events are written in batches every half second
        with chromium() as b:
            pg = b.new_context(base_url=base, viewport={"width": 1280, "height": 1000}, locale="zh-CN").new_page()
            sign_in(pg, "xiaomei", "editor-password-1", "/editor/inbox")
            row = pg.locator("#inbox-groups tr.group", has_text="鞋带能单独买吗")
            row.wait_for()
            row.locator("select[name=intent]").select_option("stock_inquiry")
            row.get_by_role("button", name="加为例句").click()
            pg.locator("#preview-summary").filter(has_text="保存后这些消息会匹配到").wait_for(timeout=20_000)
            pg.screenshot(path=str(OUT / "inbox.png"), full_page=True)
    print(f"wrote {OUT / 'inbox.png'}")


if __name__ == "__main__":
    main()
