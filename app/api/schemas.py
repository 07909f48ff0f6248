"""Request and response bodies of the public JSON API (see ../shared/spec/api.md)."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from app.rendering.language import MAX_INT_DIGITS
from app.shop import ShopProfile

MAX_MESSAGE = 2000
MAX_CONTEXT_KEYS = 30
MAX_CONTEXT_VALUE = 500
#: The largest version number or id a request may name: the store's columns are 32-bit
#: (PostgreSQL ``integer``), so anything larger is a 422 rather than a database error.
MAX_DB_INT = 2**31 - 1
#: Request bodies take JSON types as documented: ``0`` is not ``false``, ``"3"`` is not ``3``.
STRICT = ConfigDict(extra="ignore", strict=True)



def _context_number(v: str | int | float | None) -> str | int | float | None:
    # The renderer would treat such a number as missing; say so instead of silently showing 【订单号】.
    if isinstance(v, int) and abs(v) >= 10**MAX_INT_DIGITS:
        raise ValueError(f"数字最多 {MAX_INT_DIGITS} 位；订单号、运单号这类长号码请加引号作为文字发送")
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError("应为有限的数字（不能是 NaN 或无穷大）")
    return v


#: A template variable's value: text, a number (finite, at most MAX_INT_DIGITS digits) or null.
ContextValue = Annotated[str | int | float | None, AfterValidator(_context_number)]


def _trimmed(v: str, field: str) -> str:
    v = v.strip()
    if not v:
        raise ValueError("不能为空")
    if len(v) > MAX_MESSAGE:
        raise ValueError(f"不能超过 {MAX_MESSAGE} 个字符（当前 {len(v)}）")
    return v


class SuggestRequest(BaseModel):
    model_config = STRICT

    message: str = Field(description="买家消息，去掉首尾空白后 1–2000 字", examples=["亲 颜色和图片差好多啊，而且还少发了一双"])
    context: dict[str, ContextValue] = Field(default_factory=dict, description="模板变量：buyer_name、order_id、item_name…")
    shop: ShopProfile | None = Field(None, description="本次请求使用的店铺资料，覆盖服务器配置")
    shop_key: str | None = Field(None, max_length=64, description="服务器已配置的店铺之一")
    top_k: int = Field(3, ge=1, le=10, description="最多返回几条建议回复")
    explain: bool = Field(False, description="为每个意图附上命中的例句或关键词")

    @field_validator("message")
    @classmethod
    def _message(cls, v: str) -> str:
        return _trimmed(v, "message")

    @field_validator("context")
    @classmethod
    def _context(cls, v: dict[str, ContextValue]) -> dict[str, ContextValue]:
        if len(v) > MAX_CONTEXT_KEYS:
            raise ValueError(f"最多 {MAX_CONTEXT_KEYS} 个变量")
        for k, val in v.items():
            if len(k) > 64:
                raise ValueError("变量名不能超过 64 个字符")
            if isinstance(val, str) and len(val) > MAX_CONTEXT_VALUE:
                raise ValueError(f"变量 {k} 不能超过 {MAX_CONTEXT_VALUE} 个字符")
        return v


class CheckRequest(BaseModel):
    model_config = STRICT

    text: str = Field(description="客服准备发送的回复，1–2000 字", examples=["可以的亲，给您发韵达，保证后天到"])
    shop: ShopProfile | None = None
    shop_key: str | None = Field(None, max_length=64)

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("不能为空")
        if len(v) > MAX_MESSAGE:
            raise ValueError(f"不能超过 {MAX_MESSAGE} 个字符（当前 {len(v)}）")
        return v  # not trimmed: offsets point into the text as sent


class EvidenceOut(BaseModel):
    kind: Literal["example", "keyword", "fuzzy"]
    text: str
    similarity: float
    clause: str


class IntentOut(BaseModel):
    id: str
    label: str
    score: float
    evidence: list[EvidenceOut] | None = None


class FlagOut(BaseModel):
    rule: str
    severity: Literal["block", "warn", "info"]
    start: int
    end: int
    excerpt: str
    message: str
    suggestion: str | None = None


class SuggestionOut(BaseModel):
    template_id: str
    intent: str
    title: str
    text: str
    missing_vars: list[str]
    flags: list[FlagOut]


class AlertOut(BaseModel):
    rule: str
    severity: Literal["block", "warn", "info"]
    message: str


class EntityOut(BaseModel):
    kind: str
    value: str
    start: int
    end: int


class SuggestResponse(BaseModel):
    intents: list[IntentOut]
    suggestions: list[SuggestionOut]
    alerts: list[AlertOut]
    entities: list[EntityOut]
    no_match: bool = Field(description="true 表示没有把握匹配到任何售后意图（不是错误）")
    note: str | None = None


class CheckResponse(BaseModel):
    flags: list[FlagOut]
