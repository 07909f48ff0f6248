"""Entity extraction: what templates and checks can use from a buyer message."""

from app.text.entities import extract


def kinds(message):
    return {(e.kind, e.value) for e in extract(message)}


def test_sizes_amounts_couriers_order_ids():
    msg = "订单3312456789012345678 实付536元 想换成41码，再给我发顺丰"
    found = kinds(msg)
    assert ("order_id", "3312456789012345678") in found
    assert ("amount", "536") in found
    assert ("size", "41码") in found
    assert ("courier", "顺丰") in found


def test_courier_aliases_and_traditional():
    assert ("courier", "顺丰") in kinds("能發ＳＦ嗎")
    assert ("courier", "EMS") in kinds("我们这只有邮政能到")
    assert ("courier", "极兔") in kinds("别发极兔速递")
    # "sf" inside another word is not a courier
    assert not any(k == "courier" for k, _ in kinds("sfx model"))


def test_letter_sizes():
    assert ("size", "XL") in kinds("能换个xl的吗")
    assert ("size", "M") in kinds("m码偏小")
    assert not any(k == "size" for k, _ in kinds("身高170cm"))


def test_spans_point_into_original():
    msg = "親 幫我換成４２碼 謝謝"
    (size,) = [e for e in extract(msg) if e.kind == "size"]
    assert msg[size.start : size.end] == "４２碼"
    assert size.value == "42码"


def test_phone_found_and_masked():
    msg = "我电话13812345678，快递员联系不上我"
    assert ("phone", "13812345678") in kinds(msg)
    assert ("phone", "13812345678") in kinds("+86 138-1234-5678")


def test_short_order_number_after_its_label():
    cases = {
        "在吗 订单号 3312456789": "3312456789",
        "订单号：3312456789 还没发货": "3312456789",
        "订单编号:33124567": "33124567",
        "订单3312456789到哪了": "3312456789",
        "单号 3312456789。": "3312456789",
    }
    for msg, order_id in cases.items():
        assert ("order_id", order_id) in kinds(msg), msg
    msg = "亲 订单号是３３１２４５６７８９，麻烦看下"
    (order,) = [e for e in extract(msg) if e.kind == "order_id"]
    assert order.value == "3312456789" and msg[order.start : order.end] == "３３１２４５６７８９"
    # without a label a short number is no order number, and 7 digits are too few
    assert not any(k == "order_id" for k, _ in kinds("我买了3312456789这个型号"))
    assert not any(k == "order_id" for k, _ in kinds("订单号 3312456"))


def test_tracking_number_after_its_label_without_a_known_prefix():
    found = kinds("快递单号：7731234567890，订单号 3312456789")
    assert ("tracking_no", "7731234567890") in found
    assert ("order_id", "3312456789") in found
    assert ("tracking_no", "JT0012345678") in kinds("退货单号 jt0012345678")
    # 单号 after 运/快递/物流 is a tracking number, not an order number
    assert not any(k == "order_id" for k, _ in kinds("物流单号 88887777123"))
    assert ("tracking_no", "SF1234567890") in kinds("运单号SF1234567890")


def test_a_labelled_number_is_not_a_phone_but_a_phone_still_is():
    assert ("order_id", "13812345678") in kinds("订单号13812345678")
    assert ("phone", "13812345678") in kinds("订单号 3312456789 电话13812345678")


def test_the_guard_and_the_extractor_read_one_phone_pattern():
    """The rules' ``{phone}`` is the extractor's phone number (the event store masks what it finds)."""
    import re

    from app.guard.rules import builtin_fragments
    from app.text.entities import PHONE_PATTERN

    assert builtin_fragments()["phone"] == PHONE_PATTERN
    for text, phone in [("电话13812345678", True), ("+86 138-1234-5678", True), ("单号 12812345678", False),
                        ("订单 2138123456789", False)]:
        assert (re.search(PHONE_PATTERN, text) is not None) is phone, text
        assert any(e.kind == "phone" for e in extract(text)) is phone, text
