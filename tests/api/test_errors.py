"""Bad input gets a clear 4xx problem document naming the field — never a 500."""

import pytest

from tests.helpers.http import bearer


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
        # JSON types as documented, not coerced: true is not 1, 1 is not true, "3" is not 3
        ({"message": "在吗", "context": {"vip": True}}, "context.vip"),
        ({"message": "在吗", "explain": 1}, "explain"),
        ({"message": "在吗", "top_k": "3"}, "top_k"),
    ],
)
def test_suggest_bad_input(client, body, field):
    assert_problem(client.post("/v1/suggest", json=body), 422, field)


def test_a_value_of_no_allowed_type_is_one_error_in_chinese(client):
    body = assert_problem(client.post("/v1/suggest", json={"message": "在吗", "context": {"vip": True}}), 422)
    assert body["errors"] == [{"field": "context.vip", "message": "应为字符串、整数或数字"}]


def test_admin_bodies_take_json_types_as_documented(fresh_client, keys):
    h = bearer(keys["admin"])
    assert_problem(fresh_client.patch("/v1/users/nobody", json={"disabled": 0}, headers=h), 422, "disabled")
    assert_problem(fresh_client.post("/v1/keys", json={"name": "bot", "role": "boss"}, headers=h), 422, "role")
    r = fresh_client.post("/v1/templates/thanks/short/rollback", json={"version": True}, headers=h)
    assert_problem(r, 422, "version")


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


# -- numbers the store cannot hold -----------------------------------------------------------

BIG = 1180591620717411303424  # 2**70
INT4 = 2**31  # one past PostgreSQL's integer


@pytest.mark.parametrize("number", [BIG, INT4])
def test_out_of_range_numbers_are_a_422_naming_the_parameter(fresh_client, keys, number):
    h = bearer(keys["admin"])
    tpl = "/v1/templates/thanks/short"
    assert_problem(fresh_client.get(f"{tpl}/versions/{number}", headers=h), 422, "version")
    assert_problem(fresh_client.get(f"{tpl}/diff", params={"a": 1, "b": number}, headers=h), 422, "b")
    assert_problem(fresh_client.get(f"{tpl}/diff", params={"a": number, "b": 1}, headers=h), 422, "a")
    r = fresh_client.post(f"{tpl}/rollback", json={"version": number}, headers={**h, "If-Match": '"1"'})
    assert_problem(r, 422, "version")
    r = fresh_client.post(f"{tpl}/rollback", json={"version": 1, "base_version": number}, headers=h)
    assert_problem(r, 422, "base_version")
    r = fresh_client.put(tpl, json={"source": "x", "base_version": number}, headers=h)
    assert_problem(r, 422, "base_version")
    assert_problem(fresh_client.delete(tpl, params={"base_version": number}, headers=h), 422, "base_version")
    body = assert_problem(fresh_client.delete(f"/v1/keys/{number}", headers=h), 422, "key_id")
    assert "不能大于 2147483647" in body["detail"]


def test_the_largest_number_the_store_holds_is_a_plain_404(fresh_client, keys):
    h = bearer(keys["admin"])
    top = 2**31 - 1
    assert_problem(fresh_client.get(f"/v1/templates/thanks/short/versions/{top}", headers=h), 404)
    assert_problem(fresh_client.get("/v1/templates/thanks/short/diff", params={"a": 1, "b": top}, headers=h), 404)
    r = fresh_client.post("/v1/templates/thanks/short/rollback", json={"version": top}, headers={**h, "If-Match": '"1"'})
    assert_problem(r, 404)
    assert_problem(fresh_client.delete(f"/v1/keys/{top}", headers=h), 404)
    assert_problem(fresh_client.get("/v1/templates/thanks/short/versions/0", headers=h), 422, "version")


@pytest.mark.parametrize("value", ["²", "³", "３", "٣"])
def test_if_match_digits_are_ascii_digits(value):
    # "²".isdigit() is true but int("²") raises (a 500 over HTTP, where the header arrives as latin-1);
    # "３" and "٣" were read as version 3.  In-process clients re-encode such headers, hence a unit test.
    from app.api.errors import ProblemError
    from app.api.routes.documents import resolve_base

    with pytest.raises(ProblemError) as refused:
        resolve_base(f'"{value}"', None, "修改")
    assert refused.value.status == 400 and refused.value.errors[0]["field"] == "If-Match"


