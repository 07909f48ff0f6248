"""No personal data in logs: message texts (phone numbers, addresses) never reach them."""

import logging


def test_suggest_and_check_do_not_log_message_texts(client, caplog):
    phone, address = "13812345678", "幸福路88号3单元502"
    with caplog.at_level(logging.DEBUG):
        r = client.post("/v1/suggest", json={"message": f"我电话{phone}，地址{address}，快递显示签收了但没收到"})
        assert r.status_code == 200
        client.post("/v1/check", json={"text": f"好的亲，已备注电话{phone}"})
        client.post("/v1/suggest", json={"message": f"{phone}" * 2000})  # a 422 must not echo it into logs either
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert "/v1/suggest" in logged  # requests are logged…
    assert phone not in logged and address not in logged  # …but never what they said


def test_phone_numbers_in_entities_are_for_the_agent_only(client):
    out = client.post("/v1/suggest", json={"message": "联系我13812345678"}).json()
    assert {"kind": "phone", "value": "13812345678"}.items() <= next(
        e for e in out["entities"] if e["kind"] == "phone"
    ).items()
