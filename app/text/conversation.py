"""Conversations: a chat pasted from 千牛, 旺旺, 京麦 or 咚咚 split into buyer and agent turns,
and what the turns tell the templates (order and tracking numbers, courier, buyer nickname).

A paste is read line by line.  A *header* line starts a new turn: a nickname with a time
(``昵称 2026-11-30 14:02:11``, ``昵称(2026-11-30 14:02:11):``, ``14:02:11 昵称``, or
``某某旗舰店:小美 14:02:11 在的亲`` with the text on the same line), or, in a transcript
without times, a speaker and a colon (``买家：…``, ``客服小美：…``).  The lines after a
header, up to the next one, are that message (several lines make one turn).  A time
without a date needs its seconds (``14:02:11``): a buyer's "明天 14:30" is text, not a header.

Dropped: system lines (以上为历史消息, 以下为新消息, 系统消息, 已读/未读, 转接, 买家已下线,
撤回, 会话结束…), dates on their own line (they date the turns after them) and blank lines.
Kept as text: order and goods cards (``[订单] 订单号：…``, ``[商品链接]``) and placeholders
such as ``[图片]``: a card carries the order number, a placeholder tells that a picture came.

Roles: a nickname with a shop prefix (``某某旗舰店:小美``, ``某某旗舰店-小美``), one of
``agent_names``, one containing ``shop_name``, a shop's own name (…旗舰店) or an explicit
客服/商家 marker (``客服小美``, ``[商家]``) is the agent; an explicit 买家/顾客 the buyer;
otherwise the first other speaker is the buyer and any further unknown speaker an agent
(a colleague the chat was handed to).  Text before the first header is a buyer turn, and a
paste without any header is one buyer turn.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from app.text.entities import Entity, extract
from app.text.lexicon import CourierLexicon, couriers
from app.text.normalize import normalize

MAX_TURNS = 100
MAX_CONVERSATION_CHARS = 20000
MAX_PASTE = 20000

Role = Literal["buyer", "agent"]


@dataclass(frozen=True)
class Turn:
    role: Role
    text: str
    name: str | None = None
    at: str | None = None  # ISO 8601: 2026-11-30T14:02:11, or 14:02:11 when no date is known

    def as_dict(self) -> dict:
        return {"role": self.role, "name": self.name, "at": self.at, "text": self.text}


class PasteTooLong(ValueError):
    """A paste longer than ``MAX_PASTE`` characters."""

    def __init__(self, length: int):
        super().__init__(f"粘贴的聊天记录有 {length} 个字符，超过上限 {MAX_PASTE}，请只粘贴最近的部分")
        self.length = length


# --- reading one line ------------------------------------------------------------------

# Full-width forms of the characters headers are made of, one character for one, so that
# a match on the folded line cuts the original line at the same places.
_FOLD = str.maketrans(
    "０１２３４５６７８９：（）［］－／．\u3000",
    "0123456789:()[]-/. ",
)

_DATE = r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{4}年\d{1,2}月\d{1,2}日|\d{1,2}[-/]\d{1,2}|\d{1,2}月\d{1,2}日"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?"
_DATETIME = rf"(?:(?P<date>{_DATE})(?:\s+|(?<=日)))?(?P<time>{_TIME})"
_MARK = r"[\[【](?:商家|客服|卖家|店家|官方|买家|顾客|客户)[\]】]"
_NAME = r"[^\s()\[\]【】]{1,40}"
_SPEAKER = rf"(?P<name>{_MARK}\s*(?:{_NAME})?|{_NAME}(?:\s*{_MARK})?)"

_HEADERS = [
    # 旺旺: 昵称(2026-11-30 14:02:11):  [text]
    re.compile(rf"{_SPEAKER}\s*\({_DATETIME}\)\s*:?\s*(?P<text>.*)"),
    # 2026-11-30 14:02:11 昵称   /   14:02:11 昵称
    re.compile(rf"{_DATETIME}\s+{_SPEAKER}\s*:?"),
    # 昵称 2026-11-30 14:02:11   /   某某旗舰店:小美 14:02:11 在的亲
    re.compile(rf"{_SPEAKER}\s+{_DATETIME}(?:\s*:?\s+(?P<text>.+))?"),
]
# 买家：在吗 / 某某旗舰店：小美：在的亲 (transcripts without times)
_COLON_HEADERS = [
    re.compile(
        rf"(?P<name>(?:{_MARK}\s*)?[^\s:()\[\]【】]{{1,30}}:[^\s:()\[\]【】]{{1,20}})\s*:\s*(?P<text>.*)"
    ),
    re.compile(rf"(?P<name>(?:{_MARK}\s*)?[^\s:()\[\]【】]{{1,30}})\s*:\s*(?P<text>.*)"),
]

_DATE_LINE = re.compile(
    r"(?:今天|昨天|前天)?\s*(?P<date>\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{4}年\d{1,2}月\d{1,2}日|\d{1,2}月\d{1,2}日)"
    r"\s*(?:(?:星期|周)[一二三四五六日天])?\s*(?:今天|昨天|前天)?"
)
_DECORATION = " \t-—–=_·~*.…<>《》「」"
_SYSTEM = re.compile(
    r"以[上下](?:为|是)?(?:历史|新|最新|更早的?)?(?:消息|聊天记录)"
    r"|(?:查看|加载)?更多(?:历史)?消息|历史消息|新消息"
    r"|[\[【(]?系统(?:消息|提示|通知)[\]】)]?.*"
    r"|(?:对方|买家|顾客)?[已未]读"
    r"|.{0,30}(?:将会话|把会话|会话已|会话被|已将会话|对话已)(?:被)?.{0,20}转接.{0,30}"
    r"|.{0,20}(?:已|成功)(?:将?(?:您|买家|顾客|会话))?转接(?:给|至|到)了?.{0,20}"
    r"|转接(?:成功|失败|中)"
    r"|(?:买家|对方|顾客|用户)(?:已经?)?(?:下线|离线|离开|退出|上线)(?:了)?(?:会话)?"
    r"|(?:(?:本次|当前|该)(?:会话|对话|咨询)|会话|对话)(?:已经?)?(?:结束|关闭|超时|被关闭)(?:[，,。!！].{0,30})?"
    r"|.{0,20}撤回了一条消息|消息已撤回"
    r"|(?:买家|对方)正在输入.*"
    r"|.{0,20}(?:加入|进入|接入)了?(?:会话|对话)"
    r"|(?:与|和).{1,40}的聊天记录|聊天记录"
)
_READ_MARK = re.compile(r"(?:\s|[\[(【])(?:对方)?[已未]读[\])】]?$")  # 在的亲 已读
_NOT_A_NAME = re.compile(r"[\d\-/.:年月日]+|[a-zA-Z]{0,4}\d{8,}|.*[，。？！,?!、；;~～]+.*")

_AGENT_WORDS = ("官方客服", "客服", "商家", "卖家", "店家", "掌柜", "店主", "售后", "店小二")
_BUYER_WORDS = ("买家", "顾客", "客户")
_SHOP_SUFFIX = re.compile(r"(?:旗舰店|专营店|专卖店|官方店|企业店|工厂店|自营店|直营店|品牌店|小店|店铺|专柜)$")
_PREFIX_SEP = re.compile(r"[:\-—–]")


@dataclass
class _Header:
    name: str | None  # as shown, markers removed; None for a bare 买家/客服
    role: Role | None  # explicit, or None when the nickname alone cannot tell
    at: str | None
    text: str  # what followed on the same line
    date: tuple[int | None, int, int] | None = None


@dataclass
class _Block:
    header: _Header | None
    lines: list[str] = field(default_factory=list)


def _parse_date(s: str) -> tuple[int | None, int, int] | None:
    nums = [int(x) for x in re.findall(r"\d+", s)]
    if len(nums) == 3:
        y, m, d = nums
    elif len(nums) == 2:
        y, (m, d) = None, nums
    else:
        return None
    try:
        date(y or 2000, m, d)  # 2000 is a leap year: 2月29日 without a year is a date
    except ValueError:
        return None
    return y, m, d


def _iso(day: tuple[int | None, int, int] | None, time: str) -> str | None:
    parts = [int(x) for x in time.split(":")]
    if len(parts) == 2:
        parts.append(0)
    h, mi, s = parts
    if h > 23 or mi > 59 or s > 59:
        return None
    clock = f"{h:02d}:{mi:02d}:{s:02d}"
    if day and day[0]:
        return f"{day[0]:04d}-{day[1]:02d}-{day[2]:02d}T{clock}"
    return clock


def _clean_name(raw: str) -> tuple[str | None, Role | None]:
    """The nickname without its bracket marker, and the role the marker or the name states."""
    role: Role | None = None
    mark = re.search(_MARK, raw)
    if mark:
        word = mark.group()[1:-1]
        role = "buyer" if word in _BUYER_WORDS else "agent"
        raw = (raw[: mark.start()] + raw[mark.end() :]).strip()
    name = raw.strip() or None
    if name and role is None:
        if name.startswith(_AGENT_WORDS):
            role = "agent"
        elif name.startswith(_BUYER_WORDS):
            role = "buyer"
    if name in _AGENT_WORDS or name in _BUYER_WORDS:
        name = None
    return name, role


def _header(line: str, folded: str, day, colon_names: set[str] | None) -> _Header | None:
    for pattern in _HEADERS:
        m = pattern.fullmatch(folded)
        if not m:
            continue
        raw_name = m.group("name")
        if _NOT_A_NAME.fullmatch(re.sub(_MARK, "", raw_name).strip() or "x"):
            continue
        d = m.group("date")
        own_day = _parse_date(d) if d else None
        if d and own_day is None:
            continue
        time = m.group("time")
        if own_day is None and time.count(":") < 2:
            continue  # "明天 14:30" is something a buyer types; IM headers carry seconds
        if own_day and own_day[0] is None and day and day[0]:
            own_day = (day[0], own_day[1], own_day[2])
        at = _iso(own_day or day, time)
        if at is None:
            continue
        name, role = _clean_name(line[m.start("name") : m.end("name")])
        text = line[m.start("text") :].strip() if "text" in m.groupdict() and m.group("text") else ""
        return _Header(name, role, at, text, own_day)
    for pattern in _COLON_HEADERS if colon_names else ():
        m = pattern.fullmatch(folded)
        if m and m.group("name") in colon_names:
            name, role = _clean_name(line[m.start("name") : m.end("name")])
            return _Header(name, role, None, line[m.start("text") :].strip())
    return None


def _is_system(folded: str) -> bool:
    core = folded.strip(_DECORATION)
    return bool(core) and _SYSTEM.fullmatch(core) is not None


def _date_line(folded: str):
    m = _DATE_LINE.fullmatch(folded.strip(_DECORATION))
    return _parse_date(m.group("date")) if m else None


# --- roles -----------------------------------------------------------------------------


def _key(name: str) -> str:
    return name.translate(_FOLD).casefold()


def _looks_like_agent(name: str, agents: set[str], shop: str | None) -> bool:
    key = _key(name)
    if shop and shop in key:
        return True
    if _SHOP_SUFFIX.search(key):
        return True
    sep = _PREFIX_SEP.search(key)
    if sep and 0 < sep.start() < len(key) - 1:
        prefix, sub = key[: sep.start()], key[sep.end() :]
        # 某某旗舰店:小美 is a sub-account of a shop; a dash only with a shop-like prefix
        if key[sep.start()] == ":" or _SHOP_SUFFIX.search(prefix) or (shop and shop in prefix):
            return True
        if sub in agents:
            return True
    stripped = key
    for word in _AGENT_WORDS:
        if stripped.startswith(word):
            stripped = stripped[len(word) :]
            break
    return key in agents or stripped in agents


def _roles(blocks: list[_Block], agents: set[str], shop: str | None) -> list[Role]:
    known: dict[str, Role] = {}
    for b in blocks:
        h = b.header
        if h and h.name and h.name not in known:
            if h.role:
                known[h.name] = h.role
            elif _looks_like_agent(h.name, agents, shop):
                known[h.name] = "agent"
    has_buyer = any(r == "buyer" for r in known.values())
    roles: list[Role] = []
    for b in blocks:
        h = b.header
        if h is None:
            roles.append("buyer")
            continue
        if h.role:
            roles.append(h.role)
            continue
        if h.name is None:
            roles.append("buyer")
            continue
        if h.name not in known:
            known[h.name] = "agent" if has_buyer else "buyer"
            has_buyer = True
        roles.append(known[h.name])
    return roles


# --- the parser ------------------------------------------------------------------------


def _colon_names(lines: list[str], agents: set[str], shop: str | None) -> set[str]:
    """Speakers of a transcript without times: ``名字：…`` at the start of lines.

    A role word, a known agent or a shop-prefixed name always counts; any other name only
    when it starts two lines or more and someone else speaks too (not a buyer's "注意：").
    """
    counts: Counter[str] = Counter()
    for folded in lines:
        for pattern in _COLON_HEADERS:  # 某某旗舰店:小美: and 某某旗舰店: both count
            if m := pattern.fullmatch(folded):
                counts[m.group("name")] += 1
    speakers = {n for n in counts if ":" not in n}
    accepted = set()
    for name in counts:
        clean, role = _clean_name(name)
        if ":" in name:
            # 某某旗舰店:小美 is a sub-account after a shop's name, or when the prefix never
            # speaks alone; 小王：注意：… is 小王 saying "注意：…".
            prefix = _key(name.split(":")[0])
            shop_like = _SHOP_SUFFIX.search(prefix) or (shop and shop in prefix)
            if shop_like or counts[name] >= 2 and counts[name.split(":")[0]] == counts[name]:
                accepted.add(name)
        elif role or clean is None or _looks_like_agent(name, agents, shop):
            accepted.add(name)
        elif counts[name] >= 2 and len(speakers) >= 2 and not _NOT_A_NAME.fullmatch(name):
            accepted.add(name)
    return accepted


def parse_chat(
    pasted: str, agent_names: Iterable[str] = (), shop_name: str | None = None
) -> list[Turn]:
    """The turns of a pasted chat, oldest first (see the module docstring for the formats).

    Raises ``PasteTooLong`` for a paste over ``MAX_PASTE`` characters.
    """
    if len(pasted) > MAX_PASTE:
        raise PasteTooLong(len(pasted))
    agents = {_key(a).strip() for a in agent_names if a and a.strip()}
    shop = _key(shop_name).strip() if shop_name and shop_name.strip() else None

    lines: list[tuple[str, str]] = []  # (line, folded): no blank or system lines
    for raw in pasted.splitlines():
        line = raw.strip()
        folded = line.translate(_FOLD)
        if not line or _is_system(folded):
            continue
        if folded[-4:].rstrip("])】").endswith(("已读", "未读")) and (m := _READ_MARK.search(folded)):
            line, folded = line[: m.start()].rstrip(), folded[: m.start()].rstrip()
        lines.append((line, folded))

    # A paste with timed headers is an IM copy: there "备注：…" in a message is text.
    starts = [_header(line, folded, None, None) for line, folded in lines]
    colon_names = None if any(starts) else _colon_names([f for _, f in lines], agents, shop)
    if colon_names:
        starts = [_header(line, folded, None, colon_names) for line, folded in lines]
    dates = [None if starts[i] else _date_line(f) for i, (_, f) in enumerate(lines)]

    def separates(i: int) -> bool:
        """A date on its own line before a header dates the turns after it; a buyer's answer
        ("11月28日") is text: it is followed by text, or by a header of another day."""
        j = i + 1
        while j < len(lines) and dates[j] is not None:
            j += 1
        nxt = starts[j] if j < len(lines) else None
        return nxt is not None and (nxt.date is None or nxt.date[1:] == dates[i][1:])

    day = None
    blocks: list[_Block] = []
    for i, (line, folded) in enumerate(lines):
        if (d := dates[i]) is not None and separates(i):
            if d[0] is None and day and day[0]:
                d = (day[0], d[1], d[2])
            day = d
            continue
        header = _header(line, folded, day, colon_names) if starts[i] else None
        if header:
            if header.date:
                day = header.date
            blocks.append(_Block(header, [header.text] if header.text else []))
        elif blocks:
            blocks[-1].lines.append(line)
        else:
            blocks.append(_Block(None, [line]))

    roles = _roles(blocks, agents, shop)
    turns = []
    for block, role in zip(blocks, roles, strict=True):
        text = "\n".join(block.lines).strip()
        if not text:
            continue  # a header whose message was only a system line or nothing
        h = block.header
        turns.append(Turn(role, text, h.name if h else None, h.at if h else None))
    return turns


def within_limits(turns: Sequence[Turn]) -> tuple[list[Turn], int]:
    """The newest turns that fit ``MAX_TURNS`` and ``MAX_CONVERSATION_CHARS``, and how many
    older turns were left out (to say so; take ``conversation_context`` from all of them)."""
    kept: list[Turn] = []
    chars = 0
    for turn in reversed(turns):
        if len(kept) == MAX_TURNS or chars + len(turn.text) > MAX_CONVERSATION_CHARS:
            break
        kept.append(turn)
        chars += len(turn.text)
    kept.reverse()
    return kept, len(turns) - len(kept)


# --- what the conversation tells the templates ----------------------------------------

# A courier the speaker turns down is not the one the parcel goes with:
# "别发极兔", "申通到不了我这".
_DECLINED_BEFORE = re.compile(
    r"(?:别|不要|不用|不想|不能|不发|发不了|不走|不支持|除了|换掉|不喜欢)"
    r"(?:给我|给您|帮我|帮您)?(?:发|用|走|寄)?$"
)
_DECLINED_AFTER = re.compile(
    r"^(?:快递)?(?:到不了|不到|送不到|不送|不行|太慢|很慢|不能到|没有网点|不给力|不派送|不配送|不要)"
)
def _declined(text: str, start: int, end: int) -> bool:
    before = normalize(text[max(0, start - 6) : start]).text
    after = normalize(text[end : end + 8]).text
    return bool(_DECLINED_BEFORE.search(before) or _DECLINED_AFTER.search(after))


def _add_mentions(
    ctx: dict[str, str], text: str, entities: Iterable[Entity], lexicon: CourierLexicon | None = None
) -> None:
    for e in entities:
        if e.kind in ("order_id", "tracking_no"):
            ctx[e.kind] = e.value
            if e.kind == "tracking_no" and (courier := (lexicon or couriers()).of_tracking_number(e.value)):
                ctx["courier"] = courier
        elif e.kind == "courier" and not _declined(text, e.start, e.end):
            ctx["courier"] = e.value


def message_context(text: str, entities: Iterable[Entity], lexicon: CourierLexicon | None = None) -> dict[str, str]:
    """What one message gives (``conversation_context`` of a single buyer turn), from the
    entities already extracted from it.  ``lexicon``: the content snapshot's couriers."""
    ctx: dict[str, str] = {}
    _add_mentions(ctx, text, entities, lexicon)
    return ctx


def conversation_context(turns: Sequence[Turn], lexicon: CourierLexicon | None = None) -> dict[str, str]:
    """Template variables the conversation gives: ``order_id``, ``tracking_no``, ``courier``,
    ``buyer_name``; only those it gives.

    Every turn counts (agents repeat the order number); the newest mention wins.  A tracking
    number with a courier prefix (SF…) names the courier too; a courier the speaker turns
    down ("申通到不了我这") does not.
    """
    ctx: dict[str, str] = {}
    for turn in turns:
        _add_mentions(ctx, turn.text, extract(turn.text, lexicon), lexicon)
    for turn in reversed(turns):
        if turn.role == "buyer" and turn.name:
            name = turn.name
            for word in _BUYER_WORDS:
                if name.startswith(word) and len(name) > len(word):
                    name = name[len(word) :]
                    break
            ctx["buyer_name"] = name
            break
    return ctx


def newest_buyer_turns(turns: Sequence[Turn]) -> list[int]:
    """Indexes of the buyer turns after the last agent turn: what a suggestion answers."""
    out: list[int] = []
    for i in range(len(turns) - 1, -1, -1):
        if turns[i].role == "agent":
            break
        out.append(i)
    out.reverse()
    return out
