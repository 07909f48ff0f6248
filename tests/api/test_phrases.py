"""The phrase library over HTTP: search by short code, initials and text; favourites, recent, personal phrases; /v1/me."""

from __future__ import annotations

import pytest

from tests.helpers.http import bearer


@pytest.fixture(scope="module")
def agents(fresh_app):
    """Two signed-in agents: the headers their browsers send (session cookie and CSRF token)."""
    accounts = fresh_app.state.accounts
    out = {}
    for name in ("xiaomei", "ahua"):
        accounts.create_user(name, "a-long-password", "agent")
        token, csrf = accounts.create_session(name)
        out[name] = {"Cookie": f"shouhou_session={token}", "X-CSRF-Token": csrf}
    return out


def search(client, headers, q, **body):
    r = client.post("/v1/phrases/search", json={"q": q, **body}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["phrases"]


def ids(phrases):
    return [p["id"] for p in phrases]


def test_a_short_code_finds_its_template_filled_with_the_context(fresh_client, keys):
    found = search(fresh_client, bearer(keys["agent"]), "sc1", context={"buyer_name": "小王", "item_name": "F5716 女鞋"})
    first = found[0]
    assert first["id"] == "tpl:color_difference/standard" and first["kind"] == "template"
    assert first["shortcode"] == "sc1" and first["intent"] == "color_difference" and first["title"] == "色差·标准回复"
    assert "亲爱的小王" in first["text"] and "F5716 女鞋" in first["text"] and first["missing_vars"] == []
    assert first["favourite"] is False and first["last_used"] is None


def test_the_shop_profile_and_the_nickname_fill_the_reply(fresh_client, agents):
    r = fresh_client.put("/v1/me", json={"nickname": "小美"}, headers=agents["xiaomei"])
    assert r.status_code == 200
    found = search(fresh_client, agents["xiaomei"], "wh1", shop={"name": "某某旗舰店"})
    assert found[0]["id"] == "tpl:greeting/standard"
    assert "欢迎光临某某旗舰店" in found[0]["text"] and "我是客服小美" in found[0]["text"]
    assert found[0]["missing_vars"] == []
    # without them the placeholders show, and are listed
    anonymous = search(fresh_client, agents["ahua"], "wh1")[0]
    assert "【店铺名】" in anonymous["text"] and set(anonymous["missing_vars"]) == {"shop_name", "agent_name"}


def test_a_signed_in_agents_nickname_fills_the_suggestions_unless_the_request_names_one(fresh_client, agents):
    assert fresh_client.put("/v1/me", json={"nickname": "小美"}, headers=agents["xiaomei"]).status_code == 200

    def greeting_texts(headers, **body):
        r = fresh_client.post("/v1/suggest", json={"message": "在吗", **body}, headers=headers)
        assert r.status_code == 200, r.text
        return [s["text"] for s in r.json()["suggestions"] if s["intent"] == "greeting"]

    signed_in = greeting_texts(agents["xiaomei"])
    assert signed_in and all("【客服昵称】" not in t for t in signed_in) and any("小美" in t for t in signed_in)
    named = greeting_texts(agents["xiaomei"], context={"agent_name": "阿珍"})
    assert any("阿珍" in t for t in named) and not any("小美" in t for t in named)
    # an agent without a nickname still sees the placeholder, to fill in by hand
    assert any("【客服昵称】" in t for t in greeting_texts(agents["ahua"]))


def test_pinyin_initials_find_titles_and_texts(fresh_client, keys):
    found = search(fresh_client, bearer(keys["agent"]), "sc", limit=3)
    assert {p["title"] for p in found} == {"色差·标准回复", "色差·简短回复", "色差·致歉安抚"}
    # 退换货 is only in the text of the bad-review replies: found, after any title match
    found = search(fresh_client, bearer(keys["agent"]), "thh", limit=100)
    assert "tpl:bad_review_threat/standard" in ids(found)
    # full-width and upper case are the same letters
    assert ids(search(fresh_client, bearer(keys["agent"]), "ＳＣ", limit=3)) == ids(search(fresh_client, bearer(keys["agent"]), "sc", limit=3))


def test_text_and_several_words(fresh_client, keys):
    found = search(fresh_client, bearer(keys["agent"]), "自然光")
    assert set(ids(found)) == {"tpl:color_difference/standard", "tpl:color_difference/short"}
    both = search(fresh_client, bearer(keys["agent"]), "色差 致歉")
    assert ids(both) == ["tpl:color_difference/apology"]
    assert search(fresh_client, bearer(keys["agent"]), "这几个字哪儿都没有") == []


def test_an_empty_query_lists_every_template(fresh_client, keys, fresh_app):
    found = search(fresh_client, bearer(keys["agent"]), "", limit=100)
    assert len(found) == len(fresh_app.state.holder.current().pack.templates) == 87
    assert len(search(fresh_client, bearer(keys["agent"]), "", limit=5)) == 5


def test_favourites_then_recent_then_the_rest(fresh_client, agents):
    me = agents["ahua"]
    assert fresh_client.put("/v1/phrases/favourites/tpl:color_difference/short", headers=me).status_code == 204
    assert fresh_client.post("/v1/phrases/used", json={"id": "tpl:color_difference/apology"}, headers=me).status_code == 204
    found = search(fresh_client, me, "sc", limit=3)
    assert ids(found) == ["tpl:color_difference/short", "tpl:color_difference/apology", "tpl:color_difference/standard"]
    assert [p["favourite"] for p in found] == [True, False, False]
    assert found[1]["last_used"] is not None and found[0]["last_used"] is None

    # an empty query: favourites, then recently used (newest first), then everything else
    fresh_client.post("/v1/phrases/used", json={"id": "tpl:thanks/short"}, headers=me)
    found = search(fresh_client, me, "", limit=4)
    assert ids(found)[:3] == ["tpl:color_difference/short", "tpl:thanks/short", "tpl:color_difference/apology"]

    # another agent's library is their own; an API key gets the templates only
    assert not any(p["favourite"] for p in search(fresh_client, agents["xiaomei"], "sc"))
    assert fresh_client.delete("/v1/phrases/favourites/tpl:color_difference/short", headers=me).status_code == 204
    assert ids(search(fresh_client, me, "sc", limit=1)) == ["tpl:color_difference/apology"]


def test_an_exact_short_code_comes_before_favourites(fresh_client, agents):
    me = agents["ahua"]
    mine = fresh_client.post("/v1/phrases/personal", json={"title": "色差补偿说明", "text": "亲，颜色问题给您添麻烦了。", "shortcode": "sc30"},
                             headers=me).json()
    fresh_client.put(f"/v1/phrases/favourites/{mine['id']}", headers=me)
    assert ids(search(fresh_client, me, "sc3", limit=2)) == ["tpl:color_difference/apology", mine["id"]]
    fresh_client.delete(f"/v1/phrases/personal/{mine['id'].removeprefix('my:')}", headers=me)


def test_personal_phrases(fresh_client, agents, keys):
    me, other = agents["xiaomei"], agents["ahua"]
    r = fresh_client.post("/v1/phrases/personal", json={"title": "退换货须知", "text": "亲，退换货请保持吊牌完好，不影响二次销售哦。"}, headers=me)
    assert r.status_code == 201
    made = r.json()
    assert made["id"].startswith("my:") and made["kind"] == "personal" and made["intent"] is None
    assert made["shortcode"] is None and made["missing_vars"] == [] and made["favourite"] is False
    number = made["id"].removeprefix("my:")

    # found by its initials, ahead of texts that only mention 退换货
    assert search(fresh_client, me, "thh")[0]["id"] == made["id"]
    assert made["id"] not in ids(search(fresh_client, other, "thh", limit=100))
    assert made["id"] not in ids(search(fresh_client, bearer(keys["agent"]), "thh", limit=100))
    assert ids(fresh_client.get("/v1/phrases/personal", headers=me).json()["phrases"]) == [made["id"]]

    r = fresh_client.put(f"/v1/phrases/personal/{number}", json={"title": "退换货须知", "text": "亲，吊牌请保留好哦。", "shortcode": "thx"},
                         headers=me)
    assert r.status_code == 200 and r.json()["shortcode"] == "thx" and r.json()["text"] == "亲，吊牌请保留好哦。"
    assert search(fresh_client, me, "thx")[0]["id"] == made["id"]

    # someone else's phrase: not found, whatever they try
    body = {"title": "改掉", "text": "改掉"}
    assert fresh_client.put(f"/v1/phrases/personal/{number}", json=body, headers=other).status_code == 404
    assert fresh_client.delete(f"/v1/phrases/personal/{number}", headers=other).status_code == 404
    assert fresh_client.put(f"/v1/phrases/favourites/{made['id']}", headers=other).status_code == 404
    assert fresh_client.post("/v1/phrases/used", json={"id": made["id"]}, headers=other).status_code == 404

    assert fresh_client.delete(f"/v1/phrases/personal/{number}", headers=me).status_code == 204
    assert fresh_client.delete(f"/v1/phrases/personal/{number}", headers=me).status_code == 404
    assert made["id"] not in ids(search(fresh_client, me, "", limit=100))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "标" * 41, "text": "亲，您好"}, "title"),
        ({"title": "  ", "text": "亲，您好"}, "title"),
        ({"title": "问候", "text": "亲" * 2001}, "text"),
        ({"title": "问候", "text": "   "}, "text"),
        ({"title": "问候", "text": "亲，您好", "shortcode": "w h"}, "shortcode"),
        ({"title": "问候"}, "text"),
        ({"title": 3, "text": "亲，您好"}, "title"),
    ],
)
def test_bad_personal_phrases_are_422_naming_the_field(fresh_client, agents, body, field):
    r = fresh_client.post("/v1/phrases/personal", json=body, headers=agents["xiaomei"])
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == [field]


