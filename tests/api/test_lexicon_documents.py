"""The word lists and the variables over the JSON API: admins edit them like the rules, a
broken one is refused in Chinese with its line, and the edit is live when the save answers."""

from __future__ import annotations

import re

import pytest

from tests.helpers.http import bearer

CJK = re.compile(r"[\u4e00-\u9fff]")


def read(client, keys, path):
    r = client.get(path, headers=bearer(keys["agent"]))
    assert r.status_code == 200, r.text
    return r.json()


def test_an_admin_adds_a_courier_and_check_knows_it_at_once(fresh_client, keys):
    doc = read(fresh_client, keys, "/v1/lexicon/couriers")
    assert "顺丰" in doc["source"]
    shop = {"carriers": ["韵达"]}
    draft = {"text": "给您发丹鸟快递哦", "shop": shop}
    assert fresh_client.post("/v1/check", json=draft, headers=bearer(keys["agent"])).json()["flags"] == []

    new = doc["source"].rstrip("\n") + "\n  - name: 丹鸟\n    aliases: [丹鸟快递]\n"
    r = fresh_client.put("/v1/lexicon/couriers", json={"source": new, "comment": "新增丹鸟"},
                         headers={**bearer(keys["admin"]), "If-Match": f'"{doc["version"]}"'})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == doc["version"] + 1 and r.json()["live"] is True

    [flag] = fresh_client.post("/v1/check", json=draft, headers=bearer(keys["agent"])).json()["flags"]
    assert flag["rule"] == "carrier_commitment" and "丹鸟" in flag["message"]


def test_a_broken_courier_list_is_refused_in_chinese_with_its_line(fresh_client, keys):
    doc = read(fresh_client, keys, "/v1/lexicon/couriers")
    broken = doc["source"].replace("aliases: [申通快递, sto, sto快递]", "aliases: [申通快递, sto")
    assert broken != doc["source"]
    r = fresh_client.put("/v1/lexicon/couriers", json={"source": broken, "base_version": doc["version"]},
                         headers=bearer(keys["admin"]))
    assert r.status_code == 422
    body = r.json()
    assert body["detail"].startswith("词表有")
    [problem] = body["errors"]
    line = next(n for n, text in enumerate(broken.splitlines(), start=1) if "[申通快递, sto" in text)
    assert problem["field"] == "source" and problem["line"] == line
    assert problem["message"].startswith(f"第{line}行：") and "方括号" in problem["message"]
    assert read(fresh_client, keys, "/v1/lexicon/couriers")["version"] == doc["version"]  # nothing saved


def test_a_bad_frequency_in_the_domain_words_names_its_line(fresh_client, keys):
    doc = read(fresh_client, keys, "/v1/lexicon/domain")
    broken = doc["source"] + "钻毛 很多 n\n"
    r = fresh_client.put("/v1/lexicon/domain", json={"source": broken, "base_version": doc["version"]},
                         headers=bearer(keys["admin"]))
    assert r.status_code == 422
    [problem] = r.json()["errors"]
    assert problem["line"] == len(broken.splitlines())
    assert "词频" in problem["message"] and "钻毛" in problem["message"]


def suggested_text(client, keys) -> str:
    out = client.post("/v1/suggest", json={"message": "我的快递怎么还没到", "top_k": 5}, headers=bearer(keys["agent"]))
    return " ".join(s["text"] for s in out.json()["suggestions"])


def test_a_variable_label_edit_changes_the_placeholder_agents_see(fresh_client, keys):
    doc = read(fresh_client, keys, "/v1/variables/variables")
    assert "【快递公司】" in suggested_text(fresh_client, keys)
    new = doc["source"].replace("label: 快递公司", "label: 承运快递")
    r = fresh_client.put("/v1/variables/variables", json={"source": new, "base_version": doc["version"]},
                         headers=bearer(keys["admin"]))
    assert r.status_code == 200, r.text
    texts = suggested_text(fresh_client, keys)
    assert "【承运快递】" in texts and "【快递公司】" not in texts

    bad = fresh_client.put("/v1/variables/variables", json={"source": "variables:\n  - label: 没有名字\n",
                                                             "base_version": doc["version"] + 1},
                           headers=bearer(keys["admin"]))
    assert bad.status_code == 422
    [problem] = bad.json()["errors"]
    assert problem["line"] == 2 and "name" in problem["message"] and CJK.search(problem["message"])


@pytest.mark.parametrize("role", ["agent", "editor"])
def test_only_an_admin_edits_the_word_lists(fresh_client, keys, role):
    doc = read(fresh_client, keys, "/v1/lexicon/domain")
    r = fresh_client.put("/v1/lexicon/domain", json={"source": doc["source"] + "钻毛 2000 n\n", "base_version": doc["version"]},
                         headers=bearer(keys[role]))
    assert r.status_code == 403
    assert read(fresh_client, keys, "/v1/lexicon/domain")["version"] == doc["version"]


def test_a_word_list_cannot_be_deleted(fresh_client, keys):
    doc = read(fresh_client, keys, "/v1/lexicon/couriers")
    r = fresh_client.delete("/v1/lexicon/couriers", headers={**bearer(keys["admin"]), "If-Match": f'"{doc["version"]}"'})
    assert r.status_code == 409 and "不能删除" in r.json()["detail"]
    assert read(fresh_client, keys, "/v1/lexicon/couriers")["version"] == doc["version"]


def test_an_alias_two_couriers_claim_is_refused_on_save(fresh_client, keys):
    doc = read(fresh_client, keys, "/v1/lexicon/couriers")
    doubled = doc["source"].rstrip("\n") + "\n  - name: 仿冒快递\n    aliases: [顺丰]\n"
    r = fresh_client.put("/v1/lexicon/couriers", json={"source": doubled, "base_version": doc["version"]},
                         headers=bearer(keys["admin"]))
    assert r.status_code == 422
    [problem] = r.json()["errors"]
    assert "「顺丰」同时是快递「顺丰」和「仿冒快递」的名称或别名" in problem["message"]
    assert problem["line"] == len(doubled.splitlines()) - 1  # the line of the second courier


def test_a_variable_a_template_uses_cannot_be_taken_away(fresh_client, keys):
    doc = read(fresh_client, keys, "/v1/variables/variables")
    lines = doc["source"].splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("  - name: buyer_name"))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("    ")), len(lines))
    without = "".join(lines[:start] + lines[end:])
    r = fresh_client.put("/v1/variables/variables", json={"source": without, "base_version": doc["version"]},
                         headers=bearer(keys["admin"]))
    assert r.status_code == 422
    assert "变量「buyer_name」还有" in r.text and "个模板在用" in r.text
