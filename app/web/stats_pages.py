"""The supervisors' statistics pages: ``/stats``, ``/stats.csv`` and the monthly report.

The figures are those of ``GET /v1/stats``: these pages ask the same service
(``app.stats.figures``) and only lay its JSON out as tables (``tables``)
and SVG charts (``app.web.charts``).  The tables are built once and serve the page,
the CSV export (UTF-8 with a BOM, so that Excel reads the Chinese) and the printable
monthly report (the courseware's 月底统计表: problem classes, negative reviews,
claims, returns and exchanges, as far as the recorded messages tell).

Editor role, signed in: anyone else is sent to sign in (or told they need the role).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app import stats as statistics
from app.api.deps import AssistantDep, ShopsDep, get_period
from app.api.errors import ProblemError
from app.api.recording import EventsDep
from app.config import ShopDirectory
from app.engine.assistant import Assistant
from app.store.events import EventRecorder
from app.store.roles import ROLE_NAMES
from app.web import charts
from app.web.pages import SignedIn, _render

router = APIRouter(include_in_schema=False)

PRIORITY_NAMES = {"high": "高", "medium": "中", "low": "低"}
KIND_NAMES = {"session": "账号", "key": "API key", "local": "本机", "open": "免登录"}
FIELD_NAMES = {"from": "开始日期", "to": "结束日期", "month": "月份", "table": "表格"}

#: The courseware's after-sales service types (售后服务类型) and the intents that ask for them.
AFTER_SALES = (
    ("退货退款", ("return_refund", "return_shipping_fee", "refund_progress")),
    ("换货", ("exchange_request",)),
    ("维修", ("warranty_repair",)),
    ("补发（漏发、错发）", ("missing_item", "wrong_item")),
    ("理赔（运输破损、价保）", ("damaged_in_transit", "price_protection")),
)
#: Buyers' negative feedback (负面评价): threats of a bad review and complaints.
NEGATIVE = ("bad_review_threat", "complaint_escalation")

NOT_RECORDED = (
    "订单号、金额和理赔、退款的结果（买家消息里的订单号已打码，是否退款、赔了多少不经过售后助手）",
    "淘宝后台的实际评价、追评和 DSR 评分（这里数的是买家在聊天里说要给差评或投诉的消息）",
    "客服没有用售后助手处理的咨询",
)


@dataclass
class Table:
    """One table of the page, as its CSV has it: a title, the column heads and the cells."""

    name: str
    title: str
    headers: list[str]
    rows: list[list[str | int]] = field(default_factory=list)
    note: str = ""


def _rate(part: int, whole: int) -> str:
    return charts.percent(part / whole) if whole else "—"


def _outcome_cells(o: dict) -> list[str | int]:
    shown = o["shown"]
    return [
        shown, o["accepted"], o["edited"], o["dismissed"],
        "—" if o["acceptance_rate"] is None else charts.percent(o["acceptance_rate"]),
        _rate(o["edited"], shown), _rate(o["dismissed"], shown),
    ]


OUTCOME_HEADS = ["展示次数", "原样采用", "修改后采用", "不采用", "采用率", "修改率", "不采用率"]


def _priority(p: str | None) -> str:
    return PRIORITY_NAMES.get(p or "", "—")


def _category_columns(body: dict) -> list[dict]:
    return body["by_category"]  # highest priority first, as the API orders them


def _period_table(name: str, title: str, key: str, head: str, rows: list[dict], columns: list[dict]) -> Table:
    table = Table(name, title, [head, "买家消息", "未匹配"] + [
        f"{c['category']}（{_priority(c['priority'])}）" for c in columns
    ])
    for row in rows:
        counts = {c["category"]: c["count"] for c in row["by_category"]}
        table.rows.append([row[key], row["messages"], row["no_match"]] + [counts.get(c["category"], 0) for c in columns])
    return table


def _template_title(tid: str, pack) -> str:
    titles = []
    for part in tid.split("+"):
        t = pack.templates.get(part)
        titles.append(t.title if t else part)
    return " + ".join(titles)


def tables(body: dict, pack, rules) -> dict[str, Table]:
    """Every table of the statistics page, from the JSON of ``GET /v1/stats``, by its CSV name."""
    rule_titles = {r.id: r.title or r.id for r in rules}
    labels = {i: spec.label for i, spec in pack.intents.items()}
    out: list[Table] = []
    s, checks = body["suggestions"], body["checks"]
    out.append(Table("summary", "总览", ["指标", "数值"], [
        ["买家消息", body["messages"]],
        ["没有匹配到问题的消息", body["no_match"]],
        ["未匹配率", "—" if body["no_match_rate"] is None else charts.percent(body["no_match_rate"])],
        ["展示的建议回复", s["shown"]],
        ["原样采用", s["accepted"]],
        ["修改后采用", s["edited"]],
        ["不采用", s["dismissed"]],
        ["采用率（原样 + 修改后）/ 展示", "—" if s["acceptance_rate"] is None else charts.percent(s["acceptance_rate"])],
        ["回复检查有提示", checks["flagged"]],
        ["拦下的违规承诺（“禁止发送”的提示拦下的发送）", checks["blocked"]],
    ]))
    total = body["messages"]
    out.append(Table("by_category", "问题分类", ["问题分类", "处理优先级", "买家消息", "占全部消息"], [
        [c["category"], _priority(c["priority"]), c["count"], _rate(c["count"], total)] for c in body["by_category"]
    ], note="一条消息提到几类问题时每类各算一次。"))
    out.append(Table("by_priority", "处理优先级", ["优先级", "买家消息"], [
        [_priority(p["priority"]), p["count"]] for p in body["by_priority"]
    ]))
    columns = _category_columns(body)
    out.append(_period_table("by_day", "每天的消息（按问题分类）", "date", "日期", body["by_day"], columns))
    out.append(_period_table("by_week", "每周的消息（按问题分类）", "week", "周（从星期一起）", body["by_week"], columns))
    out.append(_period_table("by_month", "每月的消息（按问题分类）", "month", "月份", body["by_month"], columns))
    out.append(Table("by_intent", "买家问得最多的问题（意图）", ["意图", "意图编号", "问题分类", "优先级", "买家消息", *OUTCOME_HEADS], [
        [i["label"], i["id"], i["category"], _priority(i["priority"]), i["count"], *_outcome_cells(i)]
        for i in body["by_intent"]
    ]))
    out.append(Table("by_template", "各模板的采用情况", ["模板", "模板编号", "意图", *OUTCOME_HEADS], [
        [_template_title(t["template_id"], pack) + ("（合并回复）" if t["combined"] else ""), t["template_id"],
         labels.get(t["intent"], t["intent"]), *_outcome_cells(t)]
        for t in body["by_template"]
    ]))
    out.append(Table("by_agent", "各客服的采用情况", ["客服", "方式", "买家消息", *OUTCOME_HEADS], [
        [a["agent"], KIND_NAMES.get(a["kind"], a["kind"]), a["messages"], *_outcome_cells(a)] for a in body["by_agent"]
    ]))
    out.append(Table("dismiss_reasons", "不采用的原因", ["原因", "次数"], [
        [r["reason"], r["count"]] for r in body["dismiss_reasons"]
    ], note="客服点“不采用”时可以选填原因；没填的不在这里。"))
    out.append(Table("flags", "回复检查的提示（按规则）", ["规则", "规则编号", "次数"], [
        [rule_titles.get(f["rule"], f["rule"]), f["rule"], f["count"]] for f in body["flags"]
    ], note="客服连续修改同一条草稿、提示不变时只算一次。"))
    out.append(Table("alerts", "买家消息引出的风险提醒", ["提醒", "规则编号", "次数"], [
        [rule_titles.get(a["rule"], a["rule"]), a["rule"], a["count"]] for a in body["alerts"]
    ]))
    return {t.name: t for t in out}


def report_tables(body: dict, pack) -> dict[str, Table]:
    """The monthly report's own tables: negative reviews, and claims, returns and exchanges."""
    counts = {i["id"]: i["count"] for i in body["by_intent"]}
    present = [i for i in NEGATIVE if i in pack.intents]
    negative = Table("negative", "负面评价统计", ["类型", "买家消息", "占全部消息"], [
        [pack.intents[i].label, counts.get(i, 0), _rate(counts.get(i, 0), body["messages"])] for i in present
    ], note="数的是买家在聊天里说要给差评、要投诉的消息，不是后台实际收到的评价。")
    classes = {pack.intents[i].category for i in present}
    weekly = Table("negative_by_week", "负面评价（每周）", ["周（从星期一起）", *sorted(classes)])
    for w in body["by_week"]:
        per = {c["category"]: c["count"] for c in w["by_category"]}
        weekly.rows.append([w["week"], *[per.get(c, 0) for c in sorted(classes)]])
    after = Table("after_sales", "理赔及退换货统计", ["类型", "包括的问题", "买家消息"], note=(
        "数的是问到这类售后的买家消息；一条消息问到同一类的两个问题时算两次。是否办成、金额多少没有记录。"
    ))
    for kind, ids in AFTER_SALES:
        ids = [i for i in ids if i in pack.intents]
        if ids:
            after.rows.append([kind, "、".join(pack.intents[i].label for i in ids), sum(counts.get(i, 0) for i in ids)])
    return {t.name: t for t in (negative, weekly, after)}