def test_bad_phrase_ids(fresh_client, agents, keys):
    me = agents["xiaomei"]
    r = fresh_client.put("/v1/phrases/favourites/tpl:no_such/template", headers=me)
    assert r.status_code == 404 and "no_such/template" in r.json()["detail"]
    r = fresh_client.put("/v1/phrases/favourites/color_difference/standard", headers=me)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "phrase_id"
    r = fresh_client.post("/v1/phrases/used", json={"id": 12}, headers=me)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "id"
    r = fresh_client.post("/v1/phrases/search", json={"q": "sc", "limit": 0}, headers=bearer(keys["agent"]))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "limit"
    r = fresh_client.post("/v1/phrases/search", json={"q": "sc", "shop_key": "nope"}, headers=bearer(keys["agent"]))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "shop_key"


def test_the_library_and_the_profile_need_a_signed_in_agent(fresh_client, agents, keys):
    r = fresh_client.get("/v1/me")
    assert r.status_code == 401 and "登录" in r.json()["detail"]
    r = fresh_client.get("/v1/me", headers=bearer(keys["admin"]))
    assert r.status_code == 403 and "登录" in r.json()["detail"]
    r = fresh_client.post("/v1/phrases/personal", json={"title": "问候", "text": "亲，您好"}, headers=bearer(keys["agent"]))
    assert r.status_code == 403
    assert fresh_client.put("/v1/phrases/favourites/tpl:thanks/short", headers=bearer(keys["agent"])).status_code == 403
    # a session write without its CSRF token is refused
    cookie_only = {"Cookie": agents["xiaomei"]["Cookie"]}
    r = fresh_client.post("/v1/phrases/personal", json={"title": "问候", "text": "亲，您好"}, headers=cookie_only)
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    assert fresh_client.put("/v1/me", json={"nickname": "坏人"}, headers=cookie_only).status_code == 403