@pytest.mark.parametrize("value", [b'"' + b"9" * 5000 + b'"', b"3.0", b"W/"])
def test_if_match_must_be_a_plain_version_number(fresh_client, keys, value):
    # int() of 5,000 digits raises: that was a 500
    r = fresh_client.put("/v1/templates/thanks/short", json={"source": "x"},
                         headers={**bearer(keys["editor"]), "If-Match": value})
    assert_problem(r, 400, "If-Match")


def test_a_huge_but_well_formed_if_match_is_simply_stale(fresh_client, keys):
    h = bearer(keys["editor"])
    doc = fresh_client.get("/v1/templates/thanks/short", headers=h).json()
    r = fresh_client.put("/v1/templates/thanks/short", json={"source": doc["source"] + "\n"},
                         headers={**h, "If-Match": '"9999999999"'})
    assert_problem(r, 412, "If-Match")


# -- text nothing downstream can hold: lone surrogates and NUL -------------------------------

SURROGATE = "\ud800 给您发韵达"


def send_json(client, method: str, path: str, payload, key: str):
    """Send ``payload`` as JSON with escapes (``"\\ud800"``) as a client may; httpx's json= cannot encode them."""
    import json

    return client.request(method, path, content=json.dumps(payload).encode(),
                          headers={"content-type": "application/json", **bearer(key)})


@pytest.mark.parametrize("bad", [SURROGATE, "给您发\udfff韵达", "给您发韵达\x00"])
@pytest.mark.parametrize(
    ("path", "role", "payload", "field"),
    [
        ("/v1/suggest", "agent", lambda bad: {"message": bad}, "message"),
        ("/v1/suggest", "agent", lambda bad: {"message": "在吗", "context": {"buyer_name": bad}}, "context.buyer_name"),
        ("/v1/suggest", "agent", lambda bad: {"message": "在吗", "context": {bad: "小王"}}, "context"),
        ("/v1/suggest", "agent", lambda bad: {"message": "在吗", "shop": {"carriers": ["申通", bad]}}, "shop.carriers.1"),
        ("/v1/check", "agent", lambda bad: {"text": bad}, "text"),
        ("/v1/check", "agent", lambda bad: {"text": "好的", "shop_key": bad}, "shop_key"),
        ("/v1/intents/try", "editor", lambda bad: {"message": bad}, "message"),
        ("/v1/templates/preview", "editor", lambda bad: {"source": bad}, "source"),
        ("/v1/templates/preview", "editor", lambda bad: {"source": "---\n", "context": {"order_id": bad}}, "context.order_id"),
        ("/v1/templates", "editor", lambda bad: {"source": bad}, "source"),
        ("/v1/keys", "admin", lambda bad: {"name": bad}, "name"),
        ("/v1/users", "admin", lambda bad: {"username": bad, "password": "a-long-password"}, "username"),
    ],
)
def test_unencodable_text_is_a_422_naming_the_field(fresh_client, keys, path, role, payload, field, bad):
    r = send_json(fresh_client, "POST", path, payload(bad), keys[role])
    body = assert_problem(r, 422, field)
    assert "无效的字符" in body["detail"]


def test_unencodable_text_in_a_save_is_refused_and_nothing_is_stored(fresh_client, keys):
    h = bearer(keys["editor"])
    doc = fresh_client.get("/v1/templates/thanks/short", headers=h).json()
    for payload, field in [({"source": doc["source"].rstrip() + "\ud83d\n"}, "source"),
                           ({"source": doc["source"] + "\n", "comment": "改\x00了"}, "comment")]:
        r = send_json(fresh_client, "PUT", "/v1/templates/thanks/short", {**payload, "base_version": doc["version"]},
                      keys["editor"])
        assert_problem(r, 422, field)
    assert fresh_client.get("/v1/templates/thanks/short", headers=h).json()["version"] == doc["version"]


