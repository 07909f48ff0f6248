"""Simple entity extraction from a buyer message: couriers, sizes, amounts, order and
tracking numbers, phone numbers.

Spans point into the message as it was sent.  Phone numbers are personal data: the
event store masks what this finds before it keeps a message (``app.store.events.mask_personal``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from app.text.lexicon import CourierLexicon, couriers
from app.text.normalize import Normalized, normalize

# On normalised text: digits are ASCII, letters lower case.
#: A mainland mobile number (138 1234 5678, +86-138-1234-5678): the one definition; the
#: guard's rules use it as the fragment ``{phone}``, the event store masks what it finds.
PHONE_PATTERN = r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)"
_PHONE = re.compile(PHONE_PATTERN)
_ORDER = re.compile(r"(?<![\d.])\d{15,20}(?!\d)")
_TRACKING = re.compile(r"(?<![a-z0-9])(?:sf|yt|jt|zto|sto|yd|jd[a-z]?|dpk|ems|e)\d{9,15}(?![0-9])")
_AMOUNT = re.compile(r"(?<![\d.])(\d{1,7}(?:\.\d{1,2})?)\s*(?:元|块钱|块|rmb|¥)|[¥￥]\s*(\d{1,7}(?:\.\d{1,2})?)")
# A number right after its label is what the label says, even when it is short (订单号
# 3312456789) or has no known courier prefix (快递单号 7712345678901).  单号 alone is an
# order number; after 运/快递/物流/退货 it is a tracking number.
_LABELLED_TRACKING = re.compile(
    r"(?:运单|快递单|快递|物流单|物流|退货单|退货运单|寄回单)(?:号码|号|编号)\s*(?:是|为)?\s*:?\s*"
    r"([a-z]{0,4}\d{8,20})(?![a-z0-9])"
)
_LABELLED_ORDER = re.compile(
    r"(?<![运递流货回])(?:订单编号|订单号码|订单号|单号|订单)\s*(?:是|为)?\s*:?\s*(\d{8,20})(?!\d)(?!\.\d)"
)
_SIZE = re.compile(
    r"(?<![\d.])(\d{2}(?:\.5)?)\s*(?:码|号)"
    r"|(?<![a-z0-9])([2-5]?x{0,3}l|xs|[sml])(?:码|号)"
    r"|(?<![a-z0-9])(x{1,3}l|xs|[2-5]xl)(?![a-z0-9])"
)


@dataclass(frozen=True, slots=True)
class Entity:
    kind: str  # courier | size | amount | order_id | tracking_no | phone
    value: str
    start: int
    end: int

    def as_dict(self) -> dict:
        return asdict(self)


def _entity(n: Normalized, kind: str, value: str, start: int, end: int) -> Entity:
    a, b = n.span(start, end)
    return Entity(kind, value, a, b)


def extract(message: str | Normalized, lexicon: CourierLexicon | None = None) -> list[Entity]:
    """Entities in ``message``, in order of appearance."""
    n = message if isinstance(message, Normalized) else normalize(message)
    t = n.text
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    for m in _LABELLED_TRACKING.finditer(t):
        taken.append(m.span(1))
        found.append(_entity(n, "tracking_no", m.group(1).upper(), *m.span(1)))
    for m in _LABELLED_ORDER.finditer(t):
        if free(*m.span(1)):
            taken.append(m.span(1))
            found.append(_entity(n, "order_id", m.group(1), *m.span(1)))
    for m in _PHONE.finditer(t):
        if not free(*m.span()):
            continue
        taken.append(m.span())
        found.append(_entity(n, "phone", re.sub(r"\D", "", m.group())[-11:], *m.span()))
    for m in _TRACKING.finditer(t):
        if free(*m.span()):
            taken.append(m.span())
            found.append(_entity(n, "tracking_no", m.group().upper(), *m.span()))
    for m in _ORDER.finditer(t):
        if free(*m.span()):
            taken.append(m.span())
            found.append(_entity(n, "order_id", m.group(), *m.span()))
    for mention in (lexicon or couriers()).find(t):  # the snapshot's couriers (None: bundled)
        if free(mention.start, mention.end):
            found.append(_entity(n, "courier", mention.courier, mention.start, mention.end))
    for m in _AMOUNT.finditer(t):
        if free(*m.span()):
            found.append(_entity(n, "amount", m.group(1) or m.group(2), *m.span()))
    for m in _SIZE.finditer(t):
        if free(*m.span()):
            value = f"{m.group(1)}码" if m.group(1) else (m.group(2) or m.group(3)).upper()
            found.append(_entity(n, "size", value, *m.span()))
    found.sort(key=lambda e: e.start)
    return found

