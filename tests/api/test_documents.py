"""Editing content over the JSON API: versions, conflicts, rollback, validation, immediate effect."""

from tests.helpers.http import bearer

TPL = "thanks/short"


def get_tpl(client, keys, key=TPL):
    r = client.get(f"/v1/templates/{key}", headers=bearer(keys["editor"]))
    assert r.status_code == 200, r.text
    return r.json()


def with_body(source: str, body: str) -> str:
    head, _, _ = source.partition("---\n")[2].partition("---\n")
    return f"---\n{head}---\n{body}\n"


def test_list_and_read(fresh_client, keys):
    r = fresh_client.get("/v1/templates", headers=bearer(keys["agent"]))
    assert r.status_code == 200
    items = r.json()["templates"]
    assert any(t["id"] == TPL and t["intent"] == "thanks" and t["version"] >= 1 for t in items)
    doc = get_tpl(fresh_client, keys)
    assert doc["source"].startswith("---\n") and doc["version"] >= 1
    r = fresh_client.get("/v1/intents", headers=bearer(keys["agent"]), params={"q": "色差"})
    assert [i["id"] for i in r.json()["intents"]] == ["color_difference"]


def test_save_makes_new_version_and_takes_effect_at_once(fresh_client, keys):
    doc = get_tpl(fresh_client, keys)
    new = with_body(doc["source"], "亲，不客气呀，祝您生活愉快，有事随时找我们～")
    r = fresh_client.put(f"/v1/templates/{TPL}", json={"source": new, "comment": "更口语"},
                         headers={**bearer(keys["editor"]), "If-Match": f'"{doc["version"]}"'})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == doc["version"] + 1
    assert r.headers["ETag"] == f'"{doc["version"] + 1}"'
    out = fresh_client.post("/v1/suggest", json={"message": "好的谢谢亲", "top_k": 5}, headers=bearer(keys["agent"])).json()
    assert "亲，不客气呀，祝您生活愉快，有事随时找我们～" in [s["text"] for s in out["suggestions"]]
    hist = fresh_client.get(f"/v1/templates/{TPL}/versions", headers=bearer(keys["editor"])).json()["versions"]
    assert hist[0]["version"] == doc["version"] + 1 and hist[0]["comment"] == "更口语"
    assert hist[0]["author"] == "key:test-editor"


def test_two_editors_same_base_second_gets_conflict(fresh_client, keys):
    doc = get_tpl(fresh_client, keys)
    first = with_body(doc["source"], "亲，不客气，有需要随时联系我们哦。")
    second = with_body(doc["source"], "亲，感谢您的理解，祝您购物愉快。")
    h = bearer(keys["editor"])
    assert fresh_client.put(f"/v1/templates/{TPL}", json={"source": first, "base_version": doc["version"]}, headers=h).status_code == 200
    r = fresh_client.put(f"/v1/templates/{TPL}", json={"source": second, "base_version": doc["version"]}, headers=h)
    assert r.status_code == 409
    assert r.json()["current_version"] == doc["version"] + 1
    r = fresh_client.put(f"/v1/templates/{TPL}", json={"source": second}, headers={**h, "If-Match": f'"{doc["version"]}"'})
    assert r.status_code == 412
    assert str(doc["version"] + 1) in r.json()["detail"]
    # nothing was silently overwritten
    assert "有需要随时联系我们" in get_tpl(fresh_client, keys)["source"]


def test_update_without_version_is_refused(fresh_client, keys):
    doc = get_tpl(fresh_client, keys)
    r = fresh_client.put(f"/v1/templates/{TPL}", json={"source": doc["source"]}, headers=bearer(keys["editor"]))
    assert r.status_code == 428
    assert r.json()["errors"][0]["field"] == "base_version"


def test_rollback_and_diff(fresh_client, keys):
    h = bearer(keys["editor"])
    doc = get_tpl(fresh_client, keys)
    r = fresh_client.post(f"/v1/templates/{TPL}/rollback", json={"version": 1}, headers={**h, "If-Match": f'"{doc["version"]}"'})
    assert r.status_code == 200, r.text
    v1 = fresh_client.get(f"/v1/templates/{TPL}/versions/1", headers=h).json()
    now = get_tpl(fresh_client, keys)
    assert now["source"] == v1["source"] and now["version"] == doc["version"] + 1
    assert now["comment"] == "回滚到第1版"
    d = fresh_client.get(f"/v1/templates/{TPL}/diff", params={"a": 1, "b": doc["version"]}, headers=h).json()["diff"]
    assert any(line.startswith("-") for line in d.splitlines()) and any(line.startswith("+") for line in d.splitlines())


