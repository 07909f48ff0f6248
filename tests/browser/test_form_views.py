"""End to end in headless Chromium: the editor's form view (表单) beside the file text (源文件)."""

import re

import httpx
import pytest

from tests.helpers.browser import login

pytestmark = pytest.mark.browser


def show_source(page):
    """The 源文件 tab; it shows once what was typed in the form is written into the text."""
    page.click("#tab-source")
    page.wait_for_selector("#source", state="visible")


def test_create_a_template_in_the_form_with_a_variable_chip_and_see_it_suggested(page, server):
    login(page)
    page.goto("/editor/templates/new?intent=stock_inquiry")
    page.wait_for_selector("#f-title")
    assert page.is_hidden("#source")  # the form is the default view
    page.fill("#f-id", "stock_inquiry/form_made")
    page.fill("#f-title", "库存·表单新建")
    assert "库存咨询" in page.inner_text("#f-intent option:checked")
    page.fill("#f-body", "亲，您好，订单")
    page.locator("#f-body").press("End")
    page.click("button.var-chip:has-text('订单号')")
    page.keyboard.type("里的这款目前还有库存，您可以直接下单。")
    assert page.input_value("#f-body") == "亲，您好，订单{{ order_id }}里的这款目前还有库存，您可以直接下单。"
    assert "订单号" in page.inner_text("#f-vars")
    # agents get the placeholder when the order number is not filled in; the sample fills it
    page.wait_for_selector("#preview-agent mark.ph:has-text('【订单号】')")
    page.wait_for_selector("#preview .text:has-text('目前还有库存')")
    assert "【订单号】" not in page.inner_text("#preview")
    page.click("#save")
    page.wait_for_url("**/editor/templates/stock_inquiry/form_made")

    show_source(page)
    source = page.input_value("#source")
    assert "variables: [order_id]" in source and "title: 库存·表单新建" in source

    r = httpx.post(f"{server}/v1/suggest", json={"message": "这个码还有货吗", "top_k": 10}, timeout=30)
    assert r.status_code == 200, r.text
    texts = [s["text"] for s in r.json()["suggestions"]]
    assert "亲，您好，订单【订单号】里的这款目前还有库存，您可以直接下单。" in texts


def test_edit_intent_examples_in_the_list(page):
    login(page)
    page.goto("/editor/intents/thanks")
    rows = page.locator("#f-examples li")
    rows.first.wait_for()
    before = rows.count()
    removed = rows.first.locator("input").input_value()
    times = page.input_value("#source").count(f"  - {removed}\n")  # a file may list an example twice

    # an example another intent has is marked while typing, before anything is saved
    page.fill("#f-examples-new", "取消订单")
    page.press("#f-examples-new", "Enter")
    page.wait_for_selector("#f-examples li .tag.other:has-text('取消订单')")
    rows.last.locator("button.remove").click()

    page.fill("#f-examples-new", "辛苦了 谢谢你们这么耐心")
    page.click("#f-examples-add")
    rows.first.locator("button.remove").click()
    assert rows.count() == before
    # typing in an example is not interrupted by the check that runs while one types
    second = rows.nth(1).locator("input")
    kept = second.input_value()
    second.click()
    second.press("End")
    page.keyboard.type("呀")
    page.wait_for_timeout(1500)
    page.keyboard.type("哦")
    assert second.input_value() == kept + "呀哦"

    page.fill("#f-examples-search", "你们这么耐心")
    assert rows.count() == 1
    page.fill("#f-examples-search", "")

    page.click("#save")
    page.wait_for_selector("#save-status:has-text('已保存')")
    page.reload()
    show_source(page)
    source = page.input_value("#source")
    assert "  - 辛苦了 谢谢你们这么耐心\n" in source and f"  - {kept}呀哦\n" in source
    assert source.count(f"  - {removed}\n") == times - 1 and "取消订单" not in source


def test_the_source_tab_round_trips(page):
    login(page)
    page.goto("/editor/intents/greeting")
    page.wait_for_selector("#f-label")
    page.fill("#f-label", "打招呼（表单改的）")
    show_source(page)
    assert "label: 打招呼（表单改的）\n" in page.input_value("#source")

    source = page.input_value("#source")
    page.fill("#source", source.replace("label: 打招呼（表单改的）", "label: 打招呼（源文件改的）"))
    page.click("#tab-form")
    page.wait_for_function("() => document.querySelector('#f-label')?.value === '打招呼（源文件改的）'")

    # a file the form cannot show says why in Chinese, with the line, and leads back to the text
    show_source(page)
    page.fill("#source", "id: greeting\nlabel: 打招呼\nexamples:\n  - 'oops\n")
    page.click("#tab-form")
    notice = page.wait_for_selector("#form-panel .notice.error")
    text = notice.inner_text()
    assert re.search(r"第\s*4\s*行", text) and "引号" in text, text  # the line the unclosed quote opens on
    assert not re.search(r"[A-Za-z]{4,}", text.replace("YAML", "")), text  # nothing of PyYAML's English
    page.click("#form-panel button:has-text('去源文件修改')")
    assert page.is_visible("#source")


def test_an_editor_reads_a_rule_as_its_file_text(page):
    login(page)  # an editor: rules are the admin's to change
    page.goto("/editor/rules/delivery_guarantee")
    page.wait_for_selector("#source", state="visible")
    assert "只能查看" in page.inner_text("#form-panel")
    assert "id: delivery_guarantee" in page.input_value("#source")


def test_a_yaml_mistake_on_publish_is_named_in_chinese_with_its_line(page):
    login(page)
    page.goto("/editor/intents/greeting")
    page.wait_for_selector("#f-label")
    show_source(page)
    source = page.input_value("#source")
    lines = source.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("label:"))
    lines[at] = "label: 打招呼: 在吗"  # a colon in a value, the commonest slip
    page.fill("#source", "\n".join(lines) + "\n")
    page.click("#save")
    item = page.wait_for_selector("#problems li")
    text = item.inner_text()
    assert text.startswith(f"第{at + 1}行："), text
    assert "冒号" in text and "引号" in text, text  # what is wrong and what to do
    assert not re.search(r"mapping|scanning|expected|allowed here|line \d", text), text  # none of PyYAML's English
    page.goto("/editor/intents/greeting")  # nothing was saved
    page.wait_for_selector("#f-label")
    assert page.input_value("#f-label") != "打招呼: 在吗"
