"""End to end in headless Chromium: the agent workbench and the template editor."""

import httpx
import pytest

from tests.helpers.browser import ADMIN, login

pytestmark = pytest.mark.browser


def test_paste_message_and_copy_a_suggestion(page):
    page.goto("/")
    page.fill("#message", "亲 鞋子颜色和图片差好多，而且还少发了一双")
    page.press("#message", "Control+Enter")
    page.wait_for_selector(".suggestion")
    chips = page.locator(".chip").all_inner_texts()
    assert any("色差" in c for c in chips) and any("漏发" in c for c in chips)
    page.fill("#var-buyer_name", "小王")
    page.fill("#var-item_name", "F5716 女鞋")
    page.press("#var-item_name", "Enter")
    page.wait_for_function("() => document.querySelector('.suggestion .text')?.textContent.includes('F5716')")
    first = page.locator(".suggestion").first
    text = first.locator(".text").inner_text()
    assert "小王" in text and "【" not in text
    first.locator("button.copy").click()
    page.wait_for_selector(".suggestion button.copy:has-text('已复制')")
    assert page.evaluate("navigator.clipboard.readText()") == text
    # copying never touches the draft; inserting puts the reply there, checked
    assert page.input_value("#draft") == ""
    first.locator("button.insert").click()
    assert page.input_value("#draft") == text
    page.wait_for_selector("#draft-status:has-text('没有发现风险')")


def test_risky_draft_is_highlighted_in_place(page):
    page.goto("/")
    page.fill("#draft", "")
    page.type("#draft", "可以的亲，给您发韵达，保证后天到", delay=10)
    mark = page.wait_for_selector("#draft-highlight mark.sev-block")
    assert mark.inner_text() == "给您发韵达"
    assert "申通" in mark.get_attribute("title")
    warn = page.locator("#draft-highlight mark.sev-warn")
    assert warn.inner_text() == "保证后天到"
    box = mark.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the click lands in the draft
    pop = page.wait_for_selector("#flag-pop:not([hidden])")
    assert "可以这样说" in pop.inner_text()
    assert page.evaluate("document.activeElement.id") == "draft"
    assert page.locator("#flags li").count() == 2


