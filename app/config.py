"""Server settings (environment variables ``SHOUHOU_*`` or a ``.env`` file) and shop profiles.

Every setting has a safe default so that ``shouhou serve`` works on a fresh
clone: the bundled content, an SQLite file under ``data/``, localhost only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from app import PROJECT_ROOT
from app.shop import ShopProfile


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOUHOU_", env_file=".env", extra="ignore")

    content_dir: Path = Field(PROJECT_ROOT, description="存放 intents/、templates/、rules/、lexicon/ 的目录")
    database_url: str = Field(
        f"sqlite:///{PROJECT_ROOT / 'data' / 'shouhou.db'}",
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

    @property
    def intents_dir(self) -> Path:
        return self.content_dir / "intents"

    @property
    def templates_dir(self) -> Path:
        return self.content_dir / "templates" / "replies"

    @property
    def rules_dir(self) -> Path:
        return self.content_dir / "rules"


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
        if path is None:
            return cls()
        try:
            data = ShopsFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        except (OSError, yaml.YAMLError, ValidationError) as e:
            raise SystemExit(f"店铺资料文件 {path} 无法读取：{e}") from None
        return cls(data.shops or None, data.default)

    @property
    def default(self) -> ShopProfile:
        return self.shops[self.default_key]

    def resolve(self, key: str | None = None, override: ShopProfile | None = None) -> ShopProfile:
        base = self.shops.get(key or self.default_key, self.default)
        return base.merged(override)
