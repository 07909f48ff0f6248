"""Regenerate the README's screenshots (docs/screenshots/*.png) in headless Chromium: the workbench with a
pasted conversation, its promise ledger and a draft that goes back on a promise (desktop and phone), the
phrase library open in the draft (the editor's are made by screenshots_editor.py).

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from shots import OUT, chromium, server
from shots import sign_in as _sign_in

# A chat as pasted from 千牛: the agent promised a resend and a shipping day; the buyer asks about the colour.
CHAT = """小王同学 2026-11-30 14:02:11
订单号3312456789 鞋子收到了 少了一双袜子
某某鞋业旗舰店:小美 2026-11-30 14:03:40
亲，非常抱歉，少发的袜子给您补发一双，今天给您发出
小王同学 2026-11-30 14:05:13
好的 还有鞋子颜色和图片差好多 能换吗"""
SHOPS = "default: flagship\nshops:\n  flagship: {name: 某某鞋业旗舰店, carriers: [申通], ship_within_hours: 72, seven_day_return: true}\n"


def paste(page, text: str) -> None:
    page.evaluate("t => navigator.clipboard.writeText(t)", text)
    page.focus("#message")
    page.keyboard.press("Control+V")


def sign_in(page, target: str) -> None:
    _sign_in(page, "xiaomei", "editor-password-1", target)


def main() -> None:
    with server(Path(tempfile.mkdtemp()), SHOPS, users=[("xiaomei", "editor-password-1", "editor")]) as base:
        with chromium() as b:
            desk = b.new_context(base_url=base, viewport={"width": 1280, "height": 1000}, locale="zh-CN")
            desk.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
            pg = desk.new_page()
            sign_in(pg, "/")
            pg.click("#nick-edit")
            pg.fill("#nick-input", "小美")
            pg.press("#nick-input", "Enter")
            pg.wait_for_selector("#nickname:has-text('小美')")
            paste(pg, CHAT)
            pg.wait_for_selector("#ledger:not([hidden]) .promise")
            pg.wait_for_selector(".suggestion")
            if pg.locator("#var-item_name").count():
                pg.fill("#var-item_name", "F5716 女鞋")
                pg.wait_for_function("() => document.querySelector('.suggestion .text')?.textContent.includes('F5716')")
            pg.keyboard.press("Alt+1")
            pg.focus("#draft")
            pg.keyboard.press("End")
            pg.keyboard.type("袜子明天给您发出哦")
            pg.wait_for_selector("#flags li[data-rule=broken_promise]")
            pg.screenshot(path=str(OUT / "workbench.png"), full_page=True)

            pg.keyboard.press("Escape")  # 新会话
            pg.click("#draft")
            pg.keyboard.type("亲，")
            pg.keyboard.press("/")
            pg.keyboard.type("sc")
            pg.wait_for_selector("#phrase-list[data-q=sc] .phrase")
            pg.locator("#phrase-list .phrase button.fav").first.click()
            pg.wait_for_selector("#phrase-list .phrase button.fav[aria-pressed=true]")
            pg.locator("#phrases").scroll_into_view_if_needed()
            pg.screenshot(path=str(OUT / "phrases.png"), full_page=True)
            pg.locator("#phrase-list .phrase button.fav").first.click()  # leave no favourite behind

            phone_ctx = b.new_context(base_url=base, viewport={"width": 390, "height": 844}, locale="zh-CN",
                                      is_mobile=True, has_touch=True)
            phone_ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
            phone = phone_ctx.new_page()
            phone.goto("/")
            paste(phone, CHAT)
            phone.wait_for_selector(".suggestion")
            phone.screenshot(path=str(OUT / "workbench-phone.png"), full_page=True)
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main()
