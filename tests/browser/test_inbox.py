"""The editors' learning inbox in headless Chromium: a message the engine could not answer shows up
grouped, is added to an intent after a preview, and the next suggest matches it."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.helpers.browser import EDITOR, login

pytestmark = pytest.mark.browser

#: A question the bundled content has no intent for (a buyer asking to buy laces on their own).
MESSAGE = "亲 鞋带能单独买吗 白色的那种"


def suggest(server: str, message: str) -> dict:
    r = httpx.post(f"{server}/v1/suggest", json={"message": message}, timeout=10)  # local: no sign-in needed
    assert r.status_code == 200, r.text
    return r.json()


def open_group(page, text: str):
    """The inbox row holding ``text``; events are written in batches, so look again until it is there."""
    row = page.locator("#inbox-groups tr.group", has_text=text)
    deadline = time.monotonic() + 10
    while row.count() == 0:
        assert time.monotonic() < deadline, f"{text!r} never showed up in the inbox"
        page.click("#inbox-filters button[type=submit]")
        page.wait_for_selector("#inbox-status:not(:has-text('正在读取'))")
        time.sleep(0.3)
    return row


def test_an_unmatched_message_is_added_to_an_intent_and_matched_next_time(page, server):
    assert suggest(server, MESSAGE)["no_match"]
    login(page, EDITOR, "/editor/inbox")
    assert page.locator("nav a[href='/editor/inbox']").get_attribute("aria-current") == "page"
    row = open_group(page, MESSAGE)
    assert "未匹配" in row.locator("td.kinds").inner_text()
    assert "未匹配" in row.locator("td.now").inner_text()

    row.locator("select[name=intent]").select_option("stock_inquiry")
    row.get_by_role("button", name="加为例句").click()
    summary = page.locator("#preview-summary")
    summary.filter(has_text="保存后这些消息会匹配到").wait_for()
    assert re.search(r"保存后这些消息会匹配到：「库存咨询」 1/1 条", summary.inner_text())
    item = page.locator("#preview-messages li").first
    assert MESSAGE in item.inner_text() and "现在：未匹配" in item.inner_text() and "保存后：库存咨询" in item.inner_text()
    assert "把 1 条消息加为意图「库存咨询」的例句" in page.inner_text("#preview-what")

    page.click("#preview-save")
    page.locator("#preview-status").filter(has_text="已生效").wait_for(timeout=15_000)
    page.locator("#inbox-groups tr.group", has_text=MESSAGE).wait_for(state="detached")

    assert [i["id"] for i in suggest(server, MESSAGE)["intents"]] == ["stock_inquiry"]


def test_a_bad_new_intent_is_refused_in_the_preview_without_saving(page, server):
    message = "你们的鞋可以免费刻字吗 想刻个英文名"
    assert suggest(server, message)["no_match"]
    login(page, EDITOR, "/editor/inbox")
    row = open_group(page, message)
    row.get_by_role("button", name="新建意图").click()
    page.fill("#new-intent-form input[name=id]", "wrong_item")  # taken by a bundled intent
    page.fill("#new-intent-form input[name=label]", "刻字定制")
    page.fill("#new-intent-form input[name=category]", "操作咨询")
    page.click("#new-intent-form button[type=submit]")
    status = page.locator("#preview-status")
    status.filter(has_text="已存在").wait_for()
    assert page.is_disabled("#preview-save")
    assert page.locator("#inbox-groups tr.group", has_text=message).count() == 1
