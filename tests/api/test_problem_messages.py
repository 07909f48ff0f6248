"""The editing API answers a broken document with its problems in Chinese, each at its line."""

import re

from tests.helpers.http import bearer

ENGLISH = re.compile(r"while|scanning|mapping values|expected|found|<unicode string>|Field required|Input should", re.I)


def test_bad_yaml_in_an_intent_is_a_422_naming_the_line_in_chinese(fresh_client, keys):
    h = bearer(keys["editor"])
    doc = fresh_client.get("/v1/intents/color_difference", headers=h).json()
    lines = doc["source"].splitlines(keepends=True)
    n = next(i for i, line in enumerate(lines) if line.startswith("label:"))
    lines[n] = "label: 注意: 色差\n"
    r = fresh_client.put("/v1/intents/color_difference", json={"source": "".join(lines), "base_version": doc["version"]},
                         headers=h)
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["field"] == "source" and error["line"] == n + 1
    assert error["message"] == (f"第{n + 1}行：这一行的文字里有冒号「:」，被当成了新的名称"
                                f"（提示：{error['hint']}）")
    assert "引号" in error["hint"] and error["column"] >= 1
    assert not ENGLISH.search(r.text)
    # nothing was saved
    assert fresh_client.get("/v1/intents/color_difference", headers=h).json()["version"] == doc["version"]


def test_a_mistyped_field_gets_a_did_you_mean(fresh_client, keys):
    h = bearer(keys["editor"])
    doc = fresh_client.get("/v1/intents/color_difference", headers=h).json()
    source = doc["source"].replace("category:", "catgory:", 1)
    r = fresh_client.put("/v1/intents/color_difference", json={"source": source, "base_version": doc["version"]},
                         headers=h)
    assert r.status_code == 422
    messages = [e["message"] for e in r.json()["errors"]]
    line = source.splitlines().index(next(x for x in source.splitlines() if x.startswith("catgory:"))) + 1
    assert f"第{line}行：不认识的字段「catgory」（是不是「category」？）" in messages
    assert any(m.endswith("缺少「category」（提示：请加上一行「category: …」）") for m in messages)


def test_the_preview_lists_a_jinja_error_at_the_line_of_the_unclosed_braces(fresh_client, keys):
    h = bearer(keys["editor"])
    doc = fresh_client.get("/v1/templates/thanks/short", headers=h).json()
    head = doc["source"].split("---\n")[1]
    source = f"---\n{head}---\n亲，不客气～\n订单 {{{{ order_id 已收到\n祝您愉快\n"
    body_line = source.splitlines().index("亲，不客气～") + 1
    r = fresh_client.post("/v1/templates/preview", json={"source": source}, headers=h)
    [problem] = r.json()["problems"]
    assert problem["line"] == body_line + 1
    assert problem["message"].startswith("「{{」没有配对的「}}」（提示：") and problem["hint"]
