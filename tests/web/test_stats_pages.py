"""The supervisors' pages: /stats, its CSV export and the printable monthly report."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.stats import STATS_TZ
from app.store.events import CheckEvent, Shown, SuggestEvent

EDITOR = ("zhuguan", "supervisor-password-1")
AGENT = ("xiaoli", "agent-password-1")
OCTOBER = "from=2026-10-01&to=2026-10-31&shop=seeded"


def _at(day: int, hour: int = 4) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)  # 12:00 in Beijing


def _event(day, intents, shown, who="xiaoli", message="亲，请问这个怎么处理呀"):
    rows = [Shown(sid, tid, tid.split("/")[0], n, f"亲，这是第{n}条建议") for n, (sid, tid) in enumerate(shown, 1)]
    return SuggestEvent(_at(day), "seeded", who, "session", intents, [], message, rows)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    db = tmp_path_factory.mktemp("stats") / "shouhou.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}", agent_access="key"))
    app.state.accounts.create_user(*EDITOR, "editor")
    app.state.accounts.create_user(*AGENT, "agent")
    store = app.state.events.store
    store.add(
        [
            _event(2, [("quality_defect", 0.9)], [("q1", "quality_defect/standard")]),
            _event(2, [("quality_defect", 0.8), ("logistics_delay", 0.7)],
                   [("q2", "quality_defect/standard"), ("l1", "logistics_delay/standard")]),
            _event(9, [("color_difference", 0.9)], [("c1", "color_difference/standard")]),
            _event(9, [("exchange_request", 0.9)], [("e1", "exchange_request/standard")]),
            _event(15, [("bad_review_threat", 0.9)], [("b1", "bad_review_threat/standard")], who="xiaomei"),
            _event(16, [("usage_guide", 0.8)], [("u1", "usage_guide/standard")]),
            _event(20, [], [], message="你们公司还招人吗"),
        ],
        [CheckEvent(_at(3), "seeded", "xiaoli", "session", ["carrier_commitment"], True)],
    )
    store.feedback("q1", "sent", final_text="亲，这是第1条建议")
    store.feedback("q2", "copied")
    store.feedback("c1", "sent", final_text="亲，我帮您换一双颜色正的")
    store.feedback("e1", "dismissed", reason="语气不对")
    return app


def _signed_in(app, who) -> TestClient:
    c = TestClient(app)
    r = c.post("/login", data={"username": who[0], "password": who[1]}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


@pytest.fixture(scope="module")
def editor(app):
    with _signed_in(app, EDITOR) as c:
        yield c


@pytest.fixture(scope="module")
def agent(app):
    with _signed_in(app, AGENT) as c:
        yield c


def _api(app, query=OCTOBER) -> dict:
    key = app.state.accounts.create_api_key("stats-test", "editor")[0]
    with TestClient(app) as c:
        return c.get(f"/v1/stats?{query}", headers={"Authorization": f"Bearer {key}"}).json()


def _csv(r) -> list[list[str]]:
    assert r.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("path", ["/stats", f"/stats.csv?table=by_intent&{OCTOBER}", "/stats/report?month=2026-10"])
def test_anonymous_visitors_are_sent_to_sign_in(app, path):
    with TestClient(app) as c:
        r = c.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=/stats")


def test_agents_may_not_see_the_statistics(agent):
    page = agent.get("/stats")
    assert page.status_code == 403 and "需要模板编辑权限" in page.text
    r = agent.get(f"/stats.csv?table=summary&{OCTOBER}")
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "需要模板编辑权限" in r.json()["detail"]
    assert agent.get("/stats/report?month=2026-10").status_code == 403
    assert 'href="/stats"' not in agent.get("/").text  # no link to a page they cannot open


def test_the_page_shows_the_figures_of_the_stats_api(app, editor):
    api = _api(app)
    r = editor.get(f"/stats?{OCTOBER}")
    assert r.status_code == 200
    html = r.text
    assert re.search(r'id="stat-messages">7<', html) and api["messages"] == 7
    assert re.search(r'id="stat-no-match">14.3%<', html)  # 1 of 7
    assert re.search(r'id="stat-blocked">1<', html)
    # the problem classes with the courseware's priorities, highest first
    table = html[html.index('id="table-by_category"'):]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr><td>(.+?)</td><td>(.)</td><td class=\"num\">(\d+)</td>", table)
    assert rows[:2] == [("商品质量", "高", "2"), ("物流问题", "高", "1")]  # same priority: more messages first
    assert ("商品不符", "中", "1") in rows and ("操作咨询", "低", "1") in rows
    assert [r[0] for r in rows].index("操作咨询") > [r[0] for r in rows].index("商品不符")
    # charts are inline SVG with their own title; the page links its own stylesheet, no CDN
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') >= 5
    assert "<title id=" in html and "各问题分类的买家消息数" in html
    assert "/static/stats.css" in html and "https://" not in html.split("<main", 1)[1]
    assert " style=" not in html  # the Content-Security-Policy allows no inline style
    assert "语气不对" in html and "拦下的违规承诺" in html
    assert 'aria-current="page">统计' in html


def test_quick_picks_keep_the_shop_and_cover_whole_periods(editor):
    html = editor.get("/stats?shop=seeded").text
    found = re.findall(r'<a href="/stats\?from=([\d-]+)&amp;to=([\d-]+)&amp;shop=seeded"[^>]*>([^<]+)</a>', html)
    picks = {label: (date.fromisoformat(a), date.fromisoformat(b)) for a, b, label in found}
    today = datetime.now(STATS_TZ).date()
    assert picks["本月"] == (today.replace(day=1), today)
    last_month = picks["上月"]
    assert last_month[0].day == 1 and last_month[1] == today.replace(day=1) - timedelta(days=1)
    assert picks["近7天"] == (today - timedelta(days=6), today)
    assert picks["近30天"] == (today - timedelta(days=29), today)


def test_a_quiet_period_says_there_is_nothing_yet(editor):
    html = editor.get("/stats?from=2025-01-01&to=2025-01-31").text
    assert "这段时间还没有记录" in html
    assert 'id="stat-messages">0<' in html


@pytest.mark.parametrize(
    ("query", "field", "label"),
    [("from=2026-13-01", "from", "开始日期"), ("to=yesterday", "to", "结束日期"),
     ("from=2026-11-30&to=2026-11-01", "from", "开始日期")],
)
def test_bad_dates_on_the_page_name_the_field_in_chinese(editor, query, field, label):
    r = editor.get(f"/stats?{query}")
    assert r.status_code == 422
    message = re.search(r'role="alert">([^<]+)<', r.text).group(1)
    assert label in message and f"（{field}）" in message
    assert 'name="from"' in r.text  # the form is there to put it right


def test_empty_form_fields_mean_the_default_period(editor):
    assert editor.get("/stats?from=&to=&shop=").status_code == 200


def test_csv_of_top_intents_has_the_columns_and_the_numbers(app, editor):
    r = editor.get(f"/stats.csv?table=by_intent&{OCTOBER}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="stats-by_intent-2026-10-01_2026-10-31.csv"' in disposition
    name = unquote(disposition.split("filename*=UTF-8''", 1)[1])
    assert name == "售后统计-买家问得最多的问题（意图）-2026-10-01至2026-10-31-seeded.csv"
    rows = _csv(r)
    assert rows[0][:5] == ["意图", "意图编号", "问题分类", "优先级", "买家消息"]
    assert rows[0][5:] == ["展示次数", "原样采用", "修改后采用", "不采用", "采用率", "修改率", "不采用率"]
    by_id = {row[1]: row for row in rows[1:]}
    assert by_id["quality_defect"][:9] == ["质量问题", "quality_defect", "商品质量", "高", "2", "2", "2", "0", "0"]
    assert by_id["quality_defect"][9] == "100%"
    assert by_id["color_difference"][6:10] == ["0", "1", "0", "100%"]  # sent with other words: edited
    assert by_id["exchange_request"][8:] == ["1", "0%", "0%", "100%"]
    assert len(rows) - 1 == len(_api(app)["by_intent"])


@pytest.mark.parametrize(
    "table",
    ["summary", "by_category", "by_priority", "by_day", "by_week", "by_month", "by_intent", "by_template",
     "by_agent", "dismiss_reasons", "flags", "alerts", "negative", "negative_by_week", "after_sales"],
)
def test_every_table_downloads(editor, table):
    r = editor.get(f"/stats.csv?table={table}&{OCTOBER}")
    assert r.status_code == 200, r.text
    rows = _csv(r)
    assert rows[0] and all(h for h in rows[0])


def test_csv_by_day_lists_every_day_with_a_column_per_problem_class(editor):
    rows = _csv(editor.get(f"/stats.csv?table=by_day&{OCTOBER}"))
    assert rows[0][:3] == ["日期", "买家消息", "未匹配"]
    assert "商品质量（高）" in rows[0] and "操作咨询（低）" in rows[0]
    assert len(rows) == 32
    day2 = next(r for r in rows if r[0] == "2026-10-02")
    assert day2[1] == "2" and day2[rows[0].index("商品质量（高）")] == "2"
    assert next(r for r in rows if r[0] == "2026-10-20")[2] == "1"


def test_csv_cells_cannot_become_spreadsheet_formulas(app, editor):
    app.state.events.store.add([_event(21, [("return_refund", 0.9)], [("f1", "return_refund/standard")])])
    app.state.events.store.feedback("f1", "dismissed", reason="=HYPERLINK(\"http://example.com\")")
    rows = _csv(editor.get("/stats.csv?table=dismiss_reasons&from=2026-10-21&to=2026-10-21&shop=seeded"))
    assert rows[1][0].startswith("'=")


@pytest.mark.parametrize(
    ("query", "field"),
    [("table=by_intent&from=2026-02-30", "from"), ("table=by_intent&to=2026/10/31", "to"),
     ("table=no_such_table", "table")],
)
def test_bad_csv_requests_are_a_422_naming_the_field(editor, query, field):
    r = editor.get(f"/stats.csv?{query}")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["errors"][0]["field"] == field
    assert re.search(r"[\u4e00-\u9fff]", body["detail"])


def test_monthly_report_is_a_printable_document(editor):
    r = editor.get("/stats/report?month=2026-10&shop=seeded")
    assert r.status_code == 200
    html = r.text
    assert "2026年10月售后统计月报" in html
    assert "<nav" not in html  # no navigation on paper
    for heading in ("售后问题分类", "负面评价统计", "理赔及退换货统计", "没有记录的内容"):
        assert heading in html
    after = html[html.index('id="table-after_sales"'):]
    after = after[: after.index("</table>")]
    assert re.search(r"<td>换货</td><td>换货</td><td class=\"num\">1</td>", after)
    negative = html[html.index('id="table-negative"'):]
    assert re.search(r"<td>差评</td><td class=\"num\">1</td>", negative[: negative.index("</table>")])
    assert html.count("<svg") >= 4
    css = editor.get("/static/stats.css").text
    assert "size: A4" in css and "@media print" in css


def test_a_bad_month_is_named(editor):
    r = editor.get("/stats/report?month=2026-13")
    assert r.status_code == 422
    assert "月份（month）" in r.text