def test_risky_template_is_refused_and_nothing_saved(fresh_client, keys):
    doc = get_tpl(fresh_client, keys)
    risky = with_body(doc["source"], "亲，给个五星好评返现5元哦，加我微信领取～")
    r = fresh_client.put(f"/v1/templates/{TPL}", json={"source": risky, "base_version": doc["version"]}, headers=bearer(keys["editor"]))
    assert r.status_code == 422
    body = r.json()
    assert {f["rule"] for f in body["flags"]} >= {"review_inducement", "off_platform"}
    assert get_tpl(fresh_client, keys)["version"] == doc["version"]


def test_warning_needs_confirmation(fresh_client, keys):
    doc = get_tpl(fresh_client, keys)
    warn = with_body(doc["source"], "亲，不客气，我们的质量绝对没问题，请放心使用。")
    h = bearer(keys["editor"])
    r = fresh_client.put(f"/v1/templates/{TPL}", json={"source": warn, "base_version": doc["version"]}, headers=h)
    assert r.status_code == 422 and r.json()["needs_confirmation"] is True
    r = fresh_client.put(f"/v1/templates/{TPL}", json={"source": warn, "base_version": doc["version"], "confirm_warnings": True}, headers=h)
    assert r.status_code == 200


def test_template_with_syntax_error_or_internals_is_refused_with_line(fresh_client, keys):
    doc = get_tpl(fresh_client, keys)
    h = bearer(keys["editor"])
    for body, needle in [("亲，不客气\n{{ order_id ", "「{{」没有配对的「}}」"), ("{{ ''.__class__ }}", "内部属性"),
                         ("{{ buyer_name|attr('x') }}", "attr"), ("{{ '{}'.format(1) }}", "调用"), ("{{ 'a' * 10**8 }}", "")]:
        r = fresh_client.post("/v1/templates/preview", json={"source": with_body(doc["source"], body)}, headers=h)
        assert r.status_code == 200
        assert r.json()["problems"], body
        assert needle in r.json()["problems"][0]["message"]
        r = fresh_client.put(f"/v1/templates/{TPL}", json={"source": with_body(doc["source"], body), "base_version": doc["version"]}, headers=h)
        assert r.status_code == 422, body
        assert r.json()["errors"][0]["line"] >= 7  # past the front matter: the body's own line


def test_create_and_delete_template(fresh_client, keys):
    h = bearer(keys["editor"])
    src = "---\nid: thanks/closing_warm\nintent: thanks\ntitle: 致谢·温暖收尾\ntags: [标准]\nvariables: [buyer_name]\n---\n{{ buyer_name }}亲，不客气，祝您生活愉快！\n"
    r = fresh_client.post("/v1/templates", json={"source": src}, headers=h)
    assert r.status_code == 201, r.text
    assert fresh_client.post("/v1/templates", json={"source": src}, headers=h).status_code == 409
    r = fresh_client.delete("/v1/templates/thanks/closing_warm", headers={**h, "If-Match": '"1"'})
    assert r.status_code == 200
    assert fresh_client.get("/v1/templates/thanks/closing_warm", headers=h).status_code == 404
    assert len(fresh_client.get("/v1/templates/thanks/closing_warm/versions", headers=h).json()["versions"]) == 2


def test_intent_edit_changes_matching(fresh_client, keys):
    h = bearer(keys["editor"])
    msg = "能帮我包成礼盒吗 要送人的"
    before = fresh_client.post("/v1/intents/try", json={"message": msg}, headers=h).json()
    assert "gift_wrap" not in [i["id"] for i in before["intents"]]
    examples = ["可以帮忙包装成礼物吗", "能不能包个礼盒 送朋友的", "送人的 麻烦包装好看点", "有礼品包装吗",
                "帮我系个丝带包成礼物", "要送女朋友 能包装一下吗", "可以用礼盒装吗", "礼品袋有吗 送长辈的"]
    src = "id: gift_wrap\nlabel: 礼品包装\ncategory: 咨询\npriority: low\nexamples:\n" + "".join(f"  - {e}\n" for e in examples)
    r = fresh_client.post("/v1/intents", json={"source": src}, headers=h)
    assert r.status_code == 201, r.text
    tried = fresh_client.post("/v1/intents/try", json={"message": msg}, headers=h).json()
    assert tried["intents"] and tried["intents"][0]["id"] == "gift_wrap"
    assert any(e["text"] in examples for e in tried["intents"][0]["evidence"])


