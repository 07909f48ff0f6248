"""Server settings (environment variables ``SHOUHOU_*`` or a ``.env`` file) and shop profiles.

Every setting has a safe default so that ``shouhou serve`` works on a fresh
clone: the bundled content, an SQLite file under ``data/``, localhost only.
"""

from __future__ import annotations

import importlib.util
import ipaddress
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app import DATA_DIR, DEFAULT_CACHE_DIR, PROJECT_ROOT
from app.content.problems import field_errors as translate_errors
from app.content.problems import yaml_problem
from app.shop import ShopProfile

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


class ConfigError(Exception):
    """A setting or the shops file that cannot work or would be unsafe; the message says which, in Chinese."""


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def _comma_list(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOUHOU_", env_file=".env", extra="ignore")

    content_dir: Path = Field(PROJECT_ROOT, description="存放 intents/、templates/、rules/、lexicon/ 的目录")
    database_url: str = Field(
        f"sqlite:///{DATA_DIR / 'shouhou.db'}",
        description="内容库地址：sqlite:///路径 或 postgresql+psycopg://用户@主机/库",
    )
    shops_file: Path | None = Field(None, description="店铺资料 YAML（见 shops.example.yaml）；不设则店铺信息未知，规则取谨慎默认")
    host: str = Field("127.0.0.1", description="shouhou serve 监听的地址")
    port: int = Field(8000, description="shouhou serve 监听的端口")
    agent_access: Literal["local", "open", "key"] = Field(
        "local",
        description="suggest/check 是否需要凭证：local=本机免凭证、其他需 API key；open=都免；key=都需要",
    )
    max_body_bytes: int = Field(256 * 1024, description="请求体上限（字节），超过返回 413")
    session_hours: int = Field(12, description="网页登录会话有效期（小时）")
    secure_cookies: bool = Field(False, description="会话 cookie 加 Secure（部署在 HTTPS 后时打开）")
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="另外允许的 Host 主机名，逗号分隔（可写 *.example.com 或 *）；本机名和 host 设置的地址总是允许",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="信任其 X-Forwarded-For/-Proto 头的反向代理地址（逗号分隔的 IP 或网段）；不设则不理会这些头",
    )
    allow_open_on_network: bool = Field(
        False, description="确认在非本机地址上使用 agent_access=open（网络上任何人都能免凭证调用 suggest/check）"
    )
    max_header_bytes: int = Field(16 * 1024, ge=1024, description="请求行加请求头的上限（字节），超过返回 431")
    read_timeout: float = Field(15.0, gt=0, description="客户端须在多少秒内发完一个请求（请求行、头和请求体），否则断开")
    max_connections: int = Field(500, ge=1, description="shouhou serve 同时处理的连接上限，超过时新请求得到 503")
    cache_dir: Path = Field(
        DEFAULT_CACHE_DIR,
        description="训练好的意图分类器缓存在这里（按训练内容的哈希命名），命令行和重启时直接读取，不必重新训练；jieba 的词典缓存也在这里",
    )
    notify_changes: bool = Field(
        True, description="PostgreSQL 上用 LISTEN/NOTIFY 把编辑即时告诉其他进程；经 PgBouncer 事务模式连接时设为 false（只靠轮询）"
    )
    revision_poll_seconds: float = Field(
        1.0, gt=0, le=3600, description="每隔多少秒查一次内容版本号，发现其他进程的编辑（NOTIFY 丢失时的后备）"
    )
    record_events: bool = Field(
        True, description="记录建议、反馈和检查结果（统计和排序学习用；买家消息中的电话、订单号、运单号打码保存）；false 则不记录"
    )
    event_retention_days: int = Field(
        90, ge=1, le=3650, description="事件保留多少天，更早的由后台任务删除（启动时和每小时一次）"
    )

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _hosts(cls, value: object) -> object:
        hosts = _comma_list(value)
        if isinstance(hosts, list):
            out = []
            for h in hosts:
                h = str(h).strip().lower()
                if h.startswith("[") and h.endswith("]"):
                    h = h[1:-1]
                if "*" in h[1:] or (h.startswith("*") and h != "*" and not h.startswith("*.")):
                    raise ValueError(f"{h}：通配符只能写成 *.example.com 或 *")
                if "/" in h or (":" in h and not _is_ipv6(h)):
                    raise ValueError(f"{h}：只写主机名，不带协议和端口")
                out.append(h)
            return out
        return hosts

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> object:
        proxies = _comma_list(value)
        if isinstance(proxies, list):
            for p in proxies:
                if p != "*":
                    try:
                        ipaddress.ip_network(str(p), strict=False)
                    except ValueError:
                        raise ValueError(f"{p}：应为 IP 地址或网段，如 127.0.0.1 或 10.0.0.0/8") from None
        return proxies

    @field_validator("database_url")
    @classmethod
    def _database_driver(cls, value: str) -> str:
        # psycopg is an optional extra: say how to install it rather than fail on the first query.
        scheme = value.partition("://")[0].lower()
        if scheme in ("postgres", "postgresql", "postgresql+psycopg") and importlib.util.find_spec("psycopg") is None:
            raise ValueError(
                "使用 PostgreSQL 需要 psycopg，当前环境没有安装。"
                "请运行 pip install 'shouhou[postgres]'（在项目目录中：.venv/bin/pip install -e '.[postgres]'）"
            )
        return value

    def served_hosts(self) -> list[str]:
        """The Host names requests may carry: this machine's names, ``host`` and SHOUHOU_ALLOWED_HOSTS."""
        hosts = list(LOOPBACK_NAMES)
        bound = self.host.strip("[]").lower()
        if bound not in ("0.0.0.0", "::", ""):
            hosts.append(bound)
        return list(dict.fromkeys(hosts + self.allowed_hosts))

    def check_safe_to_serve(self) -> None:
        """Refuse settings that would open the service to the network by accident."""
        if self.agent_access == "open" and not is_loopback(self.host) and not self.allow_open_on_network:
            raise ConfigError(
                f"SHOUHOU_AGENT_ACCESS=open 而服务监听在 {self.host}：网络上任何人都能免凭证调用 suggest/check。"
                "请改用 local 或 key；如确实需要，请同时设置 SHOUHOU_ALLOW_OPEN_ON_NETWORK=true 确认。"
            )

    @property
    def intents_dir(self) -> Path:
        return self.content_dir / "intents"

    @property
    def templates_dir(self) -> Path:
        return self.content_dir / "templates" / "replies"

    @property
    def rules_dir(self) -> Path:
        return self.content_dir / "rules"


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == 6
    except ValueError:
        return False


