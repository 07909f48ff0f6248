"""Situation alerts on the buyer's message: warn before the agent promises."""

from __future__ import annotations

import pytest

from app.guard.alerts import Alert, situation_alerts
from app.guard.guard import Guard
from app.shop import ShopProfile

SHOP = ShopProfile(carriers=["申通"], invoice={"company": "某某鞋业有限公司", "categories": ["鞋"]})


def _rules(alerts: list[Alert]) -> set[str]:
    return {a.rule for a in alerts}


@pytest.mark.parametrize(
    ("message", "rule"),
    [
        ("能不能给我发韵达，申通到不了我这", "carrier_commitment"),
        ("再不退款我就给差评", "review_inducement"),
        ("好评有没有返现啊", "review_inducement"),
        ("发票帮我多开一点，我拿去报销", "invoice_mismatch"),
        ("发票开成办公用品可以吗", "invoice_mismatch"),
        ("265不好听，我再加1块凑个整", "price_markup"),
        ("加个微信聊吧", "off_platform"),
        ("我直接支付宝转你行不行", "off_platform"),
        ("必须周五之前送到，保证能到吗", "delivery_guarantee"),
        # the buyer offers WeChat/QQ themselves, or asks about cashback for a review
        ("加我微信，给你发个红包", "off_platform"),
        ("你加我vx吧", "off_platform"),
        ("我qq 23456789 加我聊", "off_platform"),
        ("加我微信 wx556677 我们私下把钱退了", "off_platform"),
        ("给好评有返现吗", "review_inducement"),
    ],
)
def test_risky_situations_raise_an_alert(message: str, rule: str, guard) -> None:
    alerts = situation_alerts(message, SHOP, guard)
    assert rule in _rules(alerts)
    for a in alerts:
        assert a.severity in {"block", "warn", "info"} and a.message


@pytest.mark.parametrize(
    "message",
    [
        "鞋子开胶了，怎么处理",
        "颜色和图片差好多啊，而且还少发了一双",
        "快递到哪了？怎么还没到",
        "我要退货，尺码大了",
        "能开发票吗？个人的",
        "申通太慢了吧，三天了",
        "退货我已经用中通寄回去了",
        "东西收到了，挺好的",
    ],
)
def test_a_plain_message_gets_no_alert(message: str, guard) -> None:
    assert situation_alerts(message, SHOP, guard) == []


def test_carrier_alert_depends_on_the_shop(guard) -> None:
    msg = "可以发韵达吗"
    not_ours = situation_alerts(msg, ShopProfile(carriers=["申通"]), guard)
    assert [(a.rule, a.severity) for a in not_ours] == [("carrier_commitment", "warn")]
    assert "韵达" in not_ours[0].message and "申通" in not_ours[0].message
    assert situation_alerts(msg, ShopProfile(carriers=["韵达"]), guard) == []
    unknown = situation_alerts(msg, None, guard)
    assert [(a.rule, a.severity) for a in unknown] == [("carrier_commitment", "info")]


def test_alert_shape(guard) -> None:
    alerts = situation_alerts("加个微信吧", None, guard)
    assert [set(a.model_dump()) for a in alerts] == [{"rule", "severity", "message"}]


def test_alerts_come_from_the_given_guard(rules) -> None:
    """The alerts are the given guard's: without the off-platform rule, WeChat raises none."""
    assert _rules(situation_alerts("加个微信吧", None, Guard(rules))) == {"off_platform"}
    without = Guard([r for r in rules if r.id != "off_platform"])
    assert situation_alerts("加个微信吧", None, without) == []
