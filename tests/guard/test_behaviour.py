"""What an agent notices: promises are caught, hedged or negated ones are not,
evasion does not hide them, and a clean reply stays clean."""

from __future__ import annotations

import pytest

from tests.helpers.guard import rules_of

CLEAN_REPLIES = [
    "亲，非常抱歉给您带来不便，麻烦您拍一下问题部位，我们核实后马上为您处理。",
    "亲，订单付款后会在承诺的72小时内由仓库安排出库。",
    "快递一般3到5天送达，偏远地区会慢一些，具体以物流信息为准。",
    "商品支持7天无理由退换，不影响二次销售就可以，退货运费按平台规则处理。",
    "发票会按订单实付金额开具，开好后发送到您的邮箱。",
    "可能是我没有解释清楚，我再跟您说明一下尺码怎么选。",
    "感谢您的评价，有任何问题随时在旺旺上联系我们。",
    "这款是店里的热销款，鞋底是橡胶的，比较防滑。",
    "效果因人而异，这款鞋垫不能代替药物治疗哦。",
    "等包裹到了您先验货，没问题再点确认收货也不迟。",
    "退款原因您按实际情况选就可以，审核这边会尽快处理。",
    "订单3312456789已发出，单号稍后同步给您。",
]


@pytest.mark.parametrize("text", CLEAN_REPLIES)
def test_a_clean_polite_reply_gets_no_flags(guard, shoe_shop, text: str) -> None:
    assert guard.check(text) == []
    assert guard.check(text, shoe_shop) == []


def test_empty_and_blank_texts(guard) -> None:
    assert guard.check("") == []
    assert guard.check("  \u200b \n") == []


@pytest.mark.parametrize(
    ("promise", "hedged"),
    [
        ("保证明天到", "无法保证明天到，我们会帮您催快递"),
        ("后天肯定能送到", "后天肯定能送到，不过具体以物流为准"),
        ("保证明天到", "我们不能跟您保证明天到哦"),
        ("明天一定给您发出", "预计明天给您发出"),
        ("明天一定给您发出", "我们尽量明天给您发出"),
        ("绝对没问题", "这个我们不敢说绝对没问题，但会认真检查"),
        ("给您双倍赔偿", "不能给您双倍赔偿，我们按平台规则处理"),
        ("我们不支持退货", "不是我们不支持退货，是需要您先申请"),
        ("加我微信聊", "我们不会让您加微信，请谨防诈骗"),
        ("保证祛斑", "祛斑效果因人而异，不能保证"),
    ],
)
def test_negation_and_hedging_cancel_a_promise(guard, promise: str, hedged: str) -> None:
    assert guard.check(promise), f"the bare promise should flag: {promise}"
    assert guard.check(hedged) == [], f"hedged/negated should not flag: {hedged}"


def test_checking_before_promising_is_not_a_carrier_promise(guard, shoe_shop) -> None:
    assert "carrier_commitment" in rules_of(guard.check("可以的，给您发韵达", shoe_shop))
    for text in [
        "我帮您确认一下韵达能不能发，稍后回复您",
        "韵达能否安排我问一下仓库",
        "给您发韵达可以吗？我先去确认",
    ]:
        assert "carrier_commitment" not in rules_of(guard.check(text, shoe_shop)), text


def test_a_question_with_a_not_is_no_negation(guard) -> None:
    """能不能 / 是不是 contain 不能 / 不是 but do not negate."""
    assert "refund_reason_change" in rules_of(guard.check("您看能不能把退款原因改成七天无理由"))
    assert "rude_language" in rules_of(guard.check("你是不是脑子进水了"))


def test_agreed_arrangements_are_not_violations(guard, shoe_shop) -> None:
    assert guard.check("按您的要求10天后发货，已备注", shoe_shop) == []
    assert guard.check("发顺丰需要补拍运费差价10元", shoe_shop) == []
    late = guard.check("10天后给您发货", shoe_shop)
    assert [f.severity for f in late if f.rule == "shipping_time_promise"] == ["block"]


