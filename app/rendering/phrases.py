"""The phrase library's search: which templates and personal phrases to offer for what the agent typed.

An agent types ``/`` and a few characters in the reply box: a short code
(``sc1``), part of a title or of the text (色差, 退货), or pinyin initials
(``sc`` for 色差·标准回复, ``thh`` for a text that says 退换货).  ``rank`` orders
the phrases that match: an exact short code first, then the agent's favourites,
then what they used recently (newest first), then the rest by how well they
match; an empty query lists favourites, recent ones, personal phrases, then
every template.

``Phrase`` keeps what searching needs ready (folded text, initials), so a
``PhraseIndex`` builds the templates' phrases once per content version, not per
request.  Nothing here renders: the caller renders the phrases it returns.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from app.content.models import ReplyTemplate, shortcode_key
from app.text.pinyin import INITIALS_QUERY, Initials, initials

TEMPLATE_PREFIX = "tpl:"
PERSONAL_PREFIX = "my:"
#: Initials found only somewhere in a long text match by chance when short: ``sc`` is in many.
MIN_TEXT_INITIALS = 3
#: The query's length that is searched; longer is cut.
MAX_QUERY = 100

# Template syntax is not text an agent searches for: ``{{ buyer_name }}``, ``{% if %}``, ``{# #}``.
_TEMPLATE_SYNTAX = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)

# How well a term matches one phrase (the higher the better); a phrase's quality is the mean over terms.
# Initials by a character's less common reading (实重 as "sc") count a little less than by its usual one.
_SHORTCODE_PREFIX = 90
_TITLE_EXACT = 85
_TITLE_PREFIX = 80
_TITLE_INITIALS_PREFIX = 75
_TITLE_CONTAINS = 65
_TITLE_INITIALS = 55
_TAG = 50
_SHORTCODE_CONTAINS = 45
_TEXT = 40
_TEXT_INITIALS = 20
_OTHER_READING = 5


def fold(text: str) -> str:
    """The form text is compared in: NFKC (full-width letters) and case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class Phrase:
    """One phrase the library can offer: a template (``tpl:…``) or an agent's own phrase (``my:…``)."""

    id: str
    kind: Literal["template", "personal"]
    title: str
    #: The template's Jinja body, or the personal phrase's text.
    body: str
    shortcode: str | None = None
    intent: str | None = None
    tags: tuple[str, ...] = ()
    _title: str = field(default="", repr=False, compare=False)
    _text: str = field(default="", repr=False, compare=False)
    _code: str = field(default="", repr=False, compare=False)
    _tags: tuple[str, ...] = field(default=(), repr=False, compare=False)
    _title_initials: Initials | None = field(default=None, repr=False, compare=False)
    _text_initials: Initials | None = field(default=None, repr=False, compare=False)

    @classmethod
    def make(
        cls, id: str, kind: Literal["template", "personal"], title: str, body: str, *,
        shortcode: str | None = None, intent: str | None = None, tags: Iterable[str] = (), searchable: str | None = None,
    ) -> Phrase:
        text = body if searchable is None else searchable
        return cls(
            id, kind, title, body, shortcode, intent, tuple(tags),
            _title=fold(title), _text=fold(text), _code=shortcode_key(shortcode) if shortcode else "",
            _tags=tuple(fold(t) for t in tags), _title_initials=initials(title), _text_initials=initials(text),
        )

    def quality(self, term: str) -> int:
        """How well one folded query term matches (0: not at all)."""
        code, title = self._code, self._title
        if code and code.startswith(term):
            return _SHORTCODE_PREFIX
        if title == term:
            return _TITLE_EXACT
        if title.startswith(term):
            return _TITLE_PREFIX
        letters = INITIALS_QUERY.match(term) is not None
        by_initials = _initials_quality(self._title_initials, term, _TITLE_INITIALS_PREFIX, _TITLE_INITIALS) if letters else 0
        if by_initials >= _TITLE_INITIALS_PREFIX - _OTHER_READING:
            return by_initials
        if term in title:
            return _TITLE_CONTAINS
        if by_initials:
            return by_initials
        if any(term in tag for tag in self._tags):
            return _TAG
        if code and term in code:
            return _SHORTCODE_CONTAINS
        if term in self._text:
            return _TEXT
        if letters and len(term) >= MIN_TEXT_INITIALS:
            return _initials_quality(self._text_initials, term, _TEXT_INITIALS, _TEXT_INITIALS)
        return 0


