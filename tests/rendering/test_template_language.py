"""The reply-template language: what a reply needs renders; nothing an editor writes can stall or bloat a render."""

import logging
import time
import tracemalloc

import pytest

from app.rendering import renderer as renderer_module
from app.rendering.language import MAX_LOOP_ITEMS, MAX_STEPS, MAX_TEMPLATE_CHARS
from app.rendering.renderer import (
    MAX_CONTEXT_VALUE,
    MAX_OUTPUT,
    Renderer,
    RenderError,
    plain_context,
)
from tests.rendering.payloads import CHINESE, ISSUE, LEAK, SSTI

LABELS = {"order_id": "订单号", "buyer_name": "买家昵称", "amount": "金额", "item_name": "商品名称"}
CTX = {"buyer_name": "小王", "order_id": "3312456789012345678", "item_name": "F5716 女鞋", "amount": "536"}


@pytest.fixture
def renderer():
    return Renderer(LABELS)


@pytest.mark.parametrize(
    ("source", "context", "expected"),
    [
        ("亲爱的{{ buyer_name }}，订单{{ order_id }}", CTX, "亲爱的小王，订单3312456789012345678"),
        ("{{ buyer_name | default('亲') }}{{ courier | d('快递') }}", {}, "亲快递"),
        ("{{ '  小王 '|trim }}{{ 'ab'|upper }}{{ 'CD'|lower }}", {}, "小王ABcd"),
        ("{{ item_name|truncate(6, true, '…', 0) }}", CTX, "F5716…"),
        ("{{ item_name|replace('女鞋', '凉鞋') }}/{{ item_name|replace('5', '6', 1) }}", CTX, "F5716 凉鞋/F6716 女鞋"),
        ("{{ buyer_name|length }}{{ buyer_name|first }}{{ buyer_name|last }}", CTX, "2小王"),
        ("{{ ['申通', '圆通']|join('、') }}", {}, "申通、圆通"),
        ("{% if amount|int > 500 %}大额{% elif amount|int > 0 %}小额{% else %}无{% endif %}", CTX, "大额"),
        ("{% if buyer_name and not order_id %}a{% elif '王' in buyer_name or x %}b{% endif %}", CTX, "b"),
        ("{% if order_id is defined and amount is string and courier is undefined %}ok{% endif %}", CTX, "ok"),
        ("{{ '有' if order_id else '无' }}{{ amount|int|string }}", CTX, "有536"),
        ("{% for c in buyer_name %}{{ loop.index }}{{ c }}{% if not loop.last %}、{% endif %}{% endfor %}", CTX,
         "1小、2王"),
        ("{% for k in ['申通', '圆通'] if k != '圆通' %}{{ k }}{% else %}无{% endfor %}", {}, "申通"),
        ("{% for item in items %}{{ item.name }}×{{ item.n }} {% endfor %}", {"items": [{"name": "鞋", "n": 2}]}, "鞋×2"),
        ("{% set who = buyer_name|default('亲') %}{{ who }}您好", {}, "亲您好"),
        ("{# 注释 #}  {%- if true -%}  紧凑  {%- endif -%}  ", {}, "紧凑"),
        ("{% raw %}{{ 原样 }}{% endraw %}", {}, "{{ 原样 }}"),
        ("{{ -1 }}{{ order.id }}{{ buyer_name[0] }}{{ buyer_name[1:] }}", {**CTX, "order": {"id": 7}}, "-17小王"),
    ],
)
def test_what_a_reply_template_needs_still_renders(renderer, source, context, expected):
    assert renderer.problems(source) == []
    assert renderer.render(source, context).text == expected


def test_bundled_style_template_has_no_problems(renderer):
    src = "亲爱的{{ buyer_name }}，您好～\n{% if order_id %}订单 {{ order_id }} 已登记。{% else %}麻烦发一下订单号。{% endif %}\n客服{{ agent_name }}"
    assert renderer.problems(src) == []
    assert "订单 3312456789012345678 已登记" in renderer.render(src, CTX).text


@pytest.mark.parametrize(("name", "body", "word"), ISSUE, ids=[c[0] for c in ISSUE])
def test_issue_payloads_are_refused_before_they_render_with_their_line(renderer, name, body, word):
    source = "亲，您好\n" + body  # the payload is on line 2
    started = time.perf_counter()
    problems = renderer.problems(source)
    elapsed = time.perf_counter() - started
    print(f"\n{name}: refused in {elapsed * 1000:.1f} ms")
    assert problems, name
    assert word in problems[0].message and CHINESE.search(problems[0].message)
    assert problems[0].line == 2
    with pytest.raises(RenderError):
        renderer.render(source, {"buyer_name": "王" * MAX_CONTEXT_VALUE, "order_id": "9" * MAX_CONTEXT_VALUE})


@pytest.mark.parametrize("source", SSTI)
def test_injection_payloads_are_refused_or_render_nothing_of_python(renderer, source):
    try:
        text = renderer.render(source, {"buyer_name": "小王", "order_id": 3312}).text
    except RenderError as e:
        assert CHINESE.search(e.message), e.message
        assert "0x" not in e.message and "<" not in e.message, e.message  # no repr in the message either
        return
    assert not LEAK.search(text), text


