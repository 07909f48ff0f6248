"""Named shop checks: the few decisions that need the shop's facts.

A rule file refers to one of these by name (``check: carrier``), like Vale's
``extends:``; the phrases and patterns stay in the rule file, and the messages
for each outcome live in the rule's ``params.messages``.  A check gets the hit
and returns a ``Verdict`` (keep it, perhaps with another severity or message) or
``None`` (the hit is fine for this shop).

Every check declares the parameters it takes as a pydantic model (``CarrierParams``,
``ShipTimeParams`` …, extra keys forbidden).  A rule's ``params`` are validated
against that model when the rule is parsed, so a typo (``severty:``), a wrong type
or an unknown ``{placeholder}`` in a message is reported with its line instead of
failing on the first text checked.

Cautious defaults when the shop profile lacks the fact (documented per check):

- ``carrier``: carriers unknown → ``params.unknown`` severity (warn) — check before promising;
- ``ship_time``: ship_within_hours unknown → a firm promise stays a warn, a
  "within N hours" statement passes;
- ``invoice``: company/categories unknown → the hit stays (changing the issuer or the
  category is the risk itself);
- ``seven_day_return``: unknown → treated as offering 7-day returns (the platform
  default for most goods), so a refusal is flagged.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.content.problems import regex_message
from app.guard.severity import Severity
from app.shop import ShopProfile
from app.text.lexicon import CourierLexicon, couriers

#: What a check may turn a hit into: a severity, or ``drop`` (no flag).
Outcome = Literal[Severity, "drop"]


def _placeholders(template: str) -> set[str]:
    """The ``{name}`` fields of a message template; raises ValueError on a broken one."""
    names = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name is not None:
            if not name.isidentifier():
                raise ValueError(f"占位符 {{{name}}} 写法不对（应为 {{名称}}）")
            names.add(name)
    return names


class CheckParams(BaseModel):
    """The parameters of a named check; each check has its own subclass."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Messages(CheckParams):
    """Messages per outcome; ``PLACEHOLDERS`` are the ``{names}`` a message may use."""

    PLACEHOLDERS: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*")
    @classmethod
    def _known_placeholders(cls, v: Any) -> Any:
        if isinstance(v, str):
            unknown = sorted(_placeholders(v) - cls.PLACEHOLDERS)
            if unknown:
                allowed = "、".join("{" + n + "}" for n in sorted(cls.PLACEHOLDERS)) or "无"
                raise ValueError(
                    f"消息里用了未知的占位符 {'、'.join('{' + n + '}' for n in unknown)}（可用：{allowed}）"
                )
        return v


class NoParams(CheckParams):
    """A check that takes no parameters."""


@dataclass(frozen=True, slots=True)
class Verdict:
    severity: str | None = None  # None: the rule's own severity
    message: str | None = None  # None: the rule's own message


@dataclass(frozen=True, slots=True)
class HitContext:
    text: str  # the hit in the normalised text
    groups: dict[str, str]  # named groups of the pattern that matched (empty for phrases)
    sentence: str  # the normalised sentence around the hit
    document: str  # the whole normalised text (without spaces)
    shop: ShopProfile | None
    params: CheckParams = NoParams()
    #: The content snapshot's couriers (None: the bundled ones).
    couriers: CourierLexicon | None = None

    def say(self, outcome: str, default: str | None = None, **values: Any) -> str | None:
        messages = getattr(self.params, "messages", None)
        template = getattr(messages, outcome, None) or default
        if template is None:
            return None
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            return template


Check = Callable[[HitContext], Verdict | None]
CHECKS: dict[str, Check] = {}
#: The parameter model of each named check.
CHECK_PARAMS: dict[str, type[CheckParams]] = {}


def check(name: str, params: type[CheckParams] = NoParams) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        CHECKS[name] = fn
        CHECK_PARAMS[name] = params
        return fn

    return register


