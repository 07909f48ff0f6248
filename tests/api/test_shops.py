"""Shop facts drive the guard: from the server's shops file, chosen per request, overridden per request."""

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

SHOPS = """
default: shoes
shops:
  shoes: {name: 某某鞋业旗舰店, carriers: [申通], seven_day_return: true}
  home: {name: 某某家居专营店, carriers: [韵达, 顺丰]}
"""
DRAFT = "好的亲，这单给您发韵达"


@pytest.fixture(scope="module")
def shop_client(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shops")
    (tmp / "shops.yaml").write_text(SHOPS, encoding="utf-8")
    app = create_app(Settings(database_url=f"sqlite:///{tmp / 's.db'}", shops_file=tmp / "shops.yaml", agent_access="open"))
    with TestClient(app) as c:
        yield c


def severities(client, **body):
    r = client.post("/v1/check", json={"text": DRAFT, **body})
    assert r.status_code == 200, r.text
    return {f["severity"] for f in r.json()["flags"] if f["rule"] == "carrier_commitment"}


def test_configured_default_shop(shop_client):
    assert severities(shop_client) == {"block"}  # the default shop only ships 申通


def test_pick_another_configured_shop(shop_client):
    assert severities(shop_client, shop_key="home") == set()  # 韵达 is that shop's own courier


def test_request_overrides_the_profile(shop_client):
    assert severities(shop_client, shop={"carriers": ["韵达"]}) == set()
    assert severities(shop_client, shop_key="home", shop={"carriers": ["中通"]}) == {"block"}


def test_suggest_alerts_follow_the_shop(shop_client):
    msg = {"message": "只有韵达能到我们这 能发韵达吗"}
    alerts = shop_client.post("/v1/suggest", json=msg).json()["alerts"]
    assert any(a["rule"] == "carrier_commitment" and "申通" in a["message"] for a in alerts)
    alerts = shop_client.post("/v1/suggest", json={**msg, "shop_key": "home"}).json()["alerts"]
    assert not any(a["rule"] == "carrier_commitment" and a["severity"] in ("warn", "block") for a in alerts)


def test_unknown_shop_key_is_a_4xx(shop_client):
    r = shop_client.post("/v1/check", json={"text": DRAFT, "shop_key": "nope"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "shop_key"
