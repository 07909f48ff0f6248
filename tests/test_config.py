"""Settings that refuse to be dangerous, and a shops file that is wrong is a clear error at start."""

import pytest
from pydantic import ValidationError

from app.config import ConfigError, Settings, ShopDirectory
from app.main import create_app, setup_url


def db(tmp_path):
    return f"sqlite:///{tmp_path / 'c.db'}"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "shouhou.example.com"])
def test_open_access_on_the_network_is_refused_unless_confirmed(tmp_path, host):
    settings = Settings(database_url=db(tmp_path), agent_access="open", host=host)
    with pytest.raises(ConfigError, match="SHOUHOU_ALLOW_OPEN_ON_NETWORK=true") as e:
        create_app(settings)
    assert "任何人都能免凭证" in str(e.value)
    assert not (tmp_path / "c.db").exists()  # refused before touching the database
    confirmed = Settings(database_url=db(tmp_path), agent_access="open", host=host, allow_open_on_network=True)
    create_app(confirmed).state.store_engine.dispose()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"])
def test_open_access_on_this_machine_needs_no_confirmation(host):
    Settings(agent_access="open", host=host).check_safe_to_serve()


@pytest.mark.parametrize("access", ["local", "key"])
def test_other_modes_may_listen_anywhere(access):
    Settings(agent_access=access, host="0.0.0.0").check_safe_to_serve()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("shops:\n  flagship:\n    carriers: 申通\n", "shops.flagship.carriers：应为列表"),
        ("shops:\n  flagship:\n    carrier: [申通]\n", "shops.flagship.carrier：不认识的字段（是不是「carriers」？）"),
        ("shops: [\n  oops", "第 1 行格式有误：方括号「[」没有配对的「]」"),
        ("shops:\n  flagship:\n    carriers: [申通]\n    ship_within_hours: 很快\n", "shops.flagship.ship_within_hours：应为"),
        ("default: outlet\nshops:\n  flagship: {carriers: [申通]}\n", "default 写的 outlet 不在 shops 里"),
    ],
)
def test_a_wrong_shops_file_is_a_clear_error_at_start(tmp_path, text, expected):
    path = tmp_path / "shops.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:  # an exception the caller can report, not a SystemExit
        create_app(Settings(database_url=db(tmp_path), shops_file=path))
    assert expected in str(e.value) and str(path) in str(e.value)


def test_a_missing_or_unreadable_shops_file(tmp_path):
    with pytest.raises(ConfigError, match="不存在"):
        ShopDirectory.from_file(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="是一个目录"):
        ShopDirectory.from_file(tmp_path)
    (tmp_path / "gbk.yaml").write_bytes("shops: {店: {}}".encode("gbk"))
    with pytest.raises(ConfigError, match="不是 UTF-8 编码"):
        ShopDirectory.from_file(tmp_path / "gbk.yaml")


def test_host_and_proxy_lists_from_the_environment(monkeypatch):
    monkeypatch.setenv("SHOUHOU_ALLOWED_HOSTS", "shouhou.example.com, *.corp.example,[::1]")
    monkeypatch.setenv("SHOUHOU_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    s = Settings()
    assert s.allowed_hosts == ["shouhou.example.com", "*.corp.example", "::1"]
    assert s.trusted_proxies == ["127.0.0.1", "10.0.0.0/8"]
    assert s.served_hosts() == ["127.0.0.1", "localhost", "::1", "shouhou.example.com", "*.corp.example"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [("allowed_hosts", "shop*.example", "通配符"), ("allowed_hosts", "https://shouhou.example.com", "不带协议和端口"),
     ("allowed_hosts", "shouhou.example.com:8000", "不带协议和端口"), ("trusted_proxies", "nginx", "IP 地址或网段")],
)
def test_wrong_host_or_proxy_settings_are_refused(name, value, message):
    with pytest.raises(ValidationError, match=message):
        Settings(**{name: value})


@pytest.mark.parametrize(
    ("host", "port", "url", "noted"),
    [("127.0.0.1", 8000, "http://127.0.0.1:8000/setup", False), ("192.168.1.5", 9123, "http://192.168.1.5:9123/setup", False),
     ("0.0.0.0", 8000, "http://127.0.0.1:8000/setup", True), ("::", 8001, "http://[::1]:8001/setup", True),
     ("::1", 8002, "http://[::1]:8002/setup", False)],
)
def test_the_setup_url_names_the_address_served(host, port, url, noted):
    got, note = setup_url(Settings(host=host, port=port))
    assert got == url
    assert ("SHOUHOU_ALLOWED_HOSTS" in note) is noted
