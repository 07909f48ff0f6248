"""Rendering reply templates: placeholders for missing variables, and a sandbox that holds."""

import pytest

from app.rendering.renderer import MAX_OUTPUT, Renderer, RenderError

LABELS = {"order_id": "订单号", "buyer_name": "买家昵称"}


@pytest.fixture
def renderer():
    return Renderer(LABELS)


def test_fills_context(renderer):
    out = renderer.render("亲爱的{{ buyer_name }}，订单{{ order_id }}已登记", {"buyer_name": "小王", "order_id": "123"})
    assert out.text == "亲爱的小王，订单123已登记"
    assert out.missing_vars == []


def test_missing_variable_is_visible_placeholder(renderer):
    out = renderer.render("亲爱的{{ buyer_name }}，订单{{ order_id }}已登记", {"buyer_name": "小王"})
    assert out.text == "亲爱的小王，订单【订单号】已登记"
    assert out.missing_vars == ["order_id"]


def test_empty_value_counts_as_missing_and_unknown_label_uses_name(renderer):
    out = renderer.render("{{ order_id }} / {{ courier }}", {"order_id": ""})
    assert out.text == "【订单号】 / 【courier】"
    assert out.missing_vars == ["order_id", "courier"]


def test_conditionals_and_default(renderer):
    src = "亲{% if order_id %}，订单{{ order_id }}{% endif %}，{{ buyer_name | default('您好') }}"
    assert renderer.render(src, {}).text == "亲，您好"
    assert renderer.render(src, {}).missing_vars == []
    assert renderer.render(src, {"order_id": "9"}).text == "亲，订单9，您好"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ x | attr('__class__') }}",
        "{{ '{0}'.format(1) }}",
        "{{ 'a' * 10**8 }}",
        "{{ 'a' * 100000 }}",
        "{% for i in range(10**7) %}a{% endfor %}",
        "{% for i in range(50) %}{% for j in range(50) %}a{% endfor %}{% endfor %}",
        "{% include 'x' %}",
        "{% macro m() %}{% endmacro %}",
        "{{ cycler.__init__.__globals__ }}",
        "{% if %}",
    ],
)
def test_abusive_or_broken_templates_are_refused(renderer, source):
    with pytest.raises(RenderError) as e:
        renderer.render(source, {"x": "1"})
    assert e.value.message  # a reason an editor can read


def test_output_is_bounded(renderer):
    src = "{% for c in buyer_name %}" + "字" * 100 + "{% endfor %}"
    with pytest.raises(RenderError, match=str(MAX_OUTPUT)):
        renderer.render(src, {"buyer_name": "王" * 500})


def test_syntax_error_has_line(renderer):
    problems = renderer.problems("第一行\n第二行{{ order_id \n")
    assert problems and problems[0].line == 2
