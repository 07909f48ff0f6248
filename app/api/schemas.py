"""Request and response bodies of the public JSON API (see ../shared/spec/api.md)."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from app.guard.severity import Severity
from app.rendering.language import MAX_INT_DIGITS
from app.shop import ShopProfile

MAX_MESSAGE = 2000
#: A conversation: at most this many turns and characters in all (api.md, Conversations).
MAX_TURNS = 100
MAX_CONVERSATION_CHARS = 20_000
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


def _context(v: dict[str, ContextValue]) -> dict[str, ContextValue]:
    if len(v) > MAX_CONTEXT_KEYS:
        raise ValueError(f"最多 {MAX_CONTEXT_KEYS} 个变量")
    for k, val in v.items():
        if len(k) > 64:
            raise ValueError("变量名不能超过 64 个字符")
        if isinstance(val, str) and len(val) > MAX_CONTEXT_VALUE:
            raise ValueError(f"变量 {k} 不能超过 {MAX_CONTEXT_VALUE} 个字符")
    return v


#: Template variables sent with a request: at most MAX_CONTEXT_KEYS, each value capped.
Context = Annotated[dict[str, ContextValue], AfterValidator(_context)]


def _trimmed(v: str, field: str) -> str:
    v = v.strip()
    if not v:
        raise ValueError("不能为空")
    if len(v) > MAX_MESSAGE:
        raise ValueError(f"不能超过 {MAX_MESSAGE} 个字符（当前 {len(v)}）")
    return v


class TurnIn(BaseModel):
    model_config = STRICT

    role: Literal["buyer", "agent"] = Field(description="buyer（买家）或 agent（客服）")
    text: str = Field(description="这一句的内容", max_length=MAX_MESSAGE)
    name: str | None = Field(None, max_length=64, description="昵称")
    at: str | None = Field(None, max_length=40, description="时间（ISO 8601）")

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("不能为空")
        return v  # not trimmed: promise offsets point into the turn as sent


def _conversation(v: list[TurnIn] | None) -> list[TurnIn] | None:
    if v is None:
        return v
    if not v:
        raise ValueError("至少要有一句")
    if len(v) > MAX_TURNS:
        raise ValueError(f"最多 {MAX_TURNS} 句（当前 {len(v)}）")
    total = sum(len(t.text) for t in v)
    if total > MAX_CONVERSATION_CHARS:
        raise ValueError(f"所有句子合计不能超过 {MAX_CONVERSATION_CHARS} 个字符（当前 {total}）")
    return v


#: Oldest turn first; at most 100 turns and 20,000 characters in all.
Conversation = Annotated[list[TurnIn] | None, AfterValidator(_conversation)]


class SuggestRequest(BaseModel):
    model_config = STRICT

    # ``conversation`` is validated first: whether ``message`` may be left out depends on it.
    conversation: Conversation = Field(None, description="整段会话，最早的一句在前；回答最后一句客服回复之后的买家消息")
    message: str | None = Field(
        None,
        description="买家消息，去掉首尾空白后 1–2000 字（有 conversation 时可省略）",
        examples=["亲 颜色和图片差好多啊，而且还少发了一双"],
        validate_default=True,
    )
    context: Context = Field(default_factory=dict, description="模板变量：buyer_name、order_id、item_name…")
    shop: ShopProfile | None = Field(None, description="本次请求使用的店铺资料，覆盖服务器配置")
    shop_key: str | None = Field(None, max_length=64, description="服务器已配置的店铺之一")
    top_k: int = Field(3, ge=1, le=10, description="最多返回几条建议回复")
    explain: bool = Field(False, description="为每个意图附上命中的例句或关键词")

    @field_validator("message")
    @classmethod
    def _message(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is not None:
            return _trimmed(v, "message")
        if "conversation" not in info.data:
            return None  # the conversation itself is wrong: that is the error to report
        conversation = info.data["conversation"]
        if conversation is None:
            raise ValueError("缺少买家消息：message 和 conversation 至少要有一个")
        if conversation[-1].role != "buyer":
            raise ValueError("会话的最后一句是客服回复：请给出要回答的买家消息")
        return None


class CheckRequest(BaseModel):
    model_config = STRICT

    text: str = Field(description="客服准备发送的回复，1–2000 字", examples=["可以的亲，给您发韵达，保证后天到"])
    conversation: Conversation = Field(None, description="此前的会话：草稿与之前的承诺矛盾时提示 broken_promise")
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
    severity: Severity
    start: int
    end: int
    excerpt: str
    message: str
    suggestion: str | None = None
    turn: int | None = Field(None, description="broken_promise：与之矛盾的那一句（conversation 中的序号，从 0 起）")


class SuggestionOut(BaseModel):
    template_id: str
    intent: str
    title: str
    text: str
    missing_vars: list[str]
    flags: list[FlagOut]
    suggestion_id: str | None = Field(None, description="这条建议的编号：用 POST /v1/feedback 报告复制、发送或忽略")


class AlertOut(BaseModel):
    rule: str
    severity: Severity
    message: str


class EntityOut(BaseModel):
    kind: str
    value: str
    start: int
    end: int


class PromiseOut(BaseModel):
    turn: int = Field(description="第几句（conversation 中的序号，从 0 起）")
    kind: Literal["carrier", "ship_time", "delivery", "resend", "refund", "compensation", "gift", "invoice", "other"]
    text: str
    start: int = Field(description="在那一句里的起点")
    end: int
    rule: str | None = Field(None, description="会提示这句承诺的规则（没有风险时为 null）")
    value: str | None = Field(None, description="承诺的内容，例如 韵达、今天、5元")
    note: str | None = Field(None, description="写进订单备注的说法，例如 发韵达、今天发货")


class MissingOut(BaseModel):
    name: str
    label: str


class CombinedOut(BaseModel):
    text: str
    template_ids: list[str]
    missing_vars: list[str]
    flags: list[FlagOut]
    suggestion_id: str | None = Field(None, description="合并回复的编号（反馈用）")


class SuggestResponse(BaseModel):
    intents: list[IntentOut]
    suggestions: list[SuggestionOut]
    alerts: list[AlertOut]
    entities: list[EntityOut]
    no_match: bool = Field(description="true 表示没有把握匹配到任何售后意图（不是错误）")
    note: str | None = None
    variables: dict[str, str] = Field(description="已知的模板变量：请求的 context、会话、店铺资料")
    missing: list[MissingOut] = Field(description="建议回复里还缺的变量（请补全后再发）")
    combined: CombinedOut | None = Field(None, description="几个问题合成一条回复（一个称呼、每个问题一段、一个结尾）")
    answering: list[int] | None = Field(None, description="有 conversation 时：回答的是哪几句买家消息")
    promises: list[PromiseOut] | None = Field(None, description="有 conversation 时：客服在会话里做过的承诺（要写进订单备注）")
    order_note: str | None = Field(None, description="可直接粘贴到订单备注的承诺摘要")


class CheckResponse(BaseModel):
    flags: list[FlagOut]
    promises: list[PromiseOut] | None = None
    order_note: str | None = None


class ParseRequest(BaseModel):
    model_config = STRICT

    text: str = Field(description="从千牛、旺旺或京麦复制的聊天记录", max_length=MAX_CONVERSATION_CHARS)
    shop_key: str | None = Field(None, max_length=64, description="店铺：带店铺名前缀的昵称认作客服")
    agent_names: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=20, description="客服的昵称（这些人说的话认作客服回复）"
    )

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("不能为空")
        return v


class TurnOut(BaseModel):
    role: Literal["buyer", "agent"]
    name: str | None = None
    at: str | None = None
    text: str


class ParseResponse(BaseModel):
    turns: list[TurnOut] = Field(description="最多最近的 100 句")
    dropped: int = Field(0, description="超出上限而没有列出的较早的句数")
    context: dict[str, str] = Field(
        default_factory=dict, description="整段聊天（包括没列出的较早的句子）里的订单号、运单号、快递、买家昵称"
    )


class ShopOut(BaseModel):
    key: str
    default: bool
    profile: ShopProfile


class ShopsResponse(BaseModel):
    shops: list[ShopOut]
