"""Credentials and roles: keys for bots, sessions + CSRF for people, nothing edits anonymously."""

import re

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.helpers.http import bearer


def test_agent_calls_need_a_key_when_configured(fresh_client, keys):
    r = fresh_client.post("/v1/suggest", json={"message": "在吗"})
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert fresh_client.post("/v1/suggest", json={"message": "在吗"}, headers=bearer(keys["agent"])).status_code == 200
    assert fresh_client.post("/v1/check", json={"text": "好的"}, headers=bearer(keys["agent"])).status_code == 200


@pytest.mark.parametrize("header", ["Bearer shk_not_a_real_key", "Basic dXNlcjpwYXNz", "Bearer "])
def test_bad_credentials_are_401(fresh_client, header):
    r = fresh_client.post("/v1/suggest", json={"message": "在吗"}, headers={"Authorization": header})
    assert r.status_code == 401
    assert r.json()["status"] == 401


def test_roles(fresh_client, keys):
    doc = fresh_client.get("/v1/templates/greeting/short", headers=bearer(keys["agent"])).json()
    body = {"source": doc["source"], "base_version": doc["version"]}
    assert fresh_client.put("/v1/templates/greeting/short", json=body).status_code == 401
    r = fresh_client.put("/v1/templates/greeting/short", json=body, headers=bearer(keys["agent"]))
    assert r.status_code == 403 and "编辑" in r.json()["detail"]
    assert fresh_client.put("/v1/templates/greeting/short", json=body, headers=bearer(keys["editor"])).status_code == 200


def test_revoked_key_stops_working(fresh_app, fresh_client):
    secret, info = fresh_app.state.accounts.create_api_key("short-lived", "agent")
    assert fresh_client.post("/v1/check", json={"text": "好的"}, headers=bearer(secret)).status_code == 200
    fresh_app.state.accounts.revoke_api_key(info.id)
    assert fresh_client.post("/v1/check", json={"text": "好的"}, headers=bearer(secret)).status_code == 401


def test_local_access_is_open_only_to_this_machine(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'l.db'}", agent_access="local"))
    with TestClient(app, client=("127.0.0.1", 50000)) as local:
        assert local.post("/v1/suggest", json={"message": "在吗"}).status_code == 200
        # editing is never open, even locally
        assert local.put("/v1/templates/greeting/short", json={"source": "x", "base_version": 1}).status_code == 401
    with TestClient(app, client=("10.1.2.3", 50000)) as remote:
        assert remote.post("/v1/suggest", json={"message": "在吗"}).status_code == 401
        assert remote.get("/", follow_redirects=False).status_code == 303


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_setup_login_session_and_csrf(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 's.db'}", agent_access="key"))
    accounts = app.state.accounts
    with TestClient(app, base_url="http://testserver") as c:
        assert not accounts.has_admin()
        token = accounts.create_setup_token()
        r = c.post("/setup", data={"token": "wrong", "username": "boss", "password": "a-long-password"})
        assert r.status_code == 403 and not accounts.has_admin()
        r = c.post("/setup", data={"token": token, "username": "boss", "password": "a-long-password"}, follow_redirects=False)
        assert r.status_code == 303 and accounts.has_admin()
        cookie = r.cookies.get("shouhou_session") or c.cookies.get("shouhou_session")
        assert cookie
        assert "httponly" in r.headers["set-cookie"].lower() and "samesite=lax" in r.headers["set-cookie"].lower()
        # the token works once only
        r = c.post("/setup", data={"token": token, "username": "boss2", "password": "a-long-password"},
                   follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login" and not r.cookies.get("shouhou_session")
        assert [u.username for u in accounts.list_users()] == ["boss"]

        page = c.get("/editor")
        assert page.status_code == 200 and "回复模板" in page.text
        csrf = csrf_of(page.text)
        doc = c.get("/v1/templates/greeting/short").json()
        body = {"source": doc["source"].rstrip() + "\n亲，有什么需要随时告诉我哦。\n", "base_version": doc["version"]}
        # cookie alone is not enough for a write: the CSRF token must come with it
        assert c.put("/v1/templates/greeting/short", json=body).status_code == 403
        assert c.put("/v1/templates/greeting/short", json=body, headers={"X-CSRF-Token": "nope"}).status_code == 403
        r = c.put("/v1/templates/greeting/short", json=body, headers={"X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"})
        assert r.status_code == 403
        r = c.put("/v1/templates/greeting/short", json=body, headers={"X-CSRF-Token": csrf, "Sec-Fetch-Site": "same-origin"})
        assert r.status_code == 200, r.text
        assert c.get("/v1/templates/greeting/short/versions").json()["versions"][0]["author"] == "boss"

        # a cross-site form post (another site's page submitting to us) is refused
        r = c.post("/logout", data={"csrf_token": csrf}, headers={"Origin": "http://evil.example"})
        assert r.status_code == 403
        r = c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
        assert r.status_code == 303
        assert c.get("/editor", follow_redirects=False).status_code == 303


def test_login_with_password(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}"))
    app.state.accounts.create_user("xiaomei", "correct horse battery", "editor")
    with TestClient(app) as c:
        r = c.post("/login", data={"username": "xiaomei", "password": "wrong password!"})
        assert r.status_code == 401 and "用户名或密码不对" in r.text
        r = c.post("/login", data={"username": "xiaomei", "password": "correct horse battery", "next": "//evil.example"},
                   follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/"
        r = c.post("/login", data={"username": "xiaomei", "password": "x"}, headers={"Sec-Fetch-Site": "cross-site"})
        assert r.status_code == 403
