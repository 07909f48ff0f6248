"""End to end in headless Chromium: 词库, the word lists an admin edits in forms (couriers, domain words, variables)."""

import httpx
import pytest

from tests.helpers.browser import ADMIN, login

pytestmark = pytest.mark.browser

CHAT = "小王：你好，麻烦帮我发丰哥快递"


def parsed_courier(server) -> str | None:
    r = httpx.post(f"{server}/v1/conversations/parse", json={"text": CHAT}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["context"].get("courier")


def test_an_admin_adds_a_courier_alias_in_the_form_and_it_is_recognised(page, server):
    assert parsed_courier(server) is None  # nobody knows 丰哥快递 yet
    login(page, ADMIN, "/editor/lexicon")
    lists = page.locator("#word-lists li")
    assert [lists.nth(i).locator("h2 a").inner_text() for i in range(lists.count())] == ["快递公司", "行业词", "承诺用语", "变量"]
    assert "运单号开头" in lists.nth(0).inner_text()
    page.click("#word-lists a:has-text('快递公司')")
    page.wait_for_url("**/editor/lexicon/couriers")
    row = page.locator("#f-couriers tr[data-name='顺丰']")
    row.wait_for()
    assert page.is_hidden("#source") and page.locator("#delete").count() == 0  # a word list is edited, never deleted
    box = row.locator("input[id$='-aliases-new']")
    # an alias another courier already has is marked on the spot
    box.fill("申通快递")
    box.press("Enter")
    row.locator(".word-chip.dup:has-text('申通快递')").wait_for()
    row.locator("button[aria-label='删除别名「申通快递」']").click()
    box.fill("丰哥快递")
    box.press("Enter")
    row.locator(".word-chip:has-text('丰哥快递')").wait_for()
    assert row.locator(".word-chip.dup").count() == 0

    page.click("#save")
    page.wait_for_selector("#save-status:has-text('已保存')")
    assert parsed_courier(server) == "顺丰"

    page.reload()
    page.click("#tab-source")
    source = page.input_value("#source")
    assert "sf速运, 顺风快递, 丰哥快递]" in source and source.count("申通快递") == 1  # the duplicate went
    assert source.startswith("# Couriers and the ways buyers and agents write them.")  # the comments stay


def test_the_domain_words_list_marks_a_duplicate(page):
    login(page, ADMIN, "/editor/lexicon/domain")
    rows = page.locator("#f-words li")
    rows.first.wait_for()
    first = rows.first.locator("input").input_value()
    page.fill("#f-words-new", first)
    page.press("#f-words-new", "Enter")
    page.wait_for_selector("#f-words li .tag.dup:has-text('与第 1 条重复')")
    page.fill("#f-words-search", first)
    assert rows.count() == 2


def test_the_promise_words_are_edited_as_their_file_with_an_explanation(page):
    login(page, ADMIN, "/editor/lexicon/promises")
    page.wait_for_selector("#source", state="visible")
    assert page.is_hidden("#tab-form")
    assert "正则表达式" in page.inner_text("#source-intro")
    assert "kinds:" in page.input_value("#source")


def test_an_editor_has_no_lexicon_link_and_is_refused_the_pages(page):
    login(page)  # an editor
    assert page.locator("header nav a:has-text('回复模板')").count() == 1
    assert page.locator("header nav a:has-text('词库')").count() == 0
    for path in ("/editor/lexicon", "/editor/lexicon/couriers", "/editor/variables/variables"):
        response = page.goto(path)
        assert response.status == 403, path
        assert "需要管理员权限" in page.inner_text("h1")


def test_an_admin_adds_a_variable_and_templates_offer_it(page):
    login(page, ADMIN, "/editor/variables/variables")
    page.wait_for_selector("#f-variables tr")
    rows = page.locator("#f-variables tr")
    before = rows.count()
    assert page.get_attribute("#variable-0-name", "readonly") is not None  # templates use the names: kept as they are
    page.click("#variable-add")
    new = before  # the new row's index
    page.fill(f"#variable-{new}-name", "gift_name")
    page.wait_for_timeout(600)  # that field is written into the text; the next ones are written after it
    page.fill(f"#variable-{new}-label", "赠品名称")
    page.wait_for_timeout(600)
    page.fill(f"#variable-{new}-sample", "袜子")
    page.click("#save")
    page.wait_for_selector("#save-status:has-text('已保存')")
    page.click("#tab-source")
    source = page.input_value("#source")
    assert source.count("gift_name") == 1  # one variable, however many times the form wrote it
    assert source.endswith("  - name: gift_name\n    label: 赠品名称\n    sample: 袜子\n")

    page.goto("/editor/templates/thanks/short")
    page.wait_for_selector("button.var-chip:has-text('赠品名称')")
