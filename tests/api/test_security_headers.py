"""Every answer tells the browser not to sniff types or leak the referrer; our pages get a strict CSP."""


def test_pages_get_a_strict_content_security_policy(client):
    r = client.get("/login")
    assert r.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"


def test_api_answers_and_errors_carry_the_headers_too(client):
    for r in (client.post("/v1/check", json={"text": "好的"}), client.post("/v1/check", json={})):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
        assert "content-security-policy" not in r.headers  # JSON is not a page


def test_swagger_ui_keeps_its_cdn_script(client):
    r = client.get("/docs")
    assert r.status_code == 200 and "content-security-policy" not in r.headers
    assert r.headers["x-content-type-options"] == "nosniff"


def test_answers_of_the_outer_layers_carry_them_too(client, settings):
    too_big = client.post("/v1/check", content=b"x" * (settings.max_body_bytes + 1), headers={"content-type": "application/json"})
    assert too_big.status_code == 413
    assert too_big.headers["x-content-type-options"] == "nosniff"
    wrong_host = client.get("/healthz", headers={"Host": "rebind.evil.example"})
    assert wrong_host.status_code == 400 and wrong_host.headers["x-content-type-options"] == "nosniff"
