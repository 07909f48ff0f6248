"""Entity extraction: what templates and checks can use from a buyer message."""

from app.text.entities import extract, mask_phones


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
    masked = mask_phones(msg)
    assert "13812345678" not in masked
    assert "138****5678" in masked
    assert "5678" not in mask_phones("+86 138-1234-5678").replace("****5678", "")
