"""The server-side SVG charts: well-formed, proportional, accessible, and every text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from app.web.charts import EMPTY, bar_chart, line_chart, nice_max, percent

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))  # raises on anything that is not well-formed XML


def test_bars_are_proportional_to_their_values():
    svg = parse(bar_chart([("商品质量（高）", 40), ("物流问题（高）", 10), ("商品不符（中）", 20)], title="问题分类"))
    widths = [float(r.get("width")) for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert len(widths) == 3
    assert widths[0] == pytest.approx(4 * widths[1], rel=1e-3)
    assert widths[2] == pytest.approx(2 * widths[1], rel=1e-3)
    # the longest bar fits inside the drawing, with room for its number
    x = float(next(r.get("x") for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar"))
    assert x + widths[0] < float(svg.get("width"))
    values = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "value"]
    assert values == ["40", "10", "20"]


def test_a_fixed_scale_keeps_rates_comparable():
    def bar_width(chart) -> float:
        return float(next(r.get("width") for r in parse(chart).iter(f"{SVG}rect") if r.get("class") == "bar"))

    # without a scale the largest value fills the drawing; on a 0–100 % scale 50 % is half of it
    filled = bar_width(bar_chart([("色差", 0.5)], title="采用率", value_format=percent))
    half = bar_width(bar_chart([("色差", 0.5)], title="采用率", scale_max=1.0, value_format=percent))
    assert half == pytest.approx(filled / 2, rel=1e-3)
    svg = parse(bar_chart([("色差", 0.5)], title="采用率", scale_max=1.0, value_format=percent))
    assert [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "value"] == ["50%"]


def test_labels_and_titles_are_escaped():
    nasty = '<script>alert("x")</script> & 色差'
    markup = str(bar_chart([(nasty, 3)], title='标题 <b>&"', desc="说明 <i>"))
    assert "<script>" not in markup and "<b>" not in markup and "<i>" not in markup
    svg = parse(markup)
    assert svg.find(f"{SVG}title").text == '标题 <b>&"'
    row_title = next(g.find(f"{SVG}title").text for g in svg.iter(f"{SVG}g"))
    assert row_title == f"{nasty}：3"
    line = str(line_chart(["11-01", "<x>"], [("买家<消息>", [1, 2])], title="每天"))
    assert "<x>" not in line and "<消息>" not in line
    parse(line)


def test_charts_are_accessible_and_readable_in_chinese():
    svg = parse(bar_chart([("物流问题", 2)], title="各问题分类的买家消息数", desc="数字见表格"))
    assert svg.get("role") == "img"
    assert svg.get("aria-label") == "各问题分类的买家消息数"
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert svg.find(f"{SVG}title").get("id") == title_id and svg.find(f"{SVG}desc").get("id") == desc_id
    assert svg.find(f"{SVG}desc").text == "数字见表格"
    assert "Noto Sans CJK SC" in svg.get("font-family")
    # no style attribute anywhere: the pages' CSP forbids inline styles
    assert all(el.get("style") is None for el in svg.iter())


def test_each_chart_gets_its_own_ids():
    a = parse(bar_chart([("a", 1)], title="一"))
    b = parse(bar_chart([("a", 1)], title="二"))
    assert a.find(f"{SVG}title").get("id") != b.find(f"{SVG}title").get("id")


def test_a_long_label_is_clipped_but_kept_whole_in_its_title():
    label = "买家说收到的商品和详情页描述完全不一样而且还要投诉" * 2
    svg = parse(bar_chart([(label, 5), ("短", 1)], title="意图", width=400))
    shown = next(t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "label")
    assert shown.endswith("…") and len(shown) < len(label)
    assert next(g.find(f"{SVG}title").text for g in svg.iter(f"{SVG}g")).startswith(label)


def test_line_chart_points_follow_the_values():
    svg = parse(line_chart(["11-01", "11-02", "11-03"], [("买家消息", [0, 5, 10]), ("未匹配", [0, 1, 2])], title="每天"))
    series = [g for g in svg.iter(f"{SVG}g") if (g.get("class") or "").startswith("series")]
    assert len(series) == 2
    ys = [float(c.get("cy")) for c in series[0].iter(f"{SVG}circle")]
    # y grows downwards: equal steps in the values are equal steps on the page
    assert ys[0] > ys[1] > ys[2]
    assert ys[0] - ys[1] == pytest.approx(ys[1] - ys[2], abs=0.15)
    legend = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "legend"]
    assert legend == ["买家消息", "未匹配"]
    assert [c.get("data-value") for c in series[1].iter(f"{SVG}circle")] == ["0", "1", "2"]


def test_many_days_write_only_some_x_labels():
    days = [f"11-{d:02d}" for d in range(1, 31)]
    svg = parse(line_chart(days, [("买家消息", list(range(30)))], title="每天"))
    ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "tick" and t.get("text-anchor") == "middle"]
    assert 4 <= len(ticks) <= 10 and ticks[0] == "11-01"


@pytest.mark.parametrize("chart", [
    lambda: bar_chart([], title="空"),
    lambda: bar_chart([("色差", 0)], title="空"),
    lambda: line_chart(["11-01", "11-02"], [("买家消息", [0, 0])], title="空"),
])
def test_nothing_to_draw_says_so(chart):
    svg = parse(chart())
    assert [t.text for t in svg.iter(f"{SVG}text")] == [EMPTY]
    assert not [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar"]


def test_axis_ends_on_a_round_number():
    assert [nice_max(v) for v in (0, 1, 3, 7, 12, 26, 180)] == [1, 1, 5, 10, 20, 50, 200]
    assert percent(0.125) == "12.5%" and percent(1.0) == "100%"


def test_counts_get_whole_number_ticks():
    svg = parse(line_chart(["11-01", "11-02"], [("买家消息", [47, 20])], title="每天"))
    ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "tick" and t.get("text-anchor") == "end"]
    assert ticks == ["0", "10", "20", "30", "40", "50"]
