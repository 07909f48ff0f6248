"""`shouhou serve` as an operator runs it: a real server in a subprocess, talked to over sockets.

Slow clients are closed, oversized headers refused, other clients served meanwhile; the log
has one line per request and nothing the requests said; a server error is logged once.
"""

from __future__ import annotations

import os
import select
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import httpx
import pytest

from app import PROJECT_ROOT
from app.store import AccountStore, open_engine
from tests.helpers.servers import free_port, wait_until_up

READ_TIMEOUT = 2  # seconds; every wait below allows many times that
PATIENCE = 30
PHONE, ORDER = "13812345678", "3312456789012"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    db_path = tmp / "shouhou.db"
    port = free_port()
    env = {**os.environ, "SHOUHOU_DATABASE_URL": f"sqlite:///{db_path}", "SHOUHOU_READ_TIMEOUT": str(READ_TIMEOUT),
           "SHOUHOU_AGENT_ACCESS": "local"}
    for name in ("SHOUHOU_HOST", "SHOUHOU_PORT", "SHOUHOU_SHOPS_FILE"):
        env.pop(name, None)
    log_path = tmp / "server.log"
    log = open(log_path, "w")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
                            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(proc, base, log_path)
    yield {"base": base, "port": port, "log": log_path, "db": db_path}
    proc.terminate()
    proc.wait(10)
    log.close()


def connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server["port"]), timeout=PATIENCE)


def closed_by_server(sock: socket.socket) -> bool:
    """Read until the server closes the connection (True) or PATIENCE runs out (False)."""
    try:
        while sock.recv(4096):
            pass
        return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_slow_clients_are_closed_while_others_are_served(server):
    half_requests = [connect(server) for _ in range(4)]
    for sock in half_requests:
        sock.sendall(b"GET /heal")
    silent = connect(server)  # connects and sends nothing at all
    finished_headers = connect(server)
    finished_headers.sendall(b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 100\r\n\r\n{\"te")  # …and the body never comes
    dripper_closed = threading.Event()

    def drip():  # one byte at a time, well within the keep-alive timeout each: the read timeout still applies
        sock = connect(server)
        try:
            for byte in (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"z" * 500):
                sock.send(bytes([byte]))
                if select.select([sock], [], [], 0.2)[0] and not sock.recv(4096):
                    dripper_closed.set()
                    return
        except (BrokenPipeError, ConnectionResetError):
            dripper_closed.set()
        finally:
            sock.close()

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    # Meanwhile the server answers everyone else.
    with httpx.Client(base_url=server["base"], timeout=PATIENCE) as client:
        assert client.get("/healthz").status_code == 200
        assert client.post("/v1/check", json={"text": "好的亲"}).status_code == 200

    reply = half_requests[0].recv(4096)
    assert reply.startswith(b"HTTP/1.1 408 "), reply
    assert "请求超时".encode() in reply
    assert all(closed_by_server(s) for s in half_requests + [silent, finished_headers])
    dripper.join(PATIENCE + 5)
    assert dripper_closed.is_set()  # the 500 dripped bytes would have taken 100 s
    for s in half_requests + [silent, finished_headers]:
        s.close()
    assert httpx.get(f"{server['base']}/healthz", timeout=PATIENCE).status_code == 200


def status_of(sock: socket.socket) -> bytes:
    reply = b""
    while b"\r\n" not in reply:
        chunk = sock.recv(4096)
        if not chunk:
            break
        reply += chunk
    return reply.split(b"\r\n", 1)[0]


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n",  # in one go
        b"GET /healthz?" + b"q" * 20_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",  # a huge request line
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"".join(b"X-%d: a\r\n" % i for i in range(150)) + b"\r\n",
    ],
    ids=["large header", "long request line", "150 headers"],
)
def test_oversized_headers_are_refused(server, request_bytes):
    with connect(server) as sock:
        sock.sendall(request_bytes)
        assert status_of(sock).startswith(b"HTTP/1.1 431 ")


def test_headers_that_keep_coming_are_cut_off(server):
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        try:
            for _ in range(100):  # 1 MB of headers, 10 KB at a time
                sock.sendall(b"X-More: " + b"m" * 10_000 + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            return  # refused and closed while we were still sending
        assert status_of(sock).startswith(b"HTTP/1.1 431 ")


def test_the_log_has_one_line_per_request_and_nothing_they_said(server):
    with httpx.Client(base_url=server["base"], timeout=PATIENCE) as client:
        r = client.post(f"/v1/suggest?q={PHONE}&order_id={ORDER}",
                        json={"message": f"订单{ORDER}还没收到，电话{PHONE}", "context": {"order_id": ORDER}})
        assert r.status_code == 200
        assert client.post(f"/login?password={PHONE}", data={"username": "nobody", "password": PHONE}).status_code == 401
        assert client.get(f"/v1/templates?q={PHONE}").status_code == 200
    log = wait_for(server, "method=GET path=/v1/templates status=200")
    assert "method=POST path=/v1/suggest status=200 duration_ms=" in log
    assert "method=POST path=/login status=401 " in log
    assert PHONE not in log and ORDER not in log
    assert 'HTTP/1.1" 200' not in log  # uvicorn's own access log is off


def test_the_setup_url_names_the_real_port(server):
    log = server["log"].read_text(encoding="utf-8")
    assert f"http://127.0.0.1:{server['port']}/setup" in log
    assert log.count("一次性令牌") == 1


def test_a_server_error_is_logged_once(server):
    secret, _ = AccountStore(open_engine(f"sqlite:///{server['db']}")).create_api_key("bot", "agent")
    with sqlite3.connect(server["db"]) as conn:  # the database breaks under the running server
        conn.execute("DROP TABLE api_keys")
    r = httpx.post(f"{server['base']}/v1/check", json={"text": f"好的，电话{PHONE}"},
                   headers={"Authorization": f"Bearer {secret}"}, timeout=PATIENCE)
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    log = wait_for(server, "status=500")
    assert log.count("Traceback") == 1, log[-4000:]
    assert "OperationalError (message not logged)" in log
    assert "no such table" not in log and secret not in log and PHONE not in log


def wait_for(server, text: str) -> str:
    deadline = time.monotonic() + PATIENCE
    while True:
        log = server["log"].read_text(encoding="utf-8")
        if text in log or time.monotonic() > deadline:
            return log
        time.sleep(0.1)