@pytest.mark.parametrize("path", ["/v1/templates/thanks%00", "/v1/templates/a%00b/versions", "/v1/rules/x%00/diff?a=1&b=2"])
def test_nul_in_a_path_is_a_422_also_on_postgresql(fresh_client, keys, path):
    assert_problem(fresh_client.get(path, headers=bearer(keys["admin"])), 422, "key")


def test_nul_in_a_username_path_is_a_422(fresh_client, keys):
    r = fresh_client.patch("/v1/users/xiao%00mei", json={"role": "agent"}, headers=bearer(keys["admin"]))
    assert_problem(r, 422, "username")


def test_the_guard_and_matcher_never_see_unencodable_text(fresh_app, fresh_client, keys, monkeypatch):
    engine = fresh_app.state.holder.current()
    seen: list[str] = []
    for name in ("check", "suggest"):
        real = getattr(engine, name)
        monkeypatch.setattr(engine, name, lambda text, *a, _real=real, **kw: seen.append(text) or _real(text, *a, **kw))
    for path, payload in [("/v1/check", {"text": SURROGATE}), ("/v1/suggest", {"message": SURROGATE}),
                          ("/v1/check", {"text": "给您发韵达"})]:
        r = send_json(fresh_client, "POST", path, payload, keys["agent"])
        assert r.status_code == (200 if payload.get("text") == "给您发韵达" else 422), r.text
    assert seen == ["给您发韵达"]  # only the clean text reached the engine


# -- 405 and the OpenAPI schema ---------------------------------------------------------------


def test_405_allow_lists_every_method_of_the_resource(client):
    assert client.options("/v1/keys").headers["allow"] == "GET, HEAD, POST"
    assert client.patch("/v1/templates/thanks/short").headers["allow"] == "DELETE, GET, HEAD, PUT"
    assert client.put("/v1/suggest").headers["allow"] == "POST"


def test_openapi_describes_errors_as_problem_documents(client):
    schema = client.get("/openapi.json").json()
    problem_schema = schema["components"]["schemas"]["Problem"]
    assert problem_schema["properties"]["detail"]["type"] == "string"
    assert problem_schema["properties"]["errors"]["type"] == "array"
    assert "HTTPValidationError" not in client.get("/openapi.json").text

    def statuses(path, method):
        return set(schema["paths"][path][method]["responses"])

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert response["content"] == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}, (method, path, status)
            assert {"400", "413", "500"} <= set(operation["responses"]), (method, path)
    assert {"401", "403", "404", "409", "412", "422", "428"} <= statuses("/v1/templates/{key}", "put")
    assert {"401", "403", "404", "409", "412", "422", "428"} <= statuses("/v1/rules/{key}/rollback", "post")
    assert {"401", "404", "422"} <= statuses("/v1/intents/{key}/versions/{version}", "get")
    assert {"401", "403", "404", "422"} <= statuses("/v1/keys/{key_id}", "delete")
    assert {"401", "403", "422"} <= statuses("/v1/suggest", "post")
    assert "401" not in statuses("/healthz", "get")
    version = next(p for p in schema["paths"]["/v1/templates/{key}/versions/{version}"]["get"]["parameters"] if p["name"] == "version")
    assert version["schema"]["maximum"] == 2**31 - 1 and version["schema"]["minimum"] == 1


def test_an_error_answer_matches_the_documented_problem_schema(client):
    import jsonschema_rs

    validator = jsonschema_rs.validator_for(client.get("/openapi.json").json()["components"]["schemas"]["Problem"])
    for r in [client.post("/v1/suggest", json={}), client.get("/v1/nothing"), client.get("/v1/templates/none/diff?a=x&b=1"),
              client.post("/v1/suggest", content=b"{", headers={"content-type": "application/json"})]:
        assert r.headers["content-type"].startswith("application/problem+json")
        validator.validate(r.json())


def test_nul_in_a_form_field_is_a_422_not_a_database_error(fresh_client):
    r = fresh_client.post("/login", data={"username": "xiao\x00mei", "password": "a-long-password"},
                          headers={"origin": "http://testserver"})
    assert_problem(r, 422, "username")
