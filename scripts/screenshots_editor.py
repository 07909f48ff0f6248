"""Regenerate the README's screenshots of the editor workshop (docs/screenshots/editor-*.png) in
headless Chromium: the template form with its two previews, the intent's example list, the rule form
with its tester, and the character diff between two versions.

    .venv/bin/python scripts/screenshots_editor.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from shots import OUT, chromium, server, sign_in

SHOPS = "default: flagship\nshops:\n  flagship: {name: 某某鞋业旗舰店, carriers: [申通], ship_within_hours: 72, seven_day_return: true}\n"
USERS = [("zhuguan", "admin-password-1", "admin")]


def main() -> None:
    with server(Path(tempfile.mkdtemp()), SHOPS, users=USERS) as base:
        with chromium() as b:
            ctx = b.new_context(base_url=base, viewport={"width": 1280, "height": 1000}, locale="zh-CN")
            pg = ctx.new_page()
            sign_in(pg, "zhuguan", "admin-password-1", "/editor/templates/missing_item/standard")

            # the template form: one careless promise typed into the body, a variable chip clicked
            pg.wait_for_selector("#f-body")
            body = pg.locator("#f-body")
            body.click()
            pg.keyboard.press("Control+End")
            pg.keyboard.type("保证明天就给您补发到！")
            pg.locator("#preview", has_text="补发到").wait_for()
            pg.wait_for_selector("#flags li")
            pg.screenshot(path=str(OUT / "editor-template.png"), full_page=True)

            # the intent form: examples as a list, with what another intent also matches marked
            pg.goto("/editor/intents/missing_item")
            pg.wait_for_selector("#form-panel .ff")
            pg.wait_for_timeout(800)
            pg.screenshot(path=str(OUT / "editor-intent.png"), full_page=False)

            # the rule form with the regex tester open
            pg.goto("/editor/rules/delivery_guarantee")
            pg.wait_for_selector("#rule-test-text", state="attached")
            pg.locator("details").first.evaluate("d => d.open = true")
            pg.fill("#rule-test-text", "亲，明天一定给您送到的哈")
            pg.click("#rule-test")
            pg.wait_for_selector("#rule-test-result *")
            pg.screenshot(path=str(OUT / "editor-rule.png"), full_page=True)
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main()