def parse_params(name: str, data: Any) -> CheckParams:
    """``data`` (a rule's ``params``) as the parameter model of check ``name``.

    Raises pydantic's ``ValidationError`` (locations relative to ``params``), or
    ``KeyError`` for an unknown check.
    """
    return CHECK_PARAMS[name].model_validate({} if data is None else data)


# ------------------------------------------------------------------ parameters


class CarrierMessages(Messages):
    PLACEHOLDERS: ClassVar[frozenset[str]] = frozenset({"courier", "carriers"})

    in_shop: str | None = None
    not_in_shop: str | None = None
    unknown: str | None = None


class CarrierParams(CheckParams):
    """``carrier``: what each outcome becomes (a severity, or ``drop``)."""

    in_shop: Outcome = "drop"
    #: None: the rule's own severity
    not_in_shop: Outcome | None = None
    unknown: Outcome = "warn"
    messages: CarrierMessages = CarrierMessages()


class ShipTimeMessages(Messages):
    PLACEHOLDERS: ClassVar[frozenset[str]] = frozenset({"limit", "when"})

    late: str | None = None


class ShipTimeParams(CheckParams):
    """``ship_time``: the severity of a promise later than the shop's window, and how
    many hours from now a time word means at the latest (今天: 24, 明天: 48 …)."""

    late: Severity = "block"
    words: dict[Annotated[str, Field(min_length=1)], Annotated[float, Field(ge=0, le=24 * 366)]] = {}
    messages: ShipTimeMessages = ShipTimeMessages()


class InvoiceMessages(Messages):
    PLACEHOLDERS: ClassVar[frozenset[str]] = frozenset({"amount", "paid", "category", "company"})

    amount: str | None = None
    category: str | None = None
    company: str | None = None


