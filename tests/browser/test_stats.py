"""End to end in headless Chromium: a suggestion an agent copied is counted on /stats."""

import csv
import io

import httpx
import pytest

from tests.helpers.browser import EDITOR, login

pytestmark = pytest.mark.browser

MESSAGE = "亲，鞋子才穿了两天鞋底就开胶了，这是质量问题吧"


def _row(page, table: str, key: str) -> list[str]:
    """The cells of the row of ``table`` whose cells include ``key`` (empty if there is none)."""
    for row in page.locator(f"#table-{table} tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        if key in cells:
            return cells
    return []


def test_a_copied_suggestion_is_counted_on_the_stats_page(page, server):
    login(page, EDITOR, "/stats")
    page.goto("/stats?shop=outdoor")
    before = int(page.inner_text("#stat-messages"))

    answer = httpx.post(f"{server}/v1/suggest", json={"message": MESSAGE, "shop_key": "outdoor"}).json()
    first = answer["suggestions"][0]
    template = first["template_id"]
    page.reload()
    old = _row(page, "by_template", template)
    old_accepted = int(old[4]) if old else 0  # 模板, 模板编号, 意图, 展示次数, 原样采用 …
    r = httpx.post(f"{server}/v1/feedback", json={"suggestion_id": first["suggestion_id"], "action": "copied"})
    assert r.json() == {"counted": True}

    page.reload()
    assert int(page.inner_text("#stat-messages")) == before + 1
    row = _row(page, "by_template", template)
    assert row and int(row[4]) == old_accepted + 1
    intent = _row(page, "by_intent", first["intent"])
    assert intent and int(intent[4]) >= 1
    assert page.locator("svg.chart[role=img]").count() >= 5

    # a quick pick keeps the shop; the period is still counted
    page.click(".quick-picks a:has-text('近7天')")
    page.wait_for_url("**/stats?from=*shop=outdoor")
    assert int(_row(page, "by_template", template)[4]) == old_accepted + 1

    # the CSV of the same table downloads with a Chinese name and the same figures
    with page.expect_download() as info:
        page.click("#table-by_template caption a.csv")
    download = info.value
    assert download.suggested_filename.startswith("售后统计-各模板的采用情况-")
    content = open(download.path(), "rb").read()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert next(r for r in rows if r[1] == template)[4] == str(old_accepted + 1)
