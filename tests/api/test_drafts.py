"""Drafts, publishing, deletion with history, conflict merge, the character diff and signing in over JSON."""

from __future__ import annotations

from tests.helpers.http import bearer

NEW_ID = "thanks/draft_reply"
NEW_TEXT = "亲，这是一条还在打磨的致谢回复，感谢您的耐心～"
NEW_SRC = f"---\nid: {NEW_ID}\nintent: thanks\ntitle: 致谢·草稿测试\ntags: [标准]\nvariables: []\n---\n{NEW_TEXT}\n"
EXISTING = "thanks/standard"


def suggested_texts(client, keys) -> list[str]:
    out = client.post("/v1/suggest", json={"message": "好的谢谢亲", "top_k": 10}, headers=bearer(keys["agent"]))
    assert out.status_code == 200, out.text
    return [s["text"] for s in out.json()["suggestions"]]


def revision(client) -> int:
    return client.get("/healthz").json()["content_revision"]


def with_body(source: str, body: str) -> str:
    head = source.partition("---\n")[2].partition("---\n")[0]
    return f"---\n{head}---\n{body}\n"


def test_a_new_template_as_a_draft_is_not_served_until_published(fresh_client, keys):
    h = bearer(keys["editor"])
    before = revision(fresh_client)
    r = fresh_client.post("/v1/templates/draft", json={"source": NEW_SRC}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["id"] == NEW_ID and r.json()["author"] == "key:test-editor"
    assert r.json()["base_version"] is None

    assert revision(fresh_client) == before
    assert NEW_TEXT not in suggested_texts(fresh_client, keys)
    again = fresh_client.post("/v1/templates/draft", json={"source": NEW_SRC}, headers=bearer(keys["admin"]))
    assert again.status_code == 409  # someone's draft of a new template is not overwritten from another new page
    assert fresh_client.get(f"/v1/templates/{NEW_ID}/draft", headers=h).json()["author"] == "key:test-editor"
    assert fresh_client.get(f"/v1/templates/{NEW_ID}", headers=h).status_code == 404
    assert fresh_client.get(f"/v1/templates/{NEW_ID}/draft", headers=h).json()["source"] == NEW_SRC
    assert fresh_client.get(f"/v1/templates/{NEW_ID}/draft", headers=bearer(keys["agent"])).status_code == 403
    listed = fresh_client.get("/v1/templates", headers=h).json()
    assert NEW_ID not in [t["id"] for t in listed["templates"]]
    assert [d["id"] for d in listed["drafts"]] == [NEW_ID]

    r = fresh_client.post(f"/v1/templates/{NEW_ID}/publish", json={"comment": "上线"}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1 and r.json()["live"] is True
    assert NEW_TEXT in suggested_texts(fresh_client, keys)
    assert fresh_client.get(f"/v1/templates/{NEW_ID}/draft", headers=h).status_code == 404
    listed = fresh_client.get("/v1/templates", headers=h).json()
    assert listed["drafts"] == []
    item = next(t for t in listed["templates"] if t["id"] == NEW_ID)
    assert item["draft"] is None and item["deleted"] is False
    assert fresh_client.get(f"/v1/templates/{NEW_ID}/versions", headers=h).json()["versions"][0]["comment"] == "上线"


def test_a_draft_of_a_published_template_shows_who_saved_it_and_changes_nothing_served(fresh_client, keys):
    h = bearer(keys["editor"])
    doc = fresh_client.get(f"/v1/templates/{EXISTING}", headers=h).json()
    assert doc["draft"] is None
    edited = doc["source"].replace("能帮到您我们很开心", "能帮到您我们也很开心")
    assert edited != doc["source"]
    before = revision(fresh_client)
    r = fresh_client.put(f"/v1/templates/{EXISTING}/draft", json={"source": edited, "base_version": doc["version"]}, headers=h)
    assert r.status_code == 200, r.text

    again = fresh_client.get(f"/v1/templates/{EXISTING}", headers=h).json()
    assert again["source"] == doc["source"] and again["version"] == doc["version"]
    assert again["draft"]["author"] == "key:test-editor" and again["draft"]["base_version"] == doc["version"]
    assert again["draft"]["saved_at"]
    listed = fresh_client.get("/v1/templates", headers=h).json()["templates"]
    assert next(t for t in listed if t["id"] == EXISTING)["draft"]["author"] == "key:test-editor"
    assert revision(fresh_client) == before
    assert "能帮到您我们也很开心" not in " ".join(suggested_texts(fresh_client, keys))

    # publishing without a source publishes the draft, with the version rules of a save
    r = fresh_client.post(f"/v1/templates/{EXISTING}/publish", json={}, headers=h)
    assert r.status_code == 428
    r = fresh_client.post(f"/v1/templates/{EXISTING}/publish", json={}, headers={**h, "If-Match": f'"{doc["version"]}"'})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == doc["version"] + 1
    assert fresh_client.get(f"/v1/templates/{EXISTING}", headers=h).json()["draft"] is None
    assert "能帮到您我们也很开心" in " ".join(suggested_texts(fresh_client, keys))


def test_publish_checks_like_a_save_and_keeps_the_draft_when_refused(fresh_client, keys):
    h = bearer(keys["editor"])
    doc = fresh_client.get(f"/v1/templates/{EXISTING}", headers=h).json()
    risky = doc["source"].replace("祝您生活愉快！", "给个五星好评返现5元哦～")
    fresh_client.put(f"/v1/templates/{EXISTING}/draft", json={"source": risky, "base_version": doc["version"]}, headers=h)
    r = fresh_client.post(f"/v1/templates/{EXISTING}/publish", json={"base_version": doc["version"]}, headers=h)
    assert r.status_code == 422
    assert "review_inducement" in {f["rule"] for f in r.json()["flags"]}
    assert fresh_client.get(f"/v1/templates/{EXISTING}/draft", headers=h).json()["source"] == risky

    warn = doc["source"].replace("祝您生活愉快！", "我们的质量绝对没问题，请放心使用。")
    r = fresh_client.post(f"/v1/templates/{EXISTING}/publish", json={"source": warn, "base_version": doc["version"]}, headers=h)
    assert r.status_code == 422 and r.json()["needs_confirmation"] is True
    r = fresh_client.post(f"/v1/templates/{EXISTING}/publish",
                          json={"source": warn, "base_version": doc["version"], "confirm_warnings": True}, headers=h)
    assert r.status_code == 200, r.text
    assert fresh_client.get(f"/v1/templates/{EXISTING}/draft", headers=h).status_code == 404  # published: gone


def test_discarding_a_draft(fresh_client, keys):
    h = bearer(keys["editor"])
    doc = fresh_client.get("/v1/intents/greeting", headers=h).json()
    fresh_client.put("/v1/intents/greeting/draft", json={"source": doc["source"] + "\n", "base_version": doc["version"]}, headers=h)
    assert fresh_client.delete("/v1/intents/greeting/draft", headers=h).status_code == 200
    assert fresh_client.delete("/v1/intents/greeting/draft", headers=h).status_code == 404
    assert fresh_client.get("/v1/intents/greeting", headers=h).json()["draft"] is None


def test_draft_mistakes_are_named(fresh_client, keys):
    h = bearer(keys["editor"])
    r = fresh_client.post("/v1/templates/draft", json={"source": "---\ntitle: 没有 id\n---\n亲\n"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "source"
    r = fresh_client.post("/v1/templates/draft", json={"source": f"---\nid: {EXISTING}\n---\n亲\n"}, headers=h)
    assert r.status_code == 409
    doc = fresh_client.get(f"/v1/templates/{EXISTING}", headers=h).json()
    r = fresh_client.put(f"/v1/templates/{EXISTING}/draft", json={"source": doc["source"]}, headers=h)
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "base_version"
    r = fresh_client.put(f"/v1/templates/{EXISTING}/draft", json={"source": doc["source"], "base_version": 999}, headers=h)
    assert r.status_code == 404
    r = fresh_client.put(f"/v1/templates/{EXISTING}/draft", json={"source": doc["source"].replace(EXISTING, "thanks/other"),
                                                                  "base_version": doc["version"]}, headers=h)
    assert r.status_code == 422
    assert fresh_client.put(f"/v1/templates/{EXISTING}/draft", json={"source": doc["source"], "base_version": 1},
                            headers=bearer(keys["agent"])).status_code == 403


def test_deleted_documents_keep_their_history_and_can_be_restored(fresh_client, keys):
    h = bearer(keys["editor"])
    src = "---\nid: thanks/to_delete\nintent: thanks\ntitle: 待删除\ntags: [标准]\nvariables: []\n---\n亲，这条回复马上要被删除啦。\n"
    assert fresh_client.post("/v1/templates", json={"source": src}, headers=h).status_code == 201
    assert "亲，这条回复马上要被删除啦。" in suggested_texts(fresh_client, keys)
    r = fresh_client.delete("/v1/templates/thanks/to_delete", headers={**h, "If-Match": '"1"'})
    assert r.status_code == 200

    assert "亲，这条回复马上要被删除啦。" not in suggested_texts(fresh_client, keys)
    assert "thanks/to_delete" not in [t["id"] for t in fresh_client.get("/v1/templates", headers=h).json()["templates"]]
    every = fresh_client.get("/v1/templates", params={"include_deleted": "true"}, headers=h).json()["templates"]
    gone = next(t for t in every if t["id"] == "thanks/to_delete")
    assert gone["deleted"] is True and gone["version"] == 2
    versions = fresh_client.get("/v1/templates/thanks/to_delete/versions", headers=h).json()["versions"]
    assert [(v["version"], v["deleted"]) for v in versions] == [(2, True), (1, False)]

    r = fresh_client.post("/v1/templates/thanks/to_delete/rollback", json={"version": 1}, headers={**h, "If-Match": '"2"'})
    assert r.status_code == 200, r.text
    assert "亲，这条回复马上要被删除啦。" in suggested_texts(fresh_client, keys)


def test_a_stale_publish_gets_who_changed_what_and_a_merge(fresh_client, keys):
    h = bearer(keys["editor"])
    doc = fresh_client.get("/v1/templates/thanks/closing", headers=h).json()
    base, lines = doc["version"], doc["source"].splitlines(keepends=True)
    body_at = next(i for i, line in enumerate(lines) if i > 0 and line.strip() == "---") + 1
    theirs = "".join(lines[:body_at]) + "亲，感谢您的支持！\n" + "".join(lines[body_at:])
    yours = "".join(lines) + "有问题随时联系我们哦。\n"
    r = fresh_client.put("/v1/templates/thanks/closing", json={"source": theirs, "base_version": base, "comment": "加一句感谢"},
                         headers=bearer(keys["admin"]))
    assert r.status_code == 200, r.text

    r = fresh_client.post("/v1/templates/thanks/closing/publish", json={"source": yours}, headers={**h, "If-Match": f'"{base}"'})
    assert r.status_code == 412
    assert r.json()["current_version"] == base + 1

    m = fresh_client.post("/v1/templates/thanks/closing/merge", json={"source": yours, "base_version": base}, headers=h).json()
    assert m["current_version"] == base + 1 and m["deleted"] is False
    assert [(v["version"], v["author"], v["comment"]) for v in m["newer"]] == [(base + 1, "key:test-admin", "加一句感谢")]
    inserted = [row for row in m["theirs_diff"] if row["op"] == "insert"]
    assert [row["text"] for row in inserted] == ["亲，感谢您的支持！"]
    assert m["conflicts"] == 0
    assert m["merged"] == theirs + "有问题随时联系我们哦。\n"

    r = fresh_client.post("/v1/templates/thanks/closing/publish", json={"source": m["merged"]},
                          headers={**h, "If-Match": f'"{m["current_version"]}"'})
    assert r.status_code == 200, r.text
    now = fresh_client.get("/v1/templates/thanks/closing", headers=h).json()["source"]
    assert "亲，感谢您的支持！" in now and "有问题随时联系我们哦。" in now


def test_overlapping_edits_are_a_conflict_to_choose(fresh_client, keys):
    h = bearer(keys["editor"])
    doc = fresh_client.get("/v1/templates/thanks/short", headers=h).json()
    base = doc["version"]
    theirs = with_body(doc["source"], "不客气亲，有问题随时找我们，祝您购物愉快！")
    yours = with_body(doc["source"], "不客气亲，有问题随时找我，祝您天天开心！")
    assert fresh_client.put("/v1/templates/thanks/short", json={"source": theirs, "base_version": base}, headers=h).status_code == 200
    m = fresh_client.post("/v1/templates/thanks/short/merge", json={"source": yours, "base_version": base}, headers=h).json()
    assert m["conflicts"] == 1 and m["merged"] is None
    conflict = next(c for c in m["chunks"] if c["conflict"])
    assert conflict["theirs"] == "不客气亲，有问题随时找我们，祝您购物愉快！\n"
    assert conflict["yours"] == "不客气亲，有问题随时找我，祝您天天开心！\n"
    assert "".join(c["text"] for c in m["chunks"] if not c["conflict"]) + conflict["yours"] == yours
    r = fresh_client.post("/v1/templates/thanks/short/merge", json={"source": yours, "base_version": 999}, headers=h)
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "base_version"


def test_the_diff_marks_the_changed_characters(fresh_client, keys):
    h = bearer(keys["editor"])
    doc = fresh_client.get("/v1/templates/greeting/standard", headers=h).json()
    line = next(x for x in doc["source"].splitlines() if "很高兴为您服务" in x)
    word = "很高兴"
    changed = doc["source"].replace(line, line.replace(word, "非常荣幸", 1), 1)
    r = fresh_client.put("/v1/templates/greeting/standard", json={"source": changed, "base_version": doc["version"]}, headers=h)
    assert r.status_code == 200, r.text
    d = fresh_client.get("/v1/templates/greeting/standard/diff", params={"a": doc["version"], "b": doc["version"] + 1},
                         headers=h).json()
    assert f"-{line}" in d["diff"].splitlines()  # the unified text diff is still there
    rows = [row for row in d["lines"] if row["op"] in ("delete", "insert")]
    assert [row["op"] for row in rows] == ["delete", "insert"]
    assert [p["text"] for p in rows[0]["parts"] if p["changed"]] == [word]
    assert [p["text"] for p in rows[1]["parts"] if p["changed"]] == ["非常荣幸"]
    assert "".join(p["text"] for p in rows[1]["parts"]) == line.replace(word, "非常荣幸", 1)


def test_signing_in_over_json(fresh_app, fresh_client):
    fresh_app.state.accounts.create_user("xiaomei_json", "editor-password-9", "editor")
    try:
        r = fresh_client.post("/v1/session", json={"username": "xiaomei_json", "password": "wrong-password"})
        assert r.status_code == 401 and r.json()["errors"][0]["field"] == "password"
        r = fresh_client.post("/v1/session", json={"username": "xiaomei_json", "password": "editor-password-9"},
                              headers={"Sec-Fetch-Site": "cross-site"})
        assert r.status_code == 403
        r = fresh_client.post("/v1/session", content="username=xiaomei_json&password=editor-password-9",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 422
        r = fresh_client.post("/v1/session", json={"username": "xiaomei_json", "password": "editor-password-9"})
        assert r.status_code == 200, r.text
        csrf = r.json()["csrf_token"]
        assert r.json()["role"] == "editor" and "shouhou_session" in r.cookies
        doc = fresh_client.get("/v1/intents/greeting").json()
        body = {"source": doc["source"] + "\n", "base_version": doc["version"]}
        assert fresh_client.put("/v1/intents/greeting/draft", json=body).status_code == 403  # no CSRF token
        r = fresh_client.put("/v1/intents/greeting/draft", json=body, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200 and r.json()["author"] == "xiaomei_json"
    finally:
        fresh_client.cookies.clear()
