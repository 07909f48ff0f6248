"""End to end in headless Chromium: drafts, publishing, the character diff, deleting, an expired
session signed in again without losing the edit, and two editors' edits merged."""

import re

import httpx
import pytest

from tests.helpers.browser import ADMIN, EDITOR, login

pytestmark = pytest.mark.browser

TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d")


def suggested(server, message="好的谢谢亲") -> list[str]:
    r = httpx.post(f"{server}/v1/suggest", json={"message": message, "top_k": 10}, timeout=30)
    assert r.status_code == 200, r.text
    return [s["text"] for s in r.json()["suggestions"]]


def editor_key(server_accounts, role="editor") -> dict:
    key, _ = server_accounts.create_api_key(f"e2e-{role}", role)
    return {"Authorization": f"Bearer {key}"}


def api_doc(server, headers, path):
    r = httpx.get(f"{server}/v1/templates/{path}", headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def edit_source(page, text):
    """Type into the file text (the 源文件 tab), as a power user would."""
    page.click("#tab-source")
    page.fill("#source", text)


def test_a_new_template_is_a_draft_until_published(page, server):
    login(page)
    page.goto("/editor/templates/new?intent=thanks")
    body = "亲，谢谢您的认可，这条回复先存成草稿再发布～"
    src = f"---\nid: thanks/e2e_draft\nintent: thanks\ntitle: 致谢·草稿流程\ntags: [标准]\nvariables: []\n---\n{body}\n"
    edit_source(page, src)
    page.click("#save-draft")
    page.wait_for_url("**/editor/templates/thanks/e2e_draft")
    assert page.is_visible("#draft-badge")
    assert "正在编辑草稿" in page.inner_text("#edit-notice") and EDITOR[0] in page.inner_text("#edit-notice")
    page.click("#tab-source")
    assert page.input_value("#source") == src
    assert body not in suggested(server)
    page.goto("/editor?intent=thanks")
    assert page.locator("#unpublished-drafts li", has_text="thanks/e2e_draft").count() == 1

    page.click("#unpublished-drafts a:has-text('thanks/e2e_draft')")
    page.wait_for_selector("#save")
    page.click("#save")
    page.wait_for_selector("#save-status:has-text('已保存')")
    assert page.is_hidden("#draft-badge")
    assert body in suggested(server)
    page.goto("/editor?intent=thanks")
    assert page.locator("#unpublished-drafts").count() == 0
    assert page.locator("table a", has_text="致谢·草稿流程").count() == 1


def test_the_character_diff_marks_the_one_changed_word_and_history_reads_well(page, server, server_accounts):
    h = editor_key(server_accounts)
    doc = api_doc(server, h, "greeting/standard")
    changed = doc["source"].replace("很高兴为您服务", "非常荣幸为您服务")
    r = httpx.put(f"{server}/v1/templates/greeting/standard", json={"source": changed, "comment": "更客气", "base_version": doc["version"]},
                  headers=h, timeout=30)
    assert r.status_code == 200, r.text
    login(page)
    page.goto("/editor/templates/greeting/standard")
    page.wait_for_selector("#history li")
    first = page.locator("#history li").first.inner_text().split(" · ")
    assert first[:3] == [f"第 {doc['version'] + 1} 版", "更客气", "key:e2e-editor"]
    assert TIME.match(first[3])
    page.select_option("#diff-a", str(doc["version"]))
    page.select_option("#diff-b", str(doc["version"] + 1))
    page.click("#diff")
    page.wait_for_selector("#diff-out .diff-row")
    assert page.locator("#diff-out del").all_inner_texts() == ["很高兴"]
    assert page.locator("#diff-out ins").all_inner_texts() == ["非常荣幸"]
    # the rest of the line is there, unmarked
    assert "为您服务" in page.locator("#diff-out .diff-row.add").inner_text()

    # rolling back from the history reads as what it did
    page.on("dialog", lambda d: d.accept())
    page.locator(f"#history li[data-version='{doc['version']}'] button").click()
    page.wait_for_selector(f"#history li[data-version='{doc['version'] + 2}']")
    line = page.locator("#history li").first.inner_text()
    assert line.startswith(f"第 {doc['version'] + 2} 版 · 回滚到第{doc['version']}版 · {EDITOR[0]} · ")


def test_delete_a_template_from_the_editor(page, server, server_accounts):
    h = editor_key(server_accounts)
    text = "亲，这条致谢回复马上就要删除了。"
    src = f"---\nid: thanks/e2e_delete\nintent: thanks\ntitle: 致谢·待删除\ntags: [标准]\nvariables: []\n---\n{text}\n"
    assert httpx.post(f"{server}/v1/templates", json={"source": src}, headers=h, timeout=30).status_code == 201
    assert text in suggested(server)
    login(page)
    page.goto("/editor/templates/thanks/e2e_delete")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    page.click("#delete")
    page.wait_for_url("**/editor?deleted_id=*")
    assert "确定删除这个模板吗" in dialogs[0] and "历史版本会保留" in dialogs[0]
    assert "已删除模板「thanks/e2e_delete」" in page.inner_text("#deleted-notice")
    assert page.locator("table a", has_text="致谢·待删除").count() == 0
    assert text not in suggested(server)
    versions = httpx.get(f"{server}/v1/templates/thanks/e2e_delete/versions", headers=h, timeout=30).json()["versions"]
    assert [(v["version"], v["deleted"]) for v in versions] == [(2, True), (1, False)]

    page.click("#show-deleted")
    page.click("#deleted-docs a:has-text('thanks/e2e_delete')")
    page.wait_for_selector("#restore")
    page.click("#tab-source")
    assert text in page.input_value("#source")
    page.click("#restore")
    page.wait_for_selector("#version")
    assert text in suggested(server)


def test_leaving_with_unsaved_edits_asks_first(page):
    login(page)
    page.goto("/editor/templates/payment_method/short")
    page.click("#tab-source")
    page.fill("#source", page.input_value("#source") + "再补一句。\n")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.click("nav a[href='/editor/intents']")
    assert asked and "未保存的修改" in asked[0]
    assert page.url.endswith("/editor/templates/payment_method/short")
    page.once("dialog", lambda d: d.accept())
    page.click("nav a[href='/editor/intents']")
    page.wait_for_url("**/editor/intents")


def test_an_expired_session_signs_in_again_and_keeps_the_edit(page, server, server_accounts):
    login(page)
    page.on("dialog", lambda d: d.accept())  # leaving the page with the kept edit
    page.goto("/editor/templates/urge_shipment/short")
    page.click("#tab-source")
    edited = page.input_value("#source").rstrip("\n") + "我们会尽快为您安排。\n"
    page.fill("#source", edited)

    page.context.clear_cookies()  # the session is gone, as when it expires
    page.click("#save")
    page.wait_for_selector("#relogin[open]")
    assert page.input_value("#relogin-username") == EDITOR[0]
    page.click("#relogin-cancel")
    page.wait_for_selector("#save-status:has-text('未保存')")

    # signing in on the sign-in page and coming back: the edit is restored, with a notice
    login(page, EDITOR, "/editor/templates/urge_shipment/short")
    page.wait_for_selector("#edit-notice .notice:has-text('已恢复')")
    page.click("#tab-source")
    assert page.input_value("#source") == edited

    # expired again: sign in in the dialog and the save goes through
    page.context.clear_cookies()
    page.fill("#comment", "过期后重新登录保存")
    page.click("#save")
    page.wait_for_selector("#relogin[open]")
    page.fill("#relogin-password", "wrong-password")
    page.click("#relogin-submit")
    page.wait_for_selector("#relogin-error:has-text('用户名或密码不对')")
    page.fill("#relogin-password", EDITOR[1])
    page.click("#relogin-submit")
    page.wait_for_selector("#save-status:has-text('已保存')")
    assert page.is_hidden("#relogin")
    h = editor_key(server_accounts)
    doc = api_doc(server, h, "urge_shipment/short")
    assert doc["source"] == edited and doc["author"] == EDITOR[0] and doc["comment"] == "过期后重新登录保存"
    page.reload()
    assert page.locator("#edit-notice .notice").count() == 0  # nothing kept any more


def _two_editors(browser, server, path):
    pages = []
    for who in (EDITOR, ADMIN):
        ctx = browser.new_context(base_url=server, locale="zh-CN", viewport={"width": 1280, "height": 900})
        pg = ctx.new_page()
        login(pg, who)
        pg.goto(path)
        pg.wait_for_selector("#history li")
        pg.click("#tab-source")
        pages.append(pg)
    return pages


def test_a_conflict_between_two_editors_is_merged(browser, server, server_accounts):
    mine, theirs = _two_editors(browser, server, "/editor/templates/thanks/closing")
    try:
        original = mine.input_value("#source")
        theirs.fill("#source", original.replace("title: 致谢·结束会话", "title: 致谢·结束会话（新）"))
        theirs.fill("#comment", "改标题")
        theirs.click("#save")
        theirs.wait_for_selector("#save-status:has-text('已保存')")

        mine.fill("#source", original.rstrip("\n") + "\n有问题随时找我们哦。\n")
        mine.click("#save")
        mine.wait_for_selector("#problems:has-text('保存冲突')")
        mine.wait_for_selector("#conflict:not([hidden])")
        who = mine.inner_text("#conflict-who")
        assert ADMIN[0] in who and "改标题" in who
        assert mine.locator("#conflict-diff ins").all_inner_texts() == ["（新）"]
        assert "已自动合并" in mine.inner_text("#conflict-summary")
        mine.click("#merge-apply")
        mine.wait_for_selector("#save-status:has-text('已保存')")
        source = api_doc(server, editor_key(server_accounts), "thanks/closing")["source"]
        assert "title: 致谢·结束会话（新）" in source and source.endswith("有问题随时找我们哦。\n")
    finally:
        for pg in (mine, theirs):
            pg.context.close()


def test_overlapping_edits_let_the_editor_choose(browser, server, server_accounts):
    mine, theirs = _two_editors(browser, server, "/editor/templates/stock_inquiry/restock")
    try:
        original = mine.input_value("#source")
        theirs.fill("#source", original.replace("让您失望了", "给您添麻烦了"))
        theirs.click("#save")
        theirs.wait_for_selector("#save-status:has-text('已保存')")

        mine.fill("#source", original.replace("让您失望了", "真是不好意思"))
        mine.click("#save")
        mine.wait_for_selector(".merge-conflict")
        assert "有 1 处两边改了同一段" in mine.inner_text("#conflict-summary")
        assert mine.is_disabled("#merge-apply")
        conflict = mine.locator(".merge-conflict").first
        assert "给您添麻烦了" in conflict.locator(".side.theirs").inner_text()
        assert "真是不好意思" in conflict.locator(".side.yours").inner_text()
        conflict.locator("button.use-yours").click()
        mine.click("#merge-apply")
        mine.wait_for_selector("#save-status:has-text('已保存')")
        source = api_doc(server, editor_key(server_accounts), "stock_inquiry/restock")["source"]
        assert "真是不好意思" in source and "给您添麻烦了" not in source
    finally:
        for pg in (mine, theirs):
            pg.context.close()


def test_a_draft_of_a_published_template_is_listed_loaded_and_discarded(page, server):
    login(page)
    page.goto("/editor/templates/payment_method/standard")
    page.click("#tab-source")
    published = page.input_value("#source")
    draft = published.rstrip("\n") + "如有疑问随时联系我们。\n"
    page.fill("#source", draft)
    page.click("#save-draft")
    page.wait_for_selector("#save-status:has-text('草稿已保存')")
    assert page.is_visible("#draft-badge") and page.is_visible("#discard-draft")

    page.goto("/editor?intent=payment_method")
    row = page.locator("table tr", has=page.locator("a[href='/editor/templates/payment_method/standard']"))
    assert row.locator(".badge.draft").inner_text() == "草稿"
    assert EDITOR[0] in row.locator(".draft-by").inner_text()

    page.goto("/editor/templates/payment_method/standard")
    assert "正在编辑草稿" in page.inner_text("#edit-notice")
    page.click("#tab-source")
    assert page.input_value("#source") == draft
    page.on("dialog", lambda d: d.accept())
    page.click("#discard-draft")
    page.wait_for_function("() => document.getElementById('draft-badge').hidden")
    page.click("#tab-source")
    assert page.input_value("#source") == published