def test_names_jinja_gives_a_meaning_are_refused(renderer):
    for name in ("range", "self", "cycler", "joiner", "namespace", "lipsum", "dict", "loop", "caller", "kwargs"):
        problems = renderer.problems(f"{{{{ {name} }}}}")
        assert problems and name in problems[0].message, name
    assert renderer.problems("{% set range = 1 %}")[0].message.startswith("range 是保留的名称")


def test_growing_filters_are_bounded_before_the_value_is_built(renderer):
    name = {"buyer_name": "a" * MAX_CONTEXT_VALUE}
    grow = "{{ buyer_name" + ("|replace('a', '" + "a" * 50 + "')") * 3 + " }}"
    join = "{{ buyer_name" + ("|join('" + "-" * 50 + "')") * 3 + " }}"
    for source in (grow, join):
        assert renderer.problems(source) == []
        tracemalloc.start()
        try:
            with pytest.raises(RenderError, match=str(MAX_OUTPUT)):
                renderer.render(source, name)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 2_000_000, f"{source[:40]}: {peak} bytes were built before the refusal"


def test_int_filter_caps_long_digit_strings(renderer):
    assert renderer.render("{{ order_id|int }}", {"order_id": "9" * 3900}).text == "0"
    assert renderer.render("{{ order_id|int(-1) }}", {"order_id": "9" * 3900}).text == "-1"
    assert renderer.render("{{ order_id|int }}", {"order_id": "3312456789012345678"}).text == "3312456789012345678"


def test_a_loop_visits_at_most_the_bound(renderer):
    items = "[" + ", ".join(["1"] * (MAX_LOOP_ITEMS + 1)) + "]"
    source = "亲\n{% for x in " + items + " %}{% endfor %}"
    with pytest.raises(RenderError, match=str(MAX_LOOP_ITEMS)) as e:
        renderer.render(source, {})
    assert e.value.line == 2
    with pytest.raises(RenderError, match="循环"):
        renderer.render("{% for x in amount %}{% endfor %}", {"amount": 5})


def test_the_worst_case_work_is_bounded_when_the_template_is_saved(renderer):
    heavy = "{% if buyer_name|replace('a', 'bb')|length > 1 %}{% endif %}" * 3
    assert renderer.problems(heavy) == []  # once: fine
    problems = renderer.problems("亲\n\n{% for c in buyer_name %}" + heavy + "{% endfor %}")  # 500 times: too much
    assert problems and "循环体太大" in problems[0].message and str(MAX_STEPS) in problems[0].message
    assert problems[0].line == 3


def test_nesting_and_size_are_bounded(renderer):
    deep_ifs = "{% if a %}" * 150 + "{% endif %}" * 150
    assert "嵌套" in renderer.problems(deep_ifs)[0].message
    assert "嵌套" in renderer.problems("{{ " + "[" * 300 + "]" * 300 + " }}")[0].message
    long = "亲" * (MAX_TEMPLATE_CHARS + 1)
    assert str(MAX_TEMPLATE_CHARS) in renderer.problems(long)[0].message


def test_context_values_are_capped_before_the_render():
    ctx = plain_context({
        "order_id": 10**3999,
        "nan": float("nan"),
        "inf": float("inf"),
        "buyer_name": "王" * 600,
        "items": list(range(100)),
        "deep": [[["x"]]],
        "obj": object(),
        "fn": print,
        "empty": "",
        "none": None,
        "ok": 3312,
    })
    assert set(ctx) == {"buyer_name", "items", "deep", "ok"}
    assert len(ctx["buyer_name"]) == MAX_CONTEXT_VALUE and len(ctx["items"]) == 50
    assert ctx["deep"] == [[]] and ctx["ok"] == 3312


def test_a_huge_or_non_finite_number_shows_as_missing(renderer):
    out = renderer.render("订单{{ order_id }}，金额{{ amount }}", {"order_id": 10**3999, "amount": float("nan")})
    assert out.text == "订单【订单号】，金额【金额】"
    assert out.missing_vars == ["order_id", "amount"]


def test_the_clock_never_drops_a_render(renderer, monkeypatch, caplog):
    """A busy machine makes a render slow, not wrong: the limit is the static bound, the clock is only logged."""
    ticks = iter(range(0, 10**6, 10))  # every reading of the clock is 10 s later than the last

    monkeypatch.setattr(renderer_module.time, "perf_counter", lambda: float(next(ticks)))
    src = "{% for c in buyer_name %}{{ c }}{% endfor %}，订单{{ order_id }}"
    with caplog.at_level(logging.WARNING, logger="shouhou.rendering"):
        out = renderer.render(src, CTX)
    assert out.text == "小王，订单3312456789012345678"
    assert "slow template render" in caplog.text
    assert "小王" not in caplog.text and "3312456789012345678" not in caplog.text