def field_errors(error: ValidationError, model: type[BaseModel] | None = None, hints: bool = False) -> list[tuple[str, str]]:
    """``[("shops.flagship.carriers", "应为列表"), …]``: a settings or shops-file error, in Chinese.

    The one translator of pydantic's errors (``app.content.problems``); ``model`` names the
    fields for a did-you-mean, ``hints`` adds how to write it in a YAML file.
    """
    out = []
    for e in translate_errors(error.errors(), model=model):
        message = f"{e.bare}（提示：{e.hint}）" if hints and e.hint else e.bare
        out.append((e.field, message))
    return out


class ShopsFile(BaseModel):
    default: str | None = None
    shops: dict[str, ShopProfile] = Field(default_factory=dict)


class ShopDirectory:
    """The shops this server knows; requests pick one by key or send their own profile."""

    def __init__(self, shops: dict[str, ShopProfile] | None = None, default: str | None = None):
        self.shops = shops or {"default": ShopProfile()}
        self.default_key = default if default in self.shops else next(iter(self.shops))

    @classmethod
    def from_file(cls, path: Path | None) -> ShopDirectory:
        """The shops in ``path``; a file that is missing or wrong is a ``ConfigError`` saying where."""
        if path is None:
            return cls()
        where = f"店铺资料文件 {path}（SHOUHOU_SHOPS_FILE）"
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{where}不存在") from None
        except IsADirectoryError:
            raise ConfigError(f"{where}是一个目录，应为 YAML 文件") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{where}不是 UTF-8 编码") from None
        except OSError as e:
            raise ConfigError(f"{where}无法读取：{e.strerror or type(e).__name__}") from None
        try:
            raw = yaml.safe_load(text) or {}
        except yaml.YAMLError as e:
            found = yaml_problem(e, text, str(path))
            raise ConfigError(f"{where}第 {found.line} 行格式有误：{found.text}") from None
        try:
            data = ShopsFile.model_validate(raw)
        except ValidationError as e:
            problems = "；".join(f"{where or '文件'}：{message}" for where, message in field_errors(e, ShopsFile, hints=True)[:5])
            raise ConfigError(f"{where}内容有误：{problems}") from None
        if data.default is not None and data.shops and data.default not in data.shops:
            raise ConfigError(f"{where}：default 写的 {data.default} 不在 shops 里")
        return cls(data.shops or None, data.default)

    @property
    def default(self) -> ShopProfile:
        return self.shops[self.default_key]

    def resolve(self, key: str | None = None, override: ShopProfile | None = None) -> ShopProfile:
        base = self.shops.get(key or self.default_key, self.default)
        return base.merged(override)