class InvoiceParams(CheckParams):
    """``invoice``: ``paid`` finds the paid amount in the text (a regex whose first
    group is the amount)."""

    paid: str | None = None
    messages: InvoiceMessages = InvoiceMessages()

    @field_validator("paid")
    @classmethod
    def _paid_regex(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            compiled = re.compile(v)
        except re.error as e:
            message, hint = regex_message(e, v)
            raise ValueError(f"不是有效的正则表达式：{message}" + (f"（{hint}）" if hint else "")) from None
        if compiled.groups < 1:
            raise ValueError("正则表达式要有一个括号分组，用来取出金额")
        return v


def _canonical_courier(word: str, lexicon: CourierLexicon) -> str:
    return lexicon.canonical(word) or word


@check("carrier", CarrierParams)
def carrier(ctx: HitContext) -> Verdict | None:
    """A named courier against ``shop.carriers``.

    params: ``not_in_shop`` / ``unknown`` / ``in_shop`` severities (``drop`` = no flag);
    messages with ``{courier}`` and ``{carriers}``.
    """
    lexicon = ctx.couriers or couriers()
    found = lexicon.find(ctx.groups.get("courier") or ctx.text)
    if not found:
        return None
    named = found[-1].courier
    carriers = ctx.shop.carriers if ctx.shop else None
    if not carriers:
        outcome = "unknown"
    elif named in {_canonical_courier(c, lexicon) for c in carriers}:
        outcome = "in_shop"
    else:
        outcome = "not_in_shop"
    params = ctx.params if isinstance(ctx.params, CarrierParams) else CarrierParams()
    severity = getattr(params, outcome)
    if severity == "drop":
        return None
    shown = "、".join(carriers) if carriers else ""
    return Verdict(severity, ctx.say(outcome, None, courier=named, carriers=shown))


_CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def parse_number(text: str) -> float | None:
    """``10`` → 10, ``十五`` → 15, ``两`` → 2, ``半`` → 0.5; None when it is no number."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if text == "半":
        return 0.5
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return float(total + current)


_UNIT_HOURS = {
    "小时": 1,
    "个小时": 1,
    "天": 24,
    "日": 24,
    "个工作日": 24,
    "工作日": 24,
    "周": 168,
    "个星期": 168,
    "星期": 168,
    "礼拜": 168,
    "个礼拜": 168,
    "个月": 720,
    "月": 720,
}


def hours_of(when: str, words: dict[str, float]) -> float | None:
    """How many hours from now a time expression means at the latest, if it can be told.

    ``words`` maps words to hours (今天: 24, 明天: 48, 下周: 336 …, the rule's
    ``params.words``); amounts with a unit (10天后, 48小时内) are computed.
    """
    for word in sorted(words, key=len, reverse=True):  # 大后天 before 后天
        hours = words[word]
        if word in when:
            return float(hours)
    m = re.search(
        r"(\d+(?:\.\d+)?|[零一二两三四五六七八九十百半]+)\s*(个小时|小时|个工作日|工作日|天|日|个星期|星期|个礼拜|礼拜|周|个月|月)",
        when,
    )
    if m:
        n = parse_number(m.group(1))
        if n is not None:
            return n * _UNIT_HOURS[m.group(2)]
    return None


@check("ship_time", ShipTimeParams)
def ship_time(ctx: HitContext) -> Verdict | None:
    """A promised shipping time against ``shop.ship_within_hours``.

    Named groups in the pattern: ``when`` (a set time: 今天下午, 10天后) or
    ``within`` (a window: 48小时内), and ``firm`` (保证/一定).  A set time is the
    rule's severity, raised to ``params.late`` (block) when it is later than the
    shop's window; a window is flagged when it is longer than the shop's own, or
    when it is promised firmly.
    """
    limit = ctx.shop.ship_within_hours if ctx.shop else None
    within = ctx.groups.get("within")
    when = ctx.groups.get("when") or within or ctx.text
    params = ctx.params if isinstance(ctx.params, ShipTimeParams) else ShipTimeParams()
    hours = hours_of(when, params.words)
    late = limit is not None and hours is not None and hours > limit
    if late:
        return Verdict(params.late, ctx.say("late", None, limit=limit, when=when))
    if within and not ctx.groups.get("firm"):
        return None  # "72小时内发货" restates the policy; "保证2小时内发出" is a promise
    return Verdict()


def _in_list(word: str, items: list[str] | None) -> bool:
    if not word or not items:
        return False
    return any(word in item or item in word for item in items if item)


@check("invoice", InvoiceParams)
def invoice(ctx: HitContext) -> Verdict | None:
    """An invoice issuer (group ``company``) or category (group ``category``) against
    ``shop.invoice``; fine when it is the shop's own company or category.

    An invoice amount (group ``amount``) is compared with the paid amount that the
    text itself states (``params.paid``: a regex whose first group is the amount);
    when the text states none, the amount cannot be judged and passes.
    """
    inv = ctx.shop.invoice if ctx.shop else None
    company = ctx.groups.get("company")
    category = ctx.groups.get("category")
    amount = ctx.groups.get("amount")
    if amount is not None:
        paid_re = ctx.params.paid if isinstance(ctx.params, InvoiceParams) else None
        m = re.search(paid_re, ctx.document) if paid_re else None
        paid = parse_number(m.group(1)) if m else None
        asked = parse_number(amount)
        if paid is None or asked is None or abs(paid - asked) < 0.005:
            return None
        return Verdict(message=ctx.say("amount", None, amount=amount, paid=m.group(1)))
    if company and inv and inv.company and _in_list(company, [inv.company]):
        return None
    if category and inv and _in_list(category, inv.categories):
        return None
    if category:
        return Verdict(message=ctx.say("category", None, category=category))
    if company:
        return Verdict(message=ctx.say("company", None, company=company))
    return Verdict()


@check("seven_day_return")
def seven_day_return(ctx: HitContext) -> Verdict | None:
    """A refusal to take a return: fine when the shop does not offer 7-day returns;
    flagged when it does, or when that is unknown (the platform default)."""
    if ctx.shop is not None and ctx.shop.seven_day_return is False:
        return None
    return Verdict()
