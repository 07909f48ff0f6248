"""End to end in headless Chromium: what an agent does with a suggestion in the workbench (used
and copied, or marked 不合适 with a reason) is what the supervisor then sees on /stats."""

from __future__ import annotations

import time

import pytest

from tests.browser.test_workbench import paste
from tests.helpers.browser import EDITOR, login

pytestmark = pytest.mark.browser

QUALITY = "你好，我买的运动鞋才穿了三天鞋面就开线了，这个怎么处理呀"
SHIPPING = "亲 我前天拍的那双鞋怎么还没发货呀，什么时候能发"
STATS = "/stats?shop=flagship"


def _table(page, name: str) -> dict[str, list[str]]:
    """The rows of a /stats table by their key (the template id for by_template, else the first cell)."""
    key = 1 if name == "by_template" else 0
    rows = {}
    for row in page.locator(f"#table-{name} tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        if len(cells) > key and "empty" not in (row.locator("td").first.get_attribute("class") or ""):
            rows[cells[key]] = cells
    return rows


def _snapshot(browser, server, name: str) -> dict[str, list[str]]:
    """A table of /stats as an editor sees it now, from a context of its own."""
    ctx = browser.new_context(base_url=server, locale="zh-CN")
    pg = ctx.new_page()
    login(pg, EDITOR, "/stats")
    pg.goto(STATS)
    rows = _table(pg, name)
    ctx.close()
    return rows


def _wait_for_stats(page, name: str, done, patience: float = 10.0) -> dict[str, list[str]]:
    """Reload /stats until ``done(rows)`` holds: events are written in batches (every 0.5 s)."""
    deadline = time.monotonic() + patience
    while True:
        page.goto(STATS)
        rows = _table(page, name)
        if done(rows) or time.monotonic() > deadline:
            return rows
        page.wait_for_timeout(300)


def _used(cells: list[str] | None) -> int:
    return int(cells[4]) + int(cells[5]) if cells else 0  # 原样采用 + 修改后采用


def _dismissed(cells: list[str] | None) -> int:
    return int(cells[6]) if cells else 0  # 不采用


def test_a_suggestion_inserted_and_copied_in_the_workbench_is_counted_on_stats(page, browser, server):
    before = _snapshot(browser, server, "by_template")
    page.on("dialog", lambda d: d.accept())  # a placeholder left in the draft asks first
    page.goto("/")
    paste(page, QUALITY)
    first = page.locator("#suggestions .suggestion:not(.combined)").first
    first.wait_for()
    template = first.get_attribute("data-template")
    first.locator("button.insert").click()
    assert page.input_value("#draft").strip()
    page.click("#copy-draft")
    page.wait_for_selector("#draft-status:has-text('已复制草稿')")

    login(page, EDITOR, "/stats")
    old = _used(before.get(template))
    rows = _wait_for_stats(page, "by_template", lambda r: _used(r.get(template)) > old)
    assert template in rows, f"{template} not in the by_template table: {list(rows)}"
    assert _used(rows[template]) == old + 1  # inserted then copied: one suggestion used, counted once
    assert int(rows[template][3]) >= 1  # 展示次数


def test_a_suggestion_dismissed_with_a_reason_shows_in_the_dismiss_reasons(page, browser, server):
    before = _snapshot(browser, server, "dismiss_reasons")
    before_templates = _snapshot(browser, server, "by_template")
    sent = []
    page.on("request", lambda r: sent.append(r.post_data_json) if r.url.endswith("/v1/feedback") else None)
    page.set_viewport_size({"width": 390, "height": 844})  # on a phone
    page.goto("/")
    paste(page, SHIPPING)
    card = page.locator("#suggestions .suggestion:not(.combined)").first
    card.wait_for()
    template = card.get_attribute("data-template")
    title = card.locator(".title").inner_text()

    # by keyboard: the button names the suggestion, Enter opens the reasons, Tab moves to 语气不对
    button = card.get_by_role("button", name=f"标记“{title}”不合适")
    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    reasons = card.locator(".dismiss-reasons")
    assert reasons.is_visible()
    box = reasons.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.activeElement.textContent") == "不相关"
    page.keyboard.press("Escape")  # Esc closes the choice only, the conversation stays
    assert reasons.is_hidden() and button.evaluate("b => b === document.activeElement")
    assert page.locator("#suggestions .suggestion").count() > 0
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "语气不对"
    page.keyboard.press("Enter")

    assert "dismissed" in card.get_attribute("class")
    assert card.locator(".text").is_hidden()
    assert card.locator(".dismissed-note").inner_text().startswith("已标记不合适（语气不对）")
    assert page.evaluate("document.activeElement.textContent") == "撤销"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.wait_for_timeout(200)
    assert [(b["action"], b.get("reason")) for b in sent] == [("dismissed", "语气不对")]

    # 撤销 brings the card back, usable again, and takes the 不合适 back
    with page.expect_request(lambda r: r.method == "DELETE" and r.url.endswith("/dismissed")) as undone:
        page.keyboard.press("Enter")
    assert undone.value.response().ok
    assert card.locator(".text").is_visible() and "dismissed" not in card.get_attribute("class")
    assert button.evaluate("b => b === document.activeElement")
    # dismissed again, for another reason: only this one counts
    button.click()
    card.get_by_role("button", name="不相关").click()
    page.wait_for_timeout(200)
    assert [(b["action"], b.get("reason")) for b in sent] == [("dismissed", "语气不对"), ("dismissed", "不相关")]

    login(page, EDITOR, "/stats")
    old = int(before["不相关"][1]) if "不相关" in before else 0
    rows = _wait_for_stats(page, "dismiss_reasons", lambda r: "不相关" in r and int(r["不相关"][1]) > old)
    assert int(rows["不相关"][1]) == old + 1
    assert rows.get("语气不对") == before.get("语气不对")  # taken back by 撤销
    by_template = _table(page, "by_template")
    assert _dismissed(by_template.get(template)) == _dismissed(before_templates.get(template)) + 1