def test_me(fresh_client, agents):
    me = agents["ahua"]
    assert fresh_client.get("/v1/me", headers=me).json() == {"username": "ahua", "role": "agent", "nickname": None}
    r = fresh_client.put("/v1/me", json={"nickname": " 阿华 "}, headers=me)
    assert r.status_code == 200 and r.json() == {"username": "ahua", "role": "agent", "nickname": "阿华"}
    assert fresh_client.get("/v1/me", headers=me).json()["nickname"] == "阿华"
    for bad in ("昵" * 21, "", "  "):
        r = fresh_client.put("/v1/me", json={"nickname": bad}, headers=me)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "nickname"
    assert fresh_client.get("/v1/me", headers=me).json()["nickname"] == "阿华"


def test_saving_a_template_with_a_taken_short_code_is_refused(fresh_client, keys):
    editor = bearer(keys["editor"])
    doc = fresh_client.get("/v1/templates/color_difference/short", headers=editor).json()
    source = doc["source"].replace("shortcode: sc2", "shortcode: SC1")
    r = fresh_client.put("/v1/templates/color_difference/short", json={"source": source, "base_version": doc["version"]}, headers=editor)
    assert r.status_code == 422
    error = r.json()["errors"][0]
    assert error["field"] == "source" and "shortcode" in error["message"] and "color_difference/standard" in error["message"]
    assert error["line"] == 5
    # a code of its own is saved, and found
    source = doc["source"].replace("shortcode: sc2", "shortcode: 色差短")
    r = fresh_client.put("/v1/templates/color_difference/short", json={"source": source, "base_version": doc["version"]}, headers=editor)
    assert r.status_code == 200 and r.json()["live"]
    assert ids(search(fresh_client, editor, "色差短", limit=1)) == ["tpl:color_difference/short"]
    listed = fresh_client.get("/v1/templates?intent=color_difference", headers=editor).json()["templates"]
    assert {t["id"]: t["shortcode"] for t in listed}["color_difference/short"] == "色差短"