def test_buyer_html_is_shown_as_text_never_run(page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto("/")
    page.fill("#message", "<img src=x onerror=alert(1)><script>alert(2)</script>颜色不对")
    page.click("#ask-button")
    page.wait_for_selector(".chip, .no-match")
    page.fill("#draft", "<b onmouseover=alert(3)>亲</b> 加我微信聊")
    page.dispatch_event("#draft", "input")
    mark = page.wait_for_selector("#draft-highlight mark")
    box = mark.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert dialogs == []
    assert page.locator("#draft-highlight b").count() == 0


def test_works_on_a_phone_screen(browser, server):
    ctx = browser.new_context(base_url=server, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    pg = ctx.new_page()
    pg.goto("/")
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    pg.fill("#message", "在吗 显示签收了但我没收到快递")
    pg.click("#ask-button")
    pg.wait_for_selector(".suggestion")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    ctx.close()


def test_edit_template_and_see_it_in_the_next_suggestion(page):
    login(page)
    page.goto("/editor?intent=not_received")
    page.click("text=签收未收到·简短回复")
    page.click("#tab-source")  # the file text, beside the form view
    page.wait_for_selector("#source")
    source = page.input_value("#source")
    head, _, _ = source.partition("---\n")[2].partition("---\n")
    new_body = "亲，真抱歉让您着急了，我马上联系快递核实签收情况，稍后第一时间回复您。"
    page.fill("#source", f"---\n{head}---\n{new_body}\n")
    page.wait_for_selector(f"#preview .text:has-text('{new_body[:8]}')")
    page.fill("#comment", "更贴心的说法")
    page.click("#save")
    page.wait_for_selector("#save-status:has-text('已保存')")
    page.goto("/")
    page.fill("#message", "菜鸟上说昨天就签收了，问了门卫和驿站都说没有我的包裹")
    page.press("#message", "Control+Enter")
    page.wait_for_selector(".suggestion")
    texts = page.locator(".suggestion .text").all_inner_texts()
    assert new_body in texts


def test_template_with_forbidden_promise_is_refused(page):
    login(page)
    page.goto("/editor/templates/bad_review_threat/short")
    page.click("#tab-source")
    source = page.input_value("#source")
    head, _, _ = source.partition("---\n")[2].partition("---\n")
    page.fill("#source", f"---\n{head}---\n亲，改成好评给您返现10元哦。\n")
    page.wait_for_selector("#flags li.sev-block")
    page.click("#save")
    page.wait_for_selector("#problems .notice.error")
    assert "未保存" in page.inner_text("#save-status")


def test_save_conflict_between_two_editors(browser, server):
    pages = []
    for _ in range(2):
        ctx = browser.new_context(base_url=server)
        pg = ctx.new_page()
        login(pg)
        pg.goto("/editor/templates/thanks/standard")
        pg.wait_for_selector("#history li")
        pages.append(pg)
    a, b = pages
    for pg, extra in ((a, "祝您生活愉快～"), (b, "有事随时找我们～")):
        pg.click("#tab-source")
        pg.fill("#source", pg.input_value("#source").rstrip() + extra + "\n")
    a.click("#save")
    a.wait_for_selector("#save-status:has-text('已保存')")
    b.click("#save")
    b.wait_for_selector("#problems:has-text('保存冲突')")
    assert "第" in b.inner_text("#problems") and "版" in b.inner_text("#problems")
    # the first editor's text is what is stored
    a.reload()
    assert "祝您生活愉快" in a.input_value("#source")
    for pg in pages:
        pg.context.close()


def test_admin_creates_and_revokes_an_api_key(page, server):
    login(page, ADMIN, "/admin")
    page.fill("#key-name", "im-bot-e2e")
    page.click("#key-form button[type=submit]")
    code = page.wait_for_selector("#new-key code")
    key = code.inner_text()
    assert key.startswith("shk_")
    assert httpx.post(f"{server}/v1/check", json={"text": "好的"}, headers={"Authorization": f"Bearer {key}"}).status_code == 200
    page.on("dialog", lambda d: d.accept())
    row = page.locator("#keys tr", has_text="im-bot-e2e")
    row.locator("button").click()
    page.wait_for_selector("#keys tr:has-text('im-bot-e2e'):has-text('已吊销')")
    assert httpx.post(f"{server}/v1/check", json={"text": "好的"}, headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_editor_cannot_open_admin(page):
    login(page)
    page.goto("/admin")
    assert "需要管理员权限" in page.inner_text("h1")
    assert page.locator("nav a[href='/admin']").count() == 0


def test_missing_context_is_named_in_chinese(page):
    page.goto("/")
    page.fill("#message", "显示签收了但是我没收到")
    page.click("#ask-button")
    missing = page.wait_for_selector(".suggestion .missing")
    assert "买家昵称" in missing.inner_text() and "buyer_name" not in missing.inner_text()


def test_a_locked_account_is_explained_and_an_admin_unlocks_it(page, server, server_accounts):
    from datetime import UTC, datetime

    from app.store import lockout

    server_accounts.create_user("xiaozhang", "xiaozhang-password", "agent")
    when = datetime(2024, 1, 1, tzinfo=UTC)
    server_accounts.clock = lambda: when
    for _ in range(lockout.LOCK_AFTER):  # wrong passwords, counted the way the server counts them
        when += lockout.MAX_BACKOFF
        server_accounts.begin_login("xiaozhang")

    page.goto("/login")
    page.fill("input[name=username]", "xiaozhang")
    page.fill("input[name=password]", "xiaozhang-password")
    page.click("button[type=submit]")
    assert "账号因多次密码错误已被锁定，请联系管理员解锁" in page.inner_text("[role=alert]")

    login(page, ADMIN, "/admin")
    row = page.locator("#users tr", has_text="xiaozhang")
    row.locator("text=已锁定").wait_for()
    row.locator("button", has_text="解锁").click()
    page.wait_for_selector("#admin-status:has-text('已解锁 xiaozhang')")
    assert row.locator("button", has_text="解锁").count() == 0
    r = httpx.post(f"{server}/login", data={"username": "xiaozhang", "password": "xiaozhang-password"})
    assert r.status_code == 303