def test_bad_intent_is_refused_with_field(fresh_client, keys):
    h = bearer(keys["editor"])
    doc = fresh_client.get("/v1/intents/greeting", headers=h).json()
    bad = doc["source"].replace("priority: low", "priority: urgent")
    r = fresh_client.put("/v1/intents/greeting", json={"source": bad, "base_version": doc["version"]}, headers=h)
    assert r.status_code == 422
    assert "priority" in r.json()["errors"][0]["message"]
    r = fresh_client.put("/v1/intents/greeting", json={"source": "id: [", "base_version": doc["version"]}, headers=h)
    assert r.status_code == 422


def test_a_rule_with_a_mistyped_check_parameter_is_refused_with_its_line(fresh_client, keys):
    h = bearer(keys["admin"])
    doc = fresh_client.get("/v1/rules/carrier_commitment", headers=h).json()
    lines = doc["source"].splitlines(keepends=True)
    n = next(i for i, line in enumerate(lines) if line.startswith("  unknown: warn"))
    for bad, words in [("severty: warn", "「params」里不认识的字段「severty」"), ("unknown: danger", "「params.unknown」只能是")]:
        source = "".join(lines[:n] + ["  " + bad + "\n"] + lines[n + 1 :])
        r = fresh_client.put("/v1/rules/carrier_commitment", json={"source": source, "base_version": doc["version"]}, headers=h)
        assert r.status_code == 422, r.text
        errors = r.json()["errors"]
        assert errors[0]["line"] == n + 1 and errors[0]["field"] == "source"
        assert words in errors[0]["message"] and f"第{n + 1}行" in errors[0]["message"]
    # nothing was saved
    assert fresh_client.get("/v1/rules/carrier_commitment", headers=h).json()["version"] == doc["version"]


def test_rules_editable_by_admin_only(fresh_client, keys):
    doc = fresh_client.get("/v1/rules/ad_superlative", headers=bearer(keys["editor"])).json()
    src = doc["source"]
    r = fresh_client.put("/v1/rules/ad_superlative", json={"source": src, "base_version": doc["version"]}, headers=bearer(keys["editor"]))
    assert r.status_code == 403
    r = fresh_client.put("/v1/rules/ad_superlative", json={"source": src + "\n", "base_version": doc["version"]}, headers=bearer(keys["admin"]))
    assert r.status_code == 200, r.text


def test_a_mistyped_check_parameter_that_slipped_into_the_store_never_breaks_check(fresh_app, fresh_client, keys):
    """Saves validate rules, but a store edited by hand (or by an older release) may hold a bad one."""
    store, h = fresh_app.state.store, bearer(keys["agent"])
    current = store.get("rule", "carrier_commitment")
    bad = current.body.replace("  unknown: warn", "  severty: warn", 1)
    assert bad != current.body
    store.save("rule", "carrier_commitment", bad, author="hand", base_version=current.version)
    try:
        fresh_app.state.holder.refresh(timeout=60)
        for _ in range(3):
            r = fresh_client.post("/v1/check", json={"text": "可以的亲，给您发韵达，保证后天到", "shop": {"carriers": ["申通"]}}, headers=h)
            assert r.status_code == 200, r.text
            rules = {f["rule"] for f in r.json()["flags"]}
            assert "delivery_guarantee" in rules and "carrier_commitment" not in rules  # skipped, the others still run
        assert fresh_client.post("/v1/suggest", json={"message": "什么时候发货"}, headers=h).status_code == 200
    finally:
        now = store.get("rule", "carrier_commitment")
        store.save("rule", "carrier_commitment", current.body, author="hand", base_version=now.version)
        fresh_app.state.holder.refresh(timeout=60)