# -- handlers ------------------------------------------------------------------------------------


def _none_if_blank(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _problem_text(e: ProblemError) -> str:
    field_name = e.errors[0]["field"] if e.errors else ""
    label = FIELD_NAMES.get(field_name)
    detail = e.detail.split("：", 1)[1] if "：" in e.detail and label else e.detail
    return f"{label}（{field_name}）：{detail}" if label else detail


def _figures(
    events: EventRecorder, assistant: Assistant, first: str | None, last: str | None, shop: str | None
) -> dict:
    """The JSON of ``GET /v1/stats`` for these filters (ProblemError naming the field of a bad date)."""
    asked = get_period(first, last, shop)
    return statistics.figures(events.store, assistant.pack, asked.first, asked.last, asked.shop)


def _quick_picks(today: date, shop: str | None) -> list[dict]:
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    picks = [
        ("本月", month_start, today),
        ("上月", last_month_end.replace(day=1), last_month_end),
        ("近7天", today - timedelta(days=6), today),
        ("近30天", today - timedelta(days=29), today),
    ]
    out = []
    for label, a, b in picks:
        query = {"from": a.isoformat(), "to": b.isoformat(), **({"shop": shop} if shop else {})}
        out.append({"label": label, "url": "/stats?" + urlencode(query), "from": a.isoformat(), "to": b.isoformat()})
    return out


def _forbidden(request: Request, who) -> HTMLResponse:
    return _render(request, "documents_list.html", who, 403, nav="stats", title="需要模板编辑权限才能看统计",
                   rows=[], headers=["—"], q="", can_edit=False, new_url="")


def _shops(shops: ShopDirectory) -> list[dict]:
    return [{"key": k, "name": p.name or k} for k, p in shops.shops.items()]


def _charts(body: dict, t: dict[str, Table]) -> dict:
    days = body["by_day"]
    top = body["by_intent"][:10]
    return {
        "by_category": charts.bar_chart(
            [(f"{c['category']}（{_priority(c['priority'])}）", c["count"]) for c in body["by_category"]],
            title="各问题分类的买家消息数", desc="按处理优先级从高到低排列；数字也在下面的表格里。",
        ),
        "by_day": charts.line_chart(
            [d["date"][5:] for d in days],
            [("买家消息", [d["messages"] for d in days]), ("未匹配", [d["no_match"] for d in days])],
            title="每天的买家消息和未匹配消息", desc=f"{body['from']} 至 {body['to']}，北京时间；数字见“每天的消息”表。",
            width=1000, height=240,
        ),
        "by_intent": charts.bar_chart(
            [(i["label"], i["count"]) for i in top], title="买家问得最多的十个问题", desc="数字见下面的表格。"
        ),
        "acceptance": charts.bar_chart(
            [(i["label"], i["acceptance_rate"]) for i in body["by_intent"] if i["acceptance_rate"] is not None][:10],
            title="各意图建议回复的采用率", desc="采用率 =（原样采用 + 修改后采用）÷ 展示次数。", value_format=charts.percent,
            scale_max=1.0,
        ),
        "dismiss_reasons": charts.bar_chart(
            [(r["reason"], r["count"]) for r in body["dismiss_reasons"][:10]], title="不采用的原因", desc="数字见下面的表格。"
        ),
        "flags": charts.bar_chart(
            [(str(row[0]), int(row[2])) for row in t["flags"].rows[:10]], title="回复检查的提示（按规则）",
            desc="数字见下面的表格。",
        ),
    }


@router.get("/stats", response_class=HTMLResponse)
def stats_page(
    request: Request,
    who: SignedIn,
    events: EventsDep,
    engine: AssistantDep,
    shops: ShopsDep,
    from_: str | None = Query(None, alias="from", max_length=20),
    to: str | None = Query(None, max_length=20),
    shop: str | None = Query(None, max_length=64),
):
    if not who.allows("editor"):
        return _forbidden(request, who)
    first, last, shop = _none_if_blank(from_), _none_if_blank(to), _none_if_blank(shop)
    today = datetime.now(statistics.STATS_TZ).date()
    ctx = {"nav": "stats", "shops": _shops(shops), "shop": shop, "picks": _quick_picks(today, shop),
           "from_value": first or "", "to_value": last or ""}
    try:
        body = _figures(events, engine, first, last, shop)
    except ProblemError as e:
        return _render(request, "stats.html", who, 422, error=_problem_text(e), body=None, **ctx)
    t = tables(body, engine.pack, engine.rules)
    query = {"from": body["from"], "to": body["to"], **({"shop": shop} if shop else {})}
    ctx.update(from_value=body["from"], to_value=body["to"])
    month = body["to"][:7]
    return _render(
        request, "stats.html", who, body=body, tables=t, charts=_charts(body, t), query=urlencode(query),
        report_url="/stats/report?" + urlencode({"month": month, **({"shop": shop} if shop else {})}), month=month, **ctx,
    )


def csv_bytes(table: Table) -> bytes:
    """``table`` as CSV: UTF-8 with a byte order mark, CRLF line ends (what Excel expects)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_csv_cell(c) for c in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _csv_cell(value: str | int) -> str | int:
    # A cell a spreadsheet would run as a formula (=, +, -, @ first) is written as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@router.get("/stats.csv")
def stats_csv(
    who: SignedIn,
    events: EventsDep,
    engine: AssistantDep,
    table: str = Query("summary", max_length=40),
    from_: str | None = Query(None, alias="from", max_length=20),
    to: str | None = Query(None, max_length=20),
    shop: str | None = Query(None, max_length=64),
):
    if not who.allows("editor"):
        raise ProblemError(403, f"需要{ROLE_NAMES['editor']}权限，当前为{ROLE_NAMES[who.role]}")
    shop = _none_if_blank(shop)
    body = _figures(events, engine, _none_if_blank(from_), _none_if_blank(to), shop)
    every = {**tables(body, engine.pack, engine.rules), **report_tables(body, engine.pack)}
    chosen = every.get(table)
    if chosen is None:
        raise ProblemError(422, f"table：没有名为 {table!r} 的表格", [{"field": "table", "message": f"可选：{', '.join(every)}"}])
    filename = f"售后统计-{chosen.title}-{body['from']}至{body['to']}{'-' + shop if shop else ''}.csv"
    fallback = f"stats-{chosen.name}-{body['from']}_{body['to']}.csv"  # for clients without filename*
    return Response(
        csv_bytes(chosen), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"},
    )


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month(value: str | None, today: date) -> tuple[date, date]:
    if not value:
        first = today.replace(day=1)
    else:
        m = _MONTH.match(value.strip())
        if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
            raise ProblemError(422, "month：月份应写成 YYYY-MM，如 2026-11", [{"field": "month", "message": "月份应写成 YYYY-MM"}])
        first = date(int(m.group(1)), int(m.group(2)), 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


@router.get("/stats/report", response_class=HTMLResponse)
def monthly_report(
    request: Request,
    who: SignedIn,
    events: EventsDep,
    engine: AssistantDep,
    shops: ShopsDep,
    month: str | None = Query(None, max_length=20),
    shop: str | None = Query(None, max_length=64),
):
    if not who.allows("editor"):
        return _forbidden(request, who)
    shop = _none_if_blank(shop)
    today = datetime.now(statistics.STATS_TZ).date()
    try:
        first, last = _month(month, today)
    except ProblemError as e:
        return _render(request, "stats_report.html", who, 422, error=_problem_text(e), body=None)
    body = _figures(events, engine, first.isoformat(), last.isoformat(), shop)
    t = tables(body, engine.pack, engine.rules)
    r = report_tables(body, engine.pack)
    shop_name = next((s["name"] for s in _shops(shops) if s["key"] == shop), shop) if shop else "全部店铺"
    c = _charts(body, t)
    c["negative"] = charts.bar_chart(
        [(str(row[0]), int(row[1])) for row in r["negative"].rows], title="负面评价相关的买家消息", desc="数字见左边的表格。"
    )
    c["after_sales"] = charts.bar_chart(
        [(str(row[0]), int(row[2])) for row in r["after_sales"].rows], title="理赔及退换货相关的买家消息",
        desc="数字见左边的表格。",
    )
    query = urlencode({"from": body["from"], "to": body["to"], **({"shop": shop} if shop else {})})
    return _render(
        request, "stats_report.html", who, body=body, tables=t, report=r, charts=c, shop_name=shop_name,
        month_title=f"{first.year}年{first.month}月", query=query, not_recorded=NOT_RECORDED,
        made=datetime.now(statistics.STATS_TZ).strftime("%Y-%m-%d %H:%M"),
    )
