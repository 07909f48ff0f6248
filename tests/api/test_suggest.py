"""POST /v1/suggest as an agent's web box or an IM bot uses it."""

import pytest


def suggest(client, message, **body):
    r = client.post("/v1/suggest", json={"message": message, **body})
    assert r.status_code == 200, r.text
    return r.json()


def ids(out):
    return [i["id"] for i in out["intents"]]


def test_single_problem_gets_intent_and_filled_reply(client):
    out = suggest(client, "收到的鞋子颜色和图片差好多，实物暗了一个色", context={"buyer_name": "小王", "order_id": "3312"})
    assert ids(out)[0] == "color_difference"
    assert 0 < out["intents"][0]["score"] <= 1
    first = out["suggestions"][0]
    assert first["intent"] == "color_difference"
    assert first["template_id"].startswith("color_difference/")
    # buyer_name and order_id are given: the name is filled, only the item is a visible placeholder
    assert "小王" in first["text"] and first["missing_vars"] == ["item_name"] and "【" in first["text"]
    assert out["no_match"] is False


def test_two_problems_in_one_message(client):
    out = suggest(client, "亲 衣服颜色跟图片完全不一样，而且还少发了一条裤子")
    assert {"color_difference", "missing_item"} <= set(ids(out))
    assert {s["intent"] for s in out["suggestions"]} >= {"color_difference", "missing_item"}


@pytest.mark.parametrize("message", ["你们公司还招人吗，我想来上班", "帮我算下 23乘以47 等于多少", "推荐一部好看的电影"])
def test_out_of_scope_gets_no_intent(client, message):
    out = suggest(client, message)
    assert out["intents"] == []
    assert out["suggestions"] == []
    assert out["no_match"] is True
    assert out["note"]


@pytest.mark.parametrize(("message", "intent"), [("在吗", "greeting"), ("好的谢谢亲", "thanks")])
def test_short_messages(client, message, intent):
    assert ids(suggest(client, message))[:1] == [intent]


def test_greeting_does_not_crowd_out_the_problem(client):
    out = suggest(client, "在吗？我的快递显示签收了但是我根本没收到")
    assert ids(out) and ids(out)[0] == "not_received"
    assert "greeting" not in ids(out)


def test_missing_context_is_a_visible_placeholder(client):
    out = suggest(client, "我要开发票，抬头写公司的")
    assert out["suggestions"], out
    for s in out["suggestions"]:
        for var in s["missing_vars"]:
            assert var not in s["text"]  # a label, not the raw variable name
        assert "{{" not in s["text"]
    # a reply shows a 【…】 placeholder exactly when it names a missing variable, and one here does
    assert [("【" in s["text"]) for s in out["suggestions"]] == [bool(s["missing_vars"]) for s in out["suggestions"]]
    assert any(s["missing_vars"] for s in out["suggestions"])


def test_top_k_limits_suggestions(client):
    assert len(suggest(client, "少发了一件", top_k=1)["suggestions"]) == 1
    assert len(suggest(client, "少发了一件", top_k=3)["suggestions"]) <= 3


def test_explain_shows_what_drove_the_score(client):
    out = suggest(client, "色差太大了", explain=True)
    ev = out["intents"][0]["evidence"]
    assert ev[0]["kind"] == "keyword"  # 色差 is the intent's keyword: that drove the score first
    assert all(e["text"] for e in ev)
    assert "evidence" not in suggest(client, "色差太大了")["intents"][0]


def test_entities_are_returned_with_spans(client):
    msg = "订单3312456789012345678的41码换成42码"
    out = suggest(client, msg)
    sizes = [e for e in out["entities"] if e["kind"] == "size"]
    assert [msg[e["start"] : e["end"]] for e in sizes] == ["41码", "42码"]


def test_every_suggestion_carries_flags_list(client):
    out = suggest(client, "能不能给我发顺丰 我急用", shop={"carriers": ["申通"]})
    assert out["suggestions"]
    for s in out["suggestions"]:
        assert isinstance(s["flags"], list)
        assert not [f for f in s["flags"] if f["severity"] == "block"]


def test_traditional_and_fullwidth_messages(client):
    assert ids(suggest(client, "收到的裙子實物顏色比照片暗好多"))[:1] == ["color_difference"]
    assert "missing_item" in ids(suggest(client, "ＸＬ的褲子少發了一條"))


@pytest.mark.parametrize(
    "message",
    ["晒图好评是不是有返现啊", "五星好评给红包吗亲", "追评有没有返钱的"],
)
def test_asking_for_review_cashback_gets_the_alert_not_a_cashback_reply(client, message):
    body = client.post("/v1/suggest", json={"message": message}).json()
    assert "review_inducement" in {a["rule"] for a in body["alerts"]}
    assert "cashback_inquiry" not in [i["id"] for i in body["intents"]]


@pytest.mark.parametrize(
    "message",
    ["你加我微信吧 我给你发红包", "加下我v 私下退你钱", "我的微信号是 wxid9981 你加一下", "扣扣加我一下"],
)
def test_moving_off_platform_raises_the_alert(client, message):
    body = client.post("/v1/suggest", json={"message": message}).json()
    assert "off_platform" in {a["rule"] for a in body["alerts"]}


@pytest.mark.parametrize("message", ["我要退款！！！", "给我退钱 不要了"])
def test_demanding_a_refund_is_a_refund_request_not_progress(client, message):
    ids = [i["id"] for i in client.post("/v1/suggest", json={"message": message}).json()["intents"]]
    assert ids[0] == "return_refund"