EVASIONS = [
    # (plain, evasive variant, rule)
    ("加微信", "加 微 信", "off_platform"),
    ("加微信", "加\u200b微\u200c信", "off_platform"),
    ("加微信", "加.微.信", "off_platform"),
    ("加微信", "加*微*信", "off_platform"),
    ("加vx", "加ＶＸ", "off_platform"),
    ("加v", "加Ｖ", "off_platform"),
    ("加微信", "加威信", "off_platform"),
    ("加微信", "加薇信", "off_platform"),
    ("加微信", "加微x", "off_platform"),
    ("加微信", "加v信", "off_platform"),
    ("加qq", "加扣扣", "off_platform"),
    ("加qq", "加ＱＱ", "off_platform"),
    ("加qq", "有事找我企鹅号", "off_platform"),
    ("支付宝转给我", "支付寶轉給我", "off_platform"),
    ("私下转账", "私 下 转 账", "off_platform"),
    ("保证明天到", "保證明天到", "delivery_guarantee"),
    ("保证明天到", "保 证 明 天 到", "delivery_guarantee"),
    ("好评返现", "好\u200b评\u200b返\u200b现", "review_inducement"),
    ("好评返现", "好評返現", "review_inducement"),
    ("绝对没问题", "絕對沒問題", "absolute_guarantee"),
    ("绝对没问题", "绝，对，没，问，题", "absolute_guarantee"),
    ("再拍1元", "再拍１元", "price_markup"),
    ("爱买不买", "愛 買 不 買", "rude_language"),
    ("概不退换", "概😊不😊退😊换", "return_refusal"),
]


@pytest.mark.parametrize(("plain", "evasive", "rule"), EVASIONS)
def test_evasion_does_not_hide_a_violation(guard, plain: str, evasive: str, rule: str) -> None:
    assert rule in rules_of(guard.check(plain))
    flags = [f for f in guard.check(evasive) if f.rule == rule]
    assert flags, f"{evasive!r} should flag {rule}"
    for f in flags:
        assert evasive[f.start : f.end] == f.excerpt


def test_a_clause_boundary_is_not_an_evasion(guard) -> None:
    """Dropping punctuation must not glue two innocent clauses into a violation."""
    assert "off_platform" not in rules_of(guard.check("尺码可以再加,微信支付也支持"))
    assert "off_platform" not in rules_of(guard.check("淘宝支持微信支付和支付宝付款"))


def test_the_own_courier_and_courier_words_in_other_senses(guard, shoe_shop) -> None:
    assert guard.check("给您发申通，放心", shoe_shop) == []
    assert guard.check("申通的快递员会联系您", shoe_shop) == []


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        # an arrival day stated as fact is a promise, even without 保证
        ("查过了 后天是可以给您送到的", "delivery_guarantee"),
        ("好的 会在12号给您送达", "delivery_guarantee"),
        ("晚上师傅会送货上门的", "delivery_guarantee"),
        # a shipping day the agent sets, also when asking the buyer to agree to it
        ("好的 周三给您寄出 您看这样行吗", "shipping_time_promise"),
        ("这两款今明两天内给您发出", "shipping_time_promise"),
        # vouchers and platform coins handed out as compensation
        ("实在抱歉 送您八百京豆", "compensation_promise"),
        # asking for the code the buyer received, in any order
        ("短信验证码收到后麻烦告诉我", "privacy_leak"),
        # a field name left in brackets
        ("您的订单《订单编号》已取消", "unfilled_placeholder"),
    ],
)
def test_plain_statements_are_promises(guard, text: str, rule: str) -> None:
    assert rule in rules_of(guard.check(text))


@pytest.mark.parametrize(
    "text",
    [
        "估计后天能送到 具体以物流为准",
        "今天不一定能送到 我帮您催一下",
        "仓库今天已经给您寄出了 物流晚点更新",
        "付款后两天内发货 不保证当天寄出",
        "您想哪天送货呢",
        "取消订单后用掉的京豆会退回您的账户",
        "客服不会向您索要验证码 请勿告诉任何人",
        "请看说明书《安装步骤》第三页",
        "百分百羊毛的面料",
        "有没有陌生人加您微信说要给您退款",
        "退款会原路退回您的微信零钱",
    ],
)
def test_hedges_reports_and_look_alikes_stay_clean(guard, text: str) -> None:
    assert guard.check(text) == [], text


def test_a_new_message_after_a_space_is_a_new_clause(guard) -> None:
    """A question in the next message does not make the promise before it a question."""
    assert "shipping_time_promise" not in rules_of(guard.check("明天给您发货可以吗？"))
    assert "shipping_time_promise" in rules_of(guard.check("明天给您发货 您还有别的问题吗"))
    # single characters between spaces are an evasion, not separate messages
    assert "delivery_guarantee" in rules_of(guard.check("保 证 明 天 到"))
    assert guard.check("不 能 保 证 明 天 到") == []


def test_a_cue_far_away_in_an_unpunctuated_message_does_not_govern_the_hit(guard) -> None:
    near = "我们尽量明天给您发出"
    far = "亲这边单子比较多我们会尽量安排的不过您这单的货已经备齐了明天给您发出"
    assert guard.check(near) == []
    assert "shipping_time_promise" in rules_of(guard.check(far))
    # a sentence-final particle ends a clause in a chat typed without punctuation
    assert "carrier_commitment" in rules_of(guard.check("快递没法指定哦行吧这单给您走邮政"))
