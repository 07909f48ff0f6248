"""Sign-in resists guessing (back-off, lock, admin unlock) and never stalls other requests."""

from __future__ import annotations

import itertools
import sqlite3
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from app.config import Settings
from app.main import create_app
from app.store import lockout
from app.store.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from tests.helpers.http import bearer
from tests.helpers.stores import FAST_HASHER, Clock

GOOD = "correct horse battery"
WRONG = "wrong password!"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path_factory.mktemp('logins') / 's.db'}",
                              agent_access="key"))
    app.state.accounts._hasher = FAST_HASHER
    yield app
    app.state.store_engine.dispose()


@pytest.fixture
def clock(app) -> Clock:
    clock = Clock(datetime.now(UTC))
    app.state.accounts.clock = clock  # the store and the per-client throttle both read it
    return clock


@pytest.fixture(scope="module")
def admin_key(app) -> str:
    return app.state.accounts.create_api_key("test-admin", "admin")[0]


_addresses = (f"10.8.{n // 250}.{1 + n % 250}" for n in itertools.count())
_names = (f"user{n}" for n in itertools.count())


def client(app) -> TestClient:
    """A client from an address of its own, so per-address throttling never leaks between tests."""
    return TestClient(app, client=(next(_addresses), 50000))


def new_user(app, password: str = GOOD) -> str:
    name = next(_names)
    app.state.accounts.create_user(name, password, "editor")
    return name


def login(c: TestClient, username: str, password: str):
    return c.post("/login", data={"username": username, "password": password}, follow_redirects=False)


def test_six_wrong_passwords_get_429_with_retry_after_in_chinese(app, clock):
    name, c = new_user(app), client(app)
    for _ in range(lockout.BACKOFF_AFTER):
        r = login(c, name, WRONG)
        assert r.status_code == 401 and "用户名或密码不对" in r.text
    r = login(c, name, WRONG)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "2"
    assert r.headers["content-type"].startswith("text/html")
    assert "登录失败次数过多，请 2 秒后再试" in r.text
    assert login(c, name, GOOD).status_code == 429  # while the wait runs, even the right password waits

    clock.advance(timedelta(seconds=2))
    assert login(c, name, GOOD).status_code == 303


def test_the_account_is_throttled_whichever_address_guesses(app, clock):
    name = new_user(app)
    for _ in range(lockout.BACKOFF_AFTER):
        assert login(client(app), name, WRONG).status_code == 401
    r = login(client(app), name, WRONG)
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"


def test_one_address_guessing_many_accounts_is_throttled(app, clock):
    guesser = client(app)
    for n in range(lockout.BACKOFF_AFTER):
        assert login(guesser, f"nobody{n}", WRONG).status_code == 401
    r = login(guesser, "nobody-else", WRONG)
    assert r.status_code == 429 and "登录失败次数过多" in r.text
    # another address is not held up by it
    name = new_user(app)
    assert login(client(app), name, GOOD).status_code == 303


def test_twenty_failures_lock_the_account_until_an_admin_unlocks_it(app, clock, admin_key):
    name, c = new_user(app), client(app)
    statuses = []
    for _ in range(lockout.LOCK_AFTER):
        clock.advance(lockout.MAX_BACKOFF)  # wait out every back-off
        statuses.append(login(c, name, WRONG).status_code)
    assert statuses == [401] * (lockout.LOCK_AFTER - 1) + [423]

    clock.advance(timedelta(days=7))  # a lock does not wear off
    r = login(c, name, GOOD)
    assert r.status_code == 423, "locked even with the right password"
    assert "账号因多次密码错误已被锁定，请联系管理员解锁" in r.text

    users = {u["username"]: u for u in c.get("/v1/users", headers=bearer(admin_key)).json()["users"]}
    assert users[name]["locked"] is True
    editor_key = app.state.accounts.create_api_key("an-editor", "editor")[0]
    assert c.post(f"/v1/users/{name}/unlock", headers=bearer(editor_key)).status_code == 403
    r = c.post(f"/v1/users/{name}/unlock", headers=bearer(admin_key))
    assert r.status_code == 200 and r.json()["locked"] is False
    assert c.post("/v1/users/nobody/unlock", headers=bearer(admin_key)).status_code == 404

    assert login(c, name, GOOD).status_code == 303


