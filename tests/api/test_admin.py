"""Admins manage API keys and users over JSON; nobody else can."""

from tests.helpers.http import bearer


def test_admin_creates_a_key_that_works_then_revokes_it(fresh_client, keys):
    h = bearer(keys["admin"])
    r = fresh_client.post("/v1/keys", json={"name": "im-bot-2", "role": "agent"}, headers=h)
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["key"].startswith("shk_") and new["prefix"] and new["key"].startswith(new["prefix"])
    assert fresh_client.post("/v1/check", json={"text": "好的"}, headers=bearer(new["key"])).status_code == 200
    listed = fresh_client.get("/v1/keys", headers=h).json()["keys"]
    assert any(k["id"] == new["id"] for k in listed)
    assert all("key" not in k for k in listed)  # the secret is shown once only
    assert fresh_client.delete(f"/v1/keys/{new['id']}", headers=h).json()["revoked_at"]
    assert fresh_client.post("/v1/check", json={"text": "好的"}, headers=bearer(new["key"])).status_code == 401
    assert fresh_client.delete("/v1/keys/999999", headers=h).status_code == 404


def test_only_admins(fresh_client, keys):
    for role in ("agent", "editor"):
        assert fresh_client.get("/v1/keys", headers=bearer(keys[role])).status_code == 403
        assert fresh_client.post("/v1/users", json={"username": "x", "password": "0123456789"},
                                 headers=bearer(keys[role])).status_code == 403
    assert fresh_client.get("/v1/users").status_code == 401


def test_users(fresh_client, keys):
    h = bearer(keys["admin"])
    r = fresh_client.post("/v1/users", json={"username": "xiaolan", "password": "a-long-password", "role": "agent"}, headers=h)
    assert r.status_code == 201 and r.json()["role"] == "agent"
    assert fresh_client.post("/v1/users", json={"username": "xiaolan", "password": "a-long-password"}, headers=h).status_code == 409
    r = fresh_client.post("/v1/users", json={"username": "short", "password": "123"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "password"
    r = fresh_client.patch("/v1/users/xiaolan", json={"role": "editor", "disabled": True}, headers=h)
    assert r.json() | {"created_at": None} == {"username": "xiaolan", "role": "editor", "disabled": True, "locked": False,
                                                "created_at": None}
    assert fresh_client.patch("/v1/users/nobody", json={"role": "editor"}, headers=h).status_code == 404
