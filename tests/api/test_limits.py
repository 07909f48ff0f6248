"""Header limits hold whichever server runs the app (tests/test_serving.py covers `shouhou serve`'s own)."""

import pytest


def assert_431(r, needle):
    assert r.status_code == 431
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 431 and body["errors"][0]["field"] == "headers" and needle in body["detail"]


def test_too_many_headers_are_431(client):
    assert_431(client.get("/healthz", headers={f"X-Many-{i}": "a" for i in range(120)}), "100 个")
    assert client.get("/healthz", headers={f"X-Some-{i}": "a" for i in range(60)}).status_code == 200


@pytest.mark.parametrize("where", ["header", "query"])
def test_too_large_headers_or_request_line_are_431(client, where):
    big = "a" * 20_000
    r = client.get("/healthz", headers={"X-Big": big}) if where == "header" else client.get(f"/healthz?q={big}")
    assert_431(r, "16384 字节")


def test_a_refused_request_never_reaches_the_app(client):
    r = client.post("/v1/suggest", json={"message": "在吗"}, headers={"X-Big": "a" * 20_000})
    assert r.status_code == 431 and "intents" not in r.json()