def _initials_quality(found: Initials | None, term: str, prefix: int, anywhere: int) -> int:
    """The score of ``term`` as initials: at the start or anywhere, less by a less common reading."""
    if found is None:
        return 0
    if found.letters.startswith(term):
        return prefix
    if found.startswith(term):
        return prefix - _OTHER_READING
    if term in found.letters:
        return anywhere
    if found.find(term) >= 0:
        return anywhere - _OTHER_READING
    return 0


def template_phrase(tpl: ReplyTemplate) -> Phrase:
    """A template as a phrase; its text is searched without the template syntax."""
    searchable = _TEMPLATE_SYNTAX.sub(" ", tpl.body)
    return Phrase.make(
        TEMPLATE_PREFIX + tpl.id, "template", tpl.title, tpl.body, shortcode=tpl.shortcode, intent=tpl.intent,
        tags=tpl.tags, searchable=searchable,
    )


def personal_phrase(id: int, title: str, text: str, shortcode: str | None = None) -> Phrase:
    return Phrase.make(f"{PERSONAL_PREFIX}{id}", "personal", title, text, shortcode=shortcode)


@dataclass(frozen=True)
class Ranked:
    phrase: Phrase
    favourite: bool
    last_used: datetime | None


def rank(
    phrases: Iterable[Phrase],
    query: str,
    favourites: Mapping[str, datetime] | None = None,
    recent: Mapping[str, datetime] | None = None,
    limit: int = 20,
) -> list[Ranked]:
    """The phrases that match ``query``, best first, at most ``limit``.

    ``favourites`` and ``recent`` map phrase ids to when they were starred or last
    used.  Every whitespace-separated term of the query must match the phrase
    (its short code, title, tags, text, or the initials of its title or text).
    Order: a short code equal to the whole query; favourites (best match, then
    newest starred); recently used (newest first); the rest by match quality.
    Among equals the given order holds.  An empty query matches everything:
    favourites, recent, personal phrases, then templates.
    """
    favourites = favourites or {}
    recent = recent or {}
    terms = fold(query[:MAX_QUERY]).split()
    whole = "".join(terms)
    keyed: list[tuple[tuple, Ranked]] = []
    for position, phrase in enumerate(phrases):
        if terms:
            scores = [phrase.quality(t) for t in terms]
            if not all(scores):
                continue
            quality = sum(scores) / len(scores)
        else:
            quality = 0
        starred, used = favourites.get(phrase.id), recent.get(phrase.id)
        if terms and phrase._code and phrase._code == whole:
            tier = 0
        elif starred is not None:
            tier = 1
        elif used is not None:
            tier = 2
        elif not terms and phrase.kind == "personal":
            tier = 3
        else:
            tier = 4
        # Newer first: negate the timestamp; favourites by quality first, recent by time only.
        if tier == 1:
            key = (tier, -quality, -starred.timestamp(), position)
        elif tier == 2:
            key = (tier, -used.timestamp(), position)
        else:
            key = (tier, -quality, position)
        keyed.append((key, Ranked(phrase, starred is not None, used)))
    keyed.sort(key=lambda item: item[0])
    return [r for _, r in keyed[: max(limit, 0)]]


class PhraseIndex:
    """The templates of one content version as phrases, built once per version.

    ``phrases(pack, ordered)`` returns the cached list while it is asked about the
    same pack object (an engine's pack never changes; an edit builds a new one).
    Only a weak reference to the pack is kept.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pack: weakref.ref | None = None
        self._phrases: list[Phrase] = []

    def phrases(self, pack: object, ordered: Iterable[ReplyTemplate]) -> list[Phrase]:
        with self._lock:
            if self._pack is not None and self._pack() is pack:
                return self._phrases
        built = [template_phrase(t) for t in ordered]
        with self._lock:
            self._pack, self._phrases = weakref.ref(pack), built
        return built
