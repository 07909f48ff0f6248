"""The shop's own facts decide shop-dependent rules; a specific rule takes a span
over from a general one."""

from __future__ import annotations

from app.shop import ShopProfile
from tests.helpers.guard import rules_of

PROMISE = "可以的，给您发韵达"


def _carrier(guard, text, shop):
    return [f for f in guard.check(text, shop) if f.rule == "carrier_commitment"]


def test_same_text_different_carriers(guard) -> None:
    not_ours = _carrier(guard, PROMISE, ShopProfile(carriers=["申通"]))
    ours = _carrier(guard, PROMISE, ShopProfile(carriers=["申通", "韵达"]))
    unknown = _carrier(guard, PROMISE, None)
    assert [f.severity for f in not_ours] == ["block"]
    assert "申通" in not_ours[0].message and "韵达" in not_ours[0].message
    assert ours == []
    assert [f.severity for f in unknown] == ["warn"]
    assert [f.severity for f in _carrier(guard, PROMISE, ShopProfile(name="x"))] == ["warn"]


def test_carrier_aliases_count_as_the_shop_courier(guard) -> None:
    assert _carrier(guard, "给您发韵达快递", ShopProfile(carriers=["韵达"])) == []
    assert _carrier(guard, "给您发顺丰速运", ShopProfile(carriers=["顺丰"])) == []
    assert _carrier(guard, "给您发顺丰速运", ShopProfile(carriers=["申通"]))


def test_shipping_time_against_the_shop_window(guard) -> None:
    text = "5天后给您发货"

    def sev(shop):
        return [f.severity for f in guard.check(text, shop) if f.rule == "shipping_time_promise"]

    assert sev(ShopProfile(ship_within_hours=72)) == ["block"]
    assert sev(ShopProfile(ship_within_hours=168)) == ["warn"]
    assert sev(None) == ["warn"]
    window = "我们20天内给您发货"
    assert "shipping_time_promise" in rules_of(
        guard.check(window, ShopProfile(ship_within_hours=72))
    )
    assert "shipping_time_promise" not in rules_of(
        guard.check(window, ShopProfile(ship_within_hours=720))
    )


def test_invoice_against_the_shop_company_and_categories(guard) -> None:
    shop = ShopProfile(invoice={"company": "某某鞋业有限公司", "categories": ["鞋", "袜子"]})
    own = "发票由某某鞋业有限公司开具"
    other = "发票由某某贸易有限公司开具"
    assert "invoice_mismatch" not in rules_of(guard.check(own, shop))
    assert "invoice_mismatch" in rules_of(guard.check(other, shop))
    assert "invoice_mismatch" not in rules_of(guard.check("可以开成袜子类的发票", shop))
    assert "invoice_mismatch" in rules_of(guard.check("可以开成服装类的发票", shop))


def test_invoice_amount_against_the_paid_amount(guard) -> None:
    assert "invoice_mismatch" in rules_of(guard.check("这单实付了268元，发票我给您写成300元的"))
    assert "invoice_mismatch" not in rules_of(guard.check("您实付546元，发票给您按546元开"))


def test_return_refusal_depends_on_seven_day_returns(guard) -> None:
    text = "这款我们不支持退货"

    def got(shop):
        return "return_refusal" in rules_of(guard.check(text, shop))

    assert got(ShopProfile(seven_day_return=True))
    assert got(None), "unknown: cautious default is to flag"
    assert not got(ShopProfile(seven_day_return=False))


def test_a_specific_rule_takes_the_span(guard) -> None:
    assert rules_of(guard.check("保证明天到")) == {"delivery_guarantee"}
    assert rules_of(guard.check("百分百明天到货")) == {"delivery_guarantee"}
    assert rules_of(guard.check("保证治好颈椎病")) == {"efficacy_claim"}
    assert rules_of(guard.check("今天一定给您发出")) == {"shipping_time_promise"}
    # even when the specific rule lets it pass, the general one does not take it back
    assert guard.check("保证明天到，具体以物流为准") == []
    # a general word elsewhere in the text is still the general rule's
    assert rules_of(guard.check("保证明天到，质量绝对没问题")) == {
        "delivery_guarantee",
        "absolute_guarantee",
    }


def test_independent_violations_in_one_span_are_all_reported(guard) -> None:
    got = rules_of(guard.check("好评截图发我微信，返现10元"))
    assert {"review_inducement", "off_platform"} <= got
