"""Bad input gets a clear 4xx problem document naming the field — never a 500."""

import pytest


def assert_problem(r, status, field=None):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert "Traceback" not in r.text
    if field:
        assert field in {e["field"] for e in body.get("errors", [])}, body
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "message"),
        ({"message": ""}, "message"),
        ({"message": "   \n "}, "message"),
        ({"message": "字" * 2001}, "message"),
        ({"message": 123}, "message"),
        ({"message": ["在吗"]}, "message"),
        ({"message": "在吗", "top_k": "many"}, "top_k"),
        ({"message": "在吗", "top_k": 0}, "top_k"),
        ({"message": "在吗", "context": "order=1"}, "context"),
        ({"message": "在吗", "shop": {"carriers": "申通"}}, "shop.carriers"),
        ({"message": "在吗", "shop": {"ship_within_hours": -5}}, "shop.ship_within_hours"),
        ({"message": "在吗", "shop": {"carrier": ["申通"]}}, "shop.carrier"),
        ({"message": "在吗", "shop_key": "不存在的店"}, "shop_key"),
    ],
)
def test_suggest_bad_input(client, body, field):
    assert_problem(client.post("/v1/suggest", json=body), 422, field)


def test_message_at_limit_is_fine(client):
    assert client.post("/v1/suggest", json={"message": "色差" * 1000}).status_code == 200


def test_malformed_json(client):
    r = client.post("/v1/suggest", content=b'{"message": "\xe5\x9c\xa8', headers={"content-type": "application/json"})
    assert_problem(r, 400, "body")
    r = client.post("/v1/suggest", content=b"not json", headers={"content-type": "application/json"})
    assert_problem(r, 400, "body")


def test_body_not_an_object(client):
    assert_problem(client.post("/v1/suggest", json=["在吗"]), 422)


def test_oversized_body_is_413(client):
    r = client.post("/v1/suggest", json={"message": "在吗", "context": {"x": "a" * 300_000}})
    assert_problem(r, 413, "body")


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "text"), ({"text": ""}, "text"), ({"text": "好" * 2001}, "text"), ({"text": 5}, "text"),
     ({"text": "好的", "shop": "申通"}, "shop"), ({"text": "好的", "shop": {"invoice": {"categories": "鞋"}}}, "shop.invoice.categories")],
)
def test_check_bad_input(client, body, field):
    assert_problem(client.post("/v1/check", json=body), 422, field)


def test_unknown_path_and_method(client):
    assert_problem(client.get("/v1/nothing"), 404)
    assert_problem(client.get("/v1/suggest"), 405)


def test_oversized_streamed_body_without_length_is_413(client):
    def chunks():
        yield b'{"message": "'
        for _ in range(400):
            yield "字".encode() * 400
        yield b'"}'

    r = client.post("/v1/suggest", content=chunks(), headers={"content-type": "application/json"})
    assert_problem(r, 413, "body")
