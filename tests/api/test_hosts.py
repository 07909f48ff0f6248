"""Which host names the server answers to, and whose word it takes for the client's address.

A page the agent opens can rebind its own domain to 127.0.0.1 and call the local API from
the agent's browser: the browser then sends ``Host: <that domain>``, which must be refused.
And "local" means the peer is this machine: a forwarded header counts only when a trusted
proxy sends it.
"""

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

SUGGEST = {"message": "在吗"}


@pytest.fixture(scope="module")
def make_client(tmp_path_factory):
    """TestClient over a fresh app; the settings' defaults as a deployment would have them."""
    made = []

    def make(client=("127.0.0.1", 50000), **settings):
        db = tmp_path_factory.mktemp("hosts") / "h.db"
        settings.setdefault("allowed_hosts", [])  # not the test suite's "testserver"
        app = create_app(Settings(database_url=f"sqlite:///{db}", agent_access="local", **settings))
        c = TestClient(app, base_url="http://127.0.0.1:8000", client=client)
        made.append((app, c))
        return c

    yield make
    for app, c in made:
        c.close()
        app.state.store_engine.dispose()


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000", "LOCALHOST", "127.0.0.1"])
def test_this_machines_names_are_served_by_default(make_client, host):
    c = make_client()
    assert c.get("/healthz", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["app", "testserver", "shouhou:8000", "SHOUHOU"])
def test_names_without_a_dot_are_served(make_client, host):
    # In-process clients (the evaluation harness calls http://app) and container service names;
    # a rebinding page needs a domain with a dot, which its author controls.
    c = make_client()
    assert c.post("/v1/suggest", json=SUGGEST, headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    "host", ["rebind.evil.example:8000", "evil:8000.example", "evil.example@127.0.0.1:8000", "127.0.0.1:8000/x", "127.0.0.1.evil.example", ""]
)
def test_other_host_names_are_refused_with_a_problem_document(make_client, host):
    c = make_client()
    r = c.post("/v1/suggest", json=SUGGEST, headers={"Host": host})
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["errors"] == [{"field": "Host", "message": "不在允许的主机名中"}]
    assert "intents" not in body  # the local API stays out of reach of a rebinding page


def test_the_refusal_says_which_setting_to_change(make_client):
    r = make_client().get("/editor", headers={"Host": "shouhou.example.com"})
    assert r.status_code == 400
    assert "shouhou.example.com" in r.json()["detail"] and "SHOUHOU_ALLOWED_HOSTS" in r.json()["detail"]


def test_configured_hosts_and_wildcards(make_client):
    c = make_client(allowed_hosts="shouhou.example.com, *.corp.example", host="192.168.1.5")
    ok = ["shouhou.example.com", "Shouhou.Example.com:443", "a.corp.example", "b.a.corp.example", "192.168.1.5:8000",
          "127.0.0.1:8000"]
    for host in ok:
        assert c.get("/healthz", headers={"Host": host}).status_code == 200, host
    for host in ["corp.example", "evilcorp.example", "example.com", "192.168.1.6"]:
        assert c.get("/healthz", headers={"Host": host}).status_code == 400, host


def test_serving_on_every_address_adds_no_name(make_client):
    c = make_client(host="0.0.0.0")
    assert c.get("/healthz", headers={"Host": "0.0.0.0:8000"}).status_code == 400
    assert c.get("/healthz", headers={"Host": "127.0.0.1:8000"}).status_code == 200


def test_a_star_serves_any_host(make_client):
    assert make_client(allowed_hosts="*").get("/healthz", headers={"Host": "anything.example"}).status_code == 200


# Local mode and forwarded headers


@pytest.mark.parametrize(
    "headers",
    [{"X-Forwarded-For": "127.0.0.1"}, {"X-Forwarded-For": "::1"}, {"Forwarded": "for=127.0.0.1"},
     {"X-Real-IP": "127.0.0.1"}, {"X-Forwarded-For": "10.9.9.9, 127.0.0.1"}],
)
def test_a_remote_peer_cannot_claim_to_be_local(make_client, headers):
    assert make_client(client=("10.1.2.3", 50000)).post("/v1/suggest", json=SUGGEST, headers=headers).status_code == 401
    # not even when a proxy is trusted: this peer is not that proxy
    c = make_client(client=("10.1.2.3", 50000), trusted_proxies="127.0.0.1")
    assert c.post("/v1/suggest", json=SUGGEST, headers=headers).status_code == 401


def test_forwarded_headers_count_only_from_a_trusted_proxy(make_client):
    remote_behind_proxy = {"X-Forwarded-For": "203.0.113.7"}
    # No trusted proxy: the header is ignored and a same-host proxy's requests all look local.
    # (That is why the README says not to use `local` behind one without SHOUHOU_TRUSTED_PROXIES.)
    assert make_client().post("/v1/suggest", json=SUGGEST, headers=remote_behind_proxy).status_code == 200
    proxied = make_client(trusted_proxies="127.0.0.1,::1")
    assert proxied.post("/v1/suggest", json=SUGGEST, headers=remote_behind_proxy).status_code == 401
    # a client that sends its own X-Forwarded-For through the proxy: the proxy appends the real address
    spoofed = {"X-Forwarded-For": "127.0.0.1, 203.0.113.7"}
    assert proxied.post("/v1/suggest", json=SUGGEST, headers=spoofed).status_code == 401
    # the proxy forwarding for someone on this machine
    assert proxied.post("/v1/suggest", json=SUGGEST, headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200


def test_a_trusted_proxy_on_another_machine(make_client):
    c = make_client(client=("10.0.0.5", 40000), trusted_proxies="10.0.0.0/24")
    assert c.post("/v1/suggest", json=SUGGEST).status_code == 401  # the proxy itself is not local
    assert c.post("/v1/suggest", json=SUGGEST, headers={"X-Forwarded-For": "198.51.100.4"}).status_code == 401


@pytest.mark.parametrize(("peer", "status"), [("127.0.0.1", 200), ("::1", 200), ("127.0.0.2", 200),
                                              ("::ffff:127.0.0.1", 200), ("::ffff:10.1.2.3", 401), ("10.1.2.3", 401)])
def test_local_means_a_loopback_peer(make_client, peer, status):
    # ::ffff:127.0.0.1 is how a server listening on "::" sees an IPv4 client on this machine
    assert make_client(client=(peer, 50000)).post("/v1/suggest", json=SUGGEST).status_code == status
