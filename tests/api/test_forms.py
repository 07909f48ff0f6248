"""The form views' JSON API: source ↔ fields, the intent example check and the rule tester."""

import pytest

from tests.helpers.http import bearer

INTENT = "id: return_refund\nlabel: 退货退款\ncategory: 售后\n# 例句\nexamples:\n  - 我要退货\nkeywords: [退货]\n"
RULE = """# 测试规则
id: form_test_rule
severity: warn
title: 测试
message: 测试原因
phrases: [包您满意]
patterns:
  - '保证(?:明天|后天)到'
"""


def test_read_and_write_a_template_and_an_intent(fresh_client, keys):
    h = bearer(keys["editor"])
    doc = fresh_client.get("/v1/templates/thanks/short", headers=h).json()
    r = fresh_client.post("/v1/templates/form/read", json={"source": doc["source"]}, headers=h)
    assert r.status_code == 200, r.text
    fields = r.json()["fields"]
    assert fields["intent"] == "thanks" and fields["body"] and r.json()["problems"] == []

    r = fresh_client.post("/v1/templates/form/write", json={"source": doc["source"], "fields": {**fields, "title": "感谢·新标题"}},
                          headers=h)
    assert r.status_code == 200, r.text
    assert "title: 感谢·新标题\n" in r.json()["source"]

    r = fresh_client.post("/v1/intents/form/write", headers=h, json={
        "source": INTENT, "fields": {"id": "return_refund", "label": "退货退款", "category": "售后", "priority": "",
                                     "description": "", "examples": ["我要退货", "退了吧"], "keywords": ["退货"]}})
    assert r.json() == {"source": INTENT.replace("  - 我要退货\n", "  - 我要退货\n  - 退了吧\n"), "problems": []}


def test_unreadable_source_is_problems_with_a_line_not_an_error(fresh_client, keys):
    r = fresh_client.post("/v1/intents/form/read", json={"source": "id: x\nexamples:\n  - 'oops\n"}, headers=bearer(keys["editor"]))
    assert r.status_code == 200
    body = r.json()
    assert body["fields"] is None and body["problems"][0]["line"] == 3
    assert "引号" in body["problems"][0]["message"]


def test_roles(fresh_client, keys):
    read = {"source": RULE}
    assert fresh_client.post("/v1/templates/form/read", json=read).status_code == 401
    assert fresh_client.post("/v1/intents/form/read", json=read, headers=bearer(keys["agent"])).status_code == 403
    assert fresh_client.post("/v1/rules/form/read", json=read, headers=bearer(keys["editor"])).status_code == 403
    assert fresh_client.post("/v1/rules/test", json={"source": RULE, "text": "包您满意"},
                             headers=bearer(keys["editor"])).status_code == 403
    assert fresh_client.post("/v1/rules/form/read", json=read, headers=bearer(keys["admin"])).status_code == 200


@pytest.mark.parametrize("path, body, field", [
    ("/v1/templates/form/write", {"source": "---\n---\n", "fields": {"title": 3}}, "fields.title"),
    ("/v1/intents/form/write", {"source": INTENT, "fields": {"examples": "我要退货"}}, "fields.examples"),
    ("/v1/intents/form/write", {"source": INTENT, "fields": {"colour": "红"}}, "fields.colour"),
    ("/v1/intents/form/read", {"source": "x" * 60_001}, "source"),
    ("/v1/intents/examples/check", {"intent": "Bad Id", "examples": []}, "intent"),
    ("/v1/intents/examples/check", {"intent": "thanks", "examples": ["好" * 501]}, "examples.0"),
    ("/v1/rules/test", {"source": RULE, "text": ""}, "text"),
])
def test_bad_bodies_are_422_naming_the_field(fresh_client, keys, path, body, field):
    r = fresh_client.post(path, json=body, headers=bearer(keys["admin"]))
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]


def test_examples_check_finds_a_duplicate_and_an_example_of_another_intent(fresh_client, keys, engine):
    cancel = engine.pack.intents["cancel_order"]
    theirs = cancel.examples[0]
    r = fresh_client.post("/v1/intents/examples/check", headers=bearer(keys["editor"]), json={
        "intent": "return_refund", "examples": ["我要退货，尺码不合适", theirs, "我要退货，尺码不合适"]})
    assert r.status_code == 200, r.text
    own, other, dup = r.json()["examples"]
    assert own["duplicate_of"] is None and own["also_in"] == [] and own["matched"] is None
    assert other["also_in"] == [{"id": "cancel_order", "label": cancel.label}]
    assert other["matched"]["id"] == "cancel_order" and other["matched"]["label"] == cancel.label
    assert 0 < other["matched"]["score"] <= 1
    assert dup["duplicate_of"] == 0


def test_rule_tester_finds_spans_in_the_unsaved_rule(fresh_client, keys):
    text = "亲，包您满意，保证明天到"
    r = fresh_client.post("/v1/rules/test", json={"source": RULE, "text": text}, headers=bearer(keys["admin"]))
    assert r.status_code == 200, r.text
    flags = r.json()["flags"]
    assert [(text[f["start"]:f["end"]], f["severity"], f["rule"]) for f in flags] == [
        ("包您满意", "warn", "form_test_rule"), ("保证明天到", "warn", "form_test_rule")]
    # a switched-off rule is tested all the same; a broken one says why, with its line
    off = fresh_client.post("/v1/rules/test", json={"source": RULE + "enabled: false\n", "text": text},
                            headers=bearer(keys["admin"])).json()
    assert len(off["flags"]) == 2
    broken = fresh_client.post("/v1/rules/test", json={"source": RULE.replace("(?:明天", "((?:明天"), "text": text},
                               headers=bearer(keys["admin"])).json()
    assert broken["flags"] == [] and broken["problems"][0]["line"] == 8  # the pattern's line


def test_rule_tester_knows_the_courier_names(fresh_client, keys):
    rule = RULE.replace("  - '保证(?:明天|后天)到'\n", "  - '发{courier}'\n")
    text = "好的亲，给您发顺丰"
    r = fresh_client.post("/v1/rules/test", json={"source": rule, "text": text}, headers=bearer(keys["admin"]))
    assert [text[f["start"]:f["end"]] for f in r.json()["flags"]] == ["发顺丰"]