def test_a_successful_login_starts_the_count_again(app, clock):
    name, c = new_user(app), client(app)
    for _ in range(lockout.BACKOFF_AFTER - 1):
        assert login(c, name, WRONG).status_code == 401
    assert login(c, name, GOOD).status_code == 303
    for _ in range(lockout.BACKOFF_AFTER):
        assert login(c, name, WRONG).status_code == 401
    assert login(c, name, WRONG).status_code == 429


def test_form_and_api_accept_the_same_password_lengths(app, clock, admin_key):
    c, h = client(app), bearer(admin_key)
    longest = "长" * MAX_PASSWORD_LENGTH
    r = c.post("/v1/users", json={"username": "long-one", "password": longest}, headers=h)
    assert r.status_code == 201, r.text
    assert login(c, "long-one", longest).status_code == 303  # before: refused over 200 characters

    r = c.post("/v1/users", json={"username": "too-long", "password": "x" * (MAX_PASSWORD_LENGTH + 1)}, headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0] == {"field": "password", "message": f"不能超过 {MAX_PASSWORD_LENGTH} 个字符（现在 {MAX_PASSWORD_LENGTH + 1} 个）"}
    r = c.post("/v1/users", json={"username": "too-short", "password": "x" * (MIN_PASSWORD_LENGTH - 1)}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "password"

    r = login(c, "long-one", "x" * (MAX_PASSWORD_LENGTH + 1))
    assert r.status_code == 422 and f"密码不能超过 {MAX_PASSWORD_LENGTH} 个字符" in r.text
    page = c.get("/login").text
    assert f'maxlength="{MAX_PASSWORD_LENGTH}"' in page


def test_setup_names_the_password_rule(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'setup.db'}"))
    token = app.state.accounts.create_setup_token()
    c = TestClient(app)
    r = c.post("/setup", data={"token": token, "username": "boss", "password": "x" * (MIN_PASSWORD_LENGTH - 1)})
    assert r.status_code == 422 and f"密码至少 {MIN_PASSWORD_LENGTH} 个字符" in r.text
    r = c.post("/setup", data={"token": token, "username": "boss", "password": "长" * MAX_PASSWORD_LENGTH},
               follow_redirects=False)
    assert r.status_code == 303


class GatedHasher(PasswordHasher):
    """Cheap argon2 whose ``verify`` holds until the test opens the gate: a login 'in flight' for as long as needed."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.gate = threading.Event()
        self.started = threading.Semaphore(0)

    def verify(self, hash, password):  # noqa: A002 - argon2's own parameter name
        self.started.release()
        self.gate.wait(timeout=30)
        return super().verify(hash, password)


def test_healthz_answers_while_wrong_logins_are_hashing(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'stall.db'}", agent_access="key"))
    hasher = GatedHasher()
    app.state.accounts._hasher = hasher
    names = [new_user(app) for _ in range(4)]
    finished: list[float] = []
    with TestClient(app) as c:  # one event loop serves every request, as in the real server
        t0 = time.perf_counter()

        def wrong_login(name: str) -> None:
            assert login(c, name, WRONG).status_code == 401
            finished.append(time.perf_counter() - t0)

        logins = [threading.Thread(target=wrong_login, args=(n,), daemon=True) for n in names]
        for t in logins:
            t.start()
        assert hasher.started.acquire(timeout=20), "no login reached the password check"

        health_ms: list[float] = []

        def poll_health() -> None:
            for _ in range(5):
                t1 = time.perf_counter()
                assert c.get("/healthz").status_code == 200
                health_ms.append((time.perf_counter() - t1) * 1000)

        poller = threading.Thread(target=poll_health, daemon=True)
        poller.start()
        poller.join(timeout=15)
        in_flight = len(logins) - len(finished)
        hasher.gate.set()  # now let the logins finish
        for t in logins:
            t.join(timeout=30)
    print(f"\n/healthz while {in_flight} wrong logins were in flight: n={len(health_ms)}, "
          f"p50 {statistics.median(health_ms) if health_ms else float('nan'):.1f} ms, "
          f"max {max(health_ms, default=float('nan')):.1f} ms; logins took {min(finished, default=0):.2f}-"
          f"{max(finished, default=0):.2f} s")
    assert not poller.is_alive() and len(health_ms) == 5, "/healthz waited for the password checks"
    assert in_flight == len(logins), "every login was still checking its password while /healthz answered"
    assert len(finished) == len(logins)


def test_a_write_lock_elsewhere_neither_freezes_the_server_nor_fails_a_keyed_request(tmp_path):
    db_file = tmp_path / "locked.db"
    app = create_app(Settings(database_url=f"sqlite:///{db_file}", agent_access="key"))
    accounts = app.state.accounts
    accounts._hasher = FAST_HASHER
    clock = Clock(datetime.now(UTC))
    accounts.clock = clock
    key, _ = accounts.create_api_key("im-bot", "agent")  # never used: its first use wants to record it
    accounts.create_user("admin", GOOD, "admin")
    session, _ = accounts.create_session("admin")
    with TestClient(app) as c:
        c.cookies.set("shouhou_session", session)
        clock.advance(timedelta(hours=13))  # the session has expired: its row wants deleting
        holder = sqlite3.connect(db_file, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            answers: dict = {}

            def keyed() -> None:
                answers["check"] = c.post("/v1/check", json={"text": "好的"}, headers=bearer(key))
                answers["editor"] = c.get("/editor", follow_redirects=False)

            caller = threading.Thread(target=keyed, daemon=True)
            t0 = time.perf_counter()
            caller.start()
            health = c.get("/healthz")
            health_ms = (time.perf_counter() - t0) * 1000
            caller.join(timeout=15)
            assert not caller.is_alive(), "a request waited for the write lock"
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    print(f"\nwith the write lock held elsewhere: /healthz {health_ms:.0f} ms, "
          f"keyed /v1/check {answers['check'].status_code}, expired session {answers['editor'].status_code}")
    assert health.status_code == 200
    assert answers["check"].status_code == 200  # last use is best effort: skipped, not a 500
    assert answers["editor"].status_code == 303 and answers["editor"].headers["location"].startswith("/login")
    assert accounts.list_api_keys()[0].last_used_at is None


def test_a_database_locked_past_the_busy_timeout_is_a_503_not_a_500(app, clock, admin_key, monkeypatch):
    def busy(*args, **kwargs):
        raise OperationalError("UPDATE …", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(app.state.accounts, "list_users", busy)
    monkeypatch.setattr(app.state.accounts, "begin_login", busy)
    c = client(app)
    r = c.get("/v1/users", headers=bearer(admin_key))
    assert r.status_code == 503 and r.headers["Retry-After"] == "5"
    assert r.headers["content-type"] == "application/problem+json" and "数据库正忙" in r.json()["detail"]
    r = login(c, new_user(app), GOOD)
    assert r.status_code == 503 and "系统正忙" in r.text and r.headers["content-type"].startswith("text/html")


def test_failed_logins_are_logged_without_the_password(app, clock, caplog):
    name, c = new_user(app), client(app)
    with caplog.at_level("INFO", logger="shouhou.auth"):
        login(c, name, "my-secret-guess-1")
        login(c, "my-secret-guess-2", "typed into the wrong box")
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "shouhou.auth")
    assert name in logged and "(unknown user)" in logged
    assert "my-secret-guess" not in logged and "wrong box" not in logged


def test_every_page_renders_for_a_signed_in_editor(app, clock):
    name, c = new_user(app), client(app)
    assert login(c, name, GOOD).status_code == 303
    for path in ("/", "/editor", "/editor/templates/greeting/short", "/editor/templates/new", "/editor/intents",
                 "/editor/intents/greeting", "/editor/rules", "/editor/rules/carrier_commitment", "/login"):
        r = c.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
    assert c.get("/admin").status_code == 403
    assert c.get("/editor/intents/no-such-intent").status_code == 404
