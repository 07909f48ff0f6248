"""Whole conversations on /v1/suggest and /v1/check, the pasted-chat parser and /v1/shops.

What an agent pasting a chat notices: the reply answers the buyer's newest turns, is
filled with what the chat already says (order number, courier, nickname), lists what
was promised, and a draft that goes back on a promise is stopped."""

from __future__ import annotations

import pytest

SHOP = {"name": "某某鞋业旗舰店", "carriers": ["申通"]}

CHAT = [
    {"role": "buyer", "name": "tb_小王8866", "text": "在吗 订单号 3312456789 我想问下"},
    {"role": "agent", "text": "在的亲，请问有什么可以帮您"},
    {"role": "buyer", "text": "我想要韵达 申通到不了我这"},
    {"role": "agent", "text": "好的亲，给您备注发韵达"},
    {"role": "buyer", "text": "好的 那什么时候发货啊 我挺急的"},
]


def post(client, path, body, status=200):
    r = client.post(path, json=body)
    assert r.status_code == status, r.text
    return r.json()


def test_suggestions_answer_the_newest_buyer_turn(client):
    out = post(client, "/v1/suggest", {"conversation": CHAT, "shop": SHOP})
    assert out["answering"] == [4]
    assert out["intents"][0]["id"] == "urge_shipment"  # not the courier question answered earlier
    assert out["suggestions"][0]["intent"] == "urge_shipment"


def test_earlier_turns_fill_the_reply(client):
    out = post(client, "/v1/suggest", {"conversation": CHAT, "shop": SHOP})
    assert out["variables"]["order_id"] == "3312456789"
    assert out["variables"]["shop_name"] == "某某鞋业旗舰店"
    assert out["variables"]["buyer_name"] == "tb_小王8866"
    # The buyer asked for 韵达; the parcel still goes with the shop's only courier.
    assert out["variables"]["courier"] == "申通"
    texts = " ".join(s["text"] for s in out["suggestions"])
    assert "【订单号】" not in texts and "【店铺名】" not in texts


def test_context_wins_over_the_conversation(client):
    out = post(client, "/v1/suggest", {"conversation": CHAT, "shop": SHOP, "context": {"order_id": "9999000011"}})
    assert out["variables"]["order_id"] == "9999000011"


def test_a_tracking_number_in_the_message_names_the_courier(client):
    out = post(client, "/v1/suggest", {"message": "快递单号SF1234567890 三天了物流都没更新"})
    assert out["variables"].get("tracking_no") == "SF1234567890"
    assert out["variables"].get("courier") == "顺丰"
    assert all("【快递公司】" not in s["text"] for s in out["suggestions"])


def test_promises_are_listed_with_offsets_and_an_order_note(client):
    out = post(client, "/v1/suggest", {"conversation": CHAT, "shop": SHOP})
    promises = out["promises"]
    carrier = [p for p in promises if p["kind"] == "carrier"]
    assert carrier and carrier[0]["turn"] == 3
    turn = CHAT[3]["text"]
    assert turn[carrier[0]["start"] : carrier[0]["end"]] == carrier[0]["text"]
    assert "韵达" in carrier[0]["text"]
    assert carrier[0]["rule"] == "carrier_commitment"  # the shop ships 申通 only: a risky promise
    assert "韵达" in out["order_note"]


def test_a_message_with_a_conversation_is_its_newest_turn(client):
    out = post(client, "/v1/suggest", {"conversation": CHAT[:4], "message": "那什么时候能发货呢", "shop": SHOP})
    assert out["answering"] == [4]
    assert out["intents"][0]["id"] == "urge_shipment"


def test_check_flags_a_draft_that_breaks_an_earlier_promise(client):
    out = post(client, "/v1/check", {"text": "亲，今天给您发申通哦", "conversation": CHAT, "shop": SHOP})
    broken = [f for f in out["flags"] if f["rule"] == "broken_promise"]
    assert broken, out
    assert broken[0]["severity"] == "block"
    assert broken[0]["turn"] == 3
    assert "韵达" in broken[0]["message"]
    text = "亲，今天给您发申通哦"
    assert text[broken[0]["start"] : broken[0]["end"]] == broken[0]["excerpt"]
    assert out["promises"]


