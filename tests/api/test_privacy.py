"""No personal data in logs: message texts, phone and order numbers, passwords never reach them.

Every logger is captured at DEBUG (the root logger, which the app's, starlette's and the
libraries' loggers propagate to); the real server's own output, uvicorn's included, is
checked in tests/test_serving.py.
"""

import logging
from contextlib import contextmanager

import pytest

from app.engine.assistant import Assistant

PHONE, ORDER, ADDRESS, PASSWORD = "13812345678", "3312456789012", "幸福路88号3单元502", "my-Secret-pass-4417"
SECRETS = (PHONE, ORDER, ADDRESS, PASSWORD)


CLIENT_SIDE = ("httpx", "httpcore")  # the test's HTTP client logs its own URLs; the server is under test


@contextmanager
def everything_at_debug(caplog):
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, "shouhou"), caplog.at_level(logging.DEBUG, "app"):
        yield


def everything_logged(records) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    server_side = [rec for rec in records if not rec.name.startswith(CLIENT_SIDE)]
    return "\n".join(formatter.format(rec) for rec in server_side)  # with tracebacks and stack info


def test_suggest_and_check_do_not_log_message_texts(client, caplog):
    with caplog.at_level(logging.DEBUG):
        r = client.post("/v1/suggest", json={"message": f"我电话{PHONE}，地址{ADDRESS}，快递显示签收了但没收到"})
        assert r.status_code == 200
        client.post("/v1/check", json={"text": f"好的亲，已备注电话{PHONE}"})
        client.post("/v1/suggest", json={"message": f"{PHONE}" * 2000})  # a 422 must not echo it into logs either
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert "/v1/suggest" in logged  # requests are logged…
    assert PHONE not in logged and ADDRESS not in logged  # …but never what they said


def test_one_access_line_per_request_without_query_or_data(client, caplog):
    calls = [
        ("POST", f"/v1/suggest?q={PHONE}&order={ORDER}",
         {"json": {"message": f"订单{ORDER}还没到，电话{PHONE}", "context": {"order_id": ORDER, "buyer_name": PHONE}}}),
        ("POST", f"/v1/check?phone={PHONE}", {"json": {"text": f"亲，订单{ORDER}已经发出，有事打{PHONE}"}}),
        ("GET", f"/v1/templates?q={PHONE}", {}),
        ("POST", f"/login?password={PASSWORD}&next=/{ORDER}", {"data": {"username": PHONE, "password": PASSWORD}}),
        ("POST", "/v1/suggest", {"json": {"message": "在吗", "context": {"order_id": ORDER * 100}}}),  # 422
        ("POST", "/v1/suggest", {"content": f'{{"message": "{PHONE}', "headers": {"Content-Type": "application/json"}}),  # malformed JSON, 400
        ("GET", f"/healthz?{PHONE}", {"headers": {"Host": f"{PHONE}.evil.example"}}),  # wrong host, 400
    ]
    with everything_at_debug(caplog):
        statuses = [client.request(method, url, **kw).status_code for method, url, kw in calls]
    assert statuses[:4] == [200, 200, 200, 401] and statuses[4:] == [422, 400, 400]
    access = [r.getMessage() for r in caplog.records if r.name == "shouhou" and r.getMessage().startswith("method=")]
    assert len(access) == len(calls)  # exactly one line per request, also for the refused ones
    assert access[0].startswith("method=POST path=/v1/suggest status=200 duration_ms=")
    assert access[-1].startswith("method=GET path=/healthz status=400 ")
    logged = everything_logged(caplog.records)
    assert not [s for s in SECRETS if s in logged], logged
    assert "?" not in "".join(access)


def test_a_server_error_is_logged_once_without_what_caused_it(client, caplog, monkeypatch):
    def broken(self, message, context=None, *args, **kwargs):
        # A library error that quotes its input, as many do (a ValueError, a pydantic error…).
        raise ValueError(f"cannot handle {message!r} for {context!r}") from KeyError(PHONE)

    monkeypatch.setattr(Assistant, "suggest", broken)
    with everything_at_debug(caplog):
        # The default TestClient re-raises whatever reaches Starlette's outermost layer (as uvicorn
        # would log it a second time): the error must be handled before that.
        r = client.post("/v1/suggest", json={"message": f"我电话{PHONE}", "context": {"order_id": ORDER}})
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in r.text and PHONE not in r.text
    errors = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert len(errors) == 1  # once
    message = errors[0].getMessage()
    assert "builtins.ValueError" in message and "builtins.KeyError" in message  # what and where…
    assert "test_privacy.py" in message
    logged = everything_logged(caplog.records)
    assert PHONE not in logged and ORDER not in logged  # …but not what it said
    assert "method=POST path=/v1/suggest status=500" in logged


def test_the_servers_own_access_log_is_muted(app, caplog):
    # what uvicorn writes for every request when `uvicorn app.main:app` runs without --no-access-log
    with everything_at_debug(caplog):
        logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:50000", "GET",
                                                  f"/v1/templates?q={PHONE}", "1.1", 200)
    assert PHONE not in everything_logged(caplog.records)


@pytest.mark.parametrize("path", ["/v1/check%0Amethod=GET path=/forged status=200", "/路径/%0D%0A"])
def test_a_path_cannot_forge_a_log_line(client, caplog, path):
    with caplog.at_level(logging.INFO):
        client.get(path)
    lines = [rec.getMessage() for rec in caplog.records if rec.getMessage().startswith("method=")]
    assert len(lines) == 1 and "\n" not in lines[0] and "\r" not in lines[0]


def test_phone_numbers_in_entities_are_for_the_agent_only(client):
    out = client.post("/v1/suggest", json={"message": "联系我13812345678"}).json()
    assert {"kind": "phone", "value": "13812345678"}.items() <= next(
        e for e in out["entities"] if e["kind"] == "phone"
    ).items()