def test_check_is_quiet_when_the_draft_keeps_the_promise(client):
    out = post(client, "/v1/check", {"text": "按您说的给您发韵达，已经备注好了", "conversation": CHAT})
    assert [f for f in out["flags"] if f["rule"] == "broken_promise"] == []


def test_check_without_a_conversation_keeps_its_shape(client):
    out = post(client, "/v1/check", {"text": "亲，已经帮您备注了"})
    assert out == {"flags": []}


def test_two_problems_give_one_combined_reply(client):
    out = post(client, "/v1/suggest", {"message": "亲 衣服颜色跟图片完全不一样，而且还少发了一条裤子", "context": {"buyer_name": "小王"}})
    combined = out["combined"]
    assert combined is not None
    assert len(combined["template_ids"]) == 2
    assert combined["text"].count("亲爱的小王") == 1  # one greeting
    for tid in combined["template_ids"]:
        assert any(s["template_id"] == tid for s in out["suggestions"])


def test_one_problem_has_no_combined_reply(client):
    out = post(client, "/v1/suggest", {"message": "收到的鞋子颜色和图片差好多"})
    assert out["combined"] is None


def test_missing_variables_are_listed_once_with_their_labels(client):
    out = post(client, "/v1/suggest", {"message": "我要查一下我的退款到哪了"})
    names = [m["name"] for m in out["missing"]]
    assert len(names) == len(set(names))
    for s in out["suggestions"]:
        assert set(s["missing_vars"]) <= set(names)
    assert all(m["label"] and m["label"] != m["name"] for m in out["missing"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "message"),
        ({"conversation": []}, "conversation"),
        ({"conversation": [{"role": "seller", "text": "在的"}]}, "conversation.0.role"),
        ({"conversation": [{"role": "buyer", "text": "   "}]}, "conversation.0.text"),
        ({"conversation": [{"role": "buyer", "text": "在吗"}, {"role": "agent", "text": "在的亲"}]}, "message"),
        ({"conversation": [{"role": "buyer", "text": "在吗"}] * 101}, "conversation"),
        ({"conversation": [{"role": "buyer", "text": "很" * 1999}] * 11}, "conversation"),
    ],
)
def test_bad_conversations_name_the_field(client, body, field):
    r = client.post("/v1/suggest", json=body)
    assert r.status_code == 422, r.text
    fields = [e["field"] for e in r.json()["errors"]]
    assert field in fields, r.json()


def test_parse_a_pasted_chat(client):
    pasted = (
        "tb_小王8866 2026-11-30 14:02:11\n在吗 鞋子少发了一只\n"
        "某某鞋业旗舰店:小美 2026-11-30 14:02:40\n在的亲，您稍等，我马上帮您查一下\n"
        "tb_小王8866 2026-11-30 14:03:05\n好的\n快点哦\n"
    )
    out = post(client, "/v1/conversations/parse", {"text": pasted})
    turns = out["turns"]
    assert [t["role"] for t in turns] == ["buyer", "agent", "buyer"]
    assert turns[1]["name"].endswith("小美")
    assert "好的" in turns[2]["text"] and "快点哦" in turns[2]["text"]
    # What the parser gives is what /v1/suggest takes.
    body = {"conversation": [{k: v for k, v in t.items() if v is not None} for t in turns]}
    assert post(client, "/v1/suggest", body)["answering"] == [2]


def test_parse_refuses_an_empty_paste(client):
    r = client.post("/v1/conversations/parse", json={"text": "  \n "})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "text"


def test_shops_are_listed(client):
    out = client.get("/v1/shops").json()
    assert out["shops"] and sum(s["default"] for s in out["shops"]) == 1
