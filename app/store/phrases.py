"""Each agent's phrase library in the store: personal phrases, favourites and recently used.

Phrases are named by id: ``tpl:<template id>`` for a template, ``my:<number>`` for
a personal phrase.  A personal phrase belongs to one user; asking for another
user's is ``NotFound``, as for one that does not exist.  Which template ids exist
is the content's business, not the store's: the caller checks them.

Every write for a user first locks that user's row, so two requests of the same
agent (two tabs) queue instead of both passing the limit of personal phrases.
Every method is blocking: call them from a worker thread.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from app.store.db import reader, transaction
from app.store.errors import InvalidField, InvalidOperation, NotFound
from app.store.models import (
    PHRASE_ID_LEN,
    FavouritePhraseRow,
    PersonalPhraseRow,
    RecentPhraseRow,
    UserRow,
)

MAX_PERSONAL = 200
MAX_TITLE = 40
MAX_TEXT = 2000
MAX_SHORTCODE = 16
#: Recently used phrases kept per user; older uses are forgotten.
MAX_RECENT = 50
TEMPLATE_PREFIX = "tpl:"
PERSONAL_PREFIX = "my:"
#: Personal phrase numbers are 32-bit like every id column of the store.
MAX_ID = 2**31 - 1


class TooMany(InvalidOperation):
    """The user already has ``MAX_PERSONAL`` personal phrases."""


@dataclass(frozen=True)
class PersonalPhrase:
    id: int
    username: str
    title: str
    text: str
    shortcode: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def phrase_id(self) -> str:
        return f"{PERSONAL_PREFIX}{self.id}"


@dataclass(frozen=True)
class Library:
    """One user's whole library, read at once: what a search needs."""

    personal: list[PersonalPhrase]
    #: ``{phrase id: when it was starred}``
    favourites: dict[str, datetime]
    #: ``{phrase id: when it was last used}``, newest first
    recent: dict[str, datetime]


def personal_number(phrase_id: str) -> int | None:
    """``my:12`` → 12; ``None`` for anything that is not a personal phrase id."""
    if not phrase_id.startswith(PERSONAL_PREFIX):
        return None
    digits = phrase_id[len(PERSONAL_PREFIX) :]
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 10 or int(digits) > MAX_ID:
        return None
    return int(digits)


def is_phrase_id(phrase_id: str) -> bool:
    """True for ``my:<number>`` and ``tpl:<something>`` of a storable length."""
    if len(phrase_id) > PHRASE_ID_LEN:
        return False
    if phrase_id.startswith(TEMPLATE_PREFIX):
        return len(phrase_id) > len(TEMPLATE_PREFIX)
    return personal_number(phrase_id) is not None


def _now() -> datetime:
    return datetime.now(UTC)


def _clean(title: str, text: str, shortcode: str | None) -> tuple[str, str, str | None]:
    title = title.strip()
    if not title:
        raise InvalidField("title", "标题不能为空")
    if len(title) > MAX_TITLE:
        raise InvalidField("title", f"标题不能超过 {MAX_TITLE} 个字符（当前 {len(title)}）")
    if any(not ch.isprintable() for ch in title):
        raise InvalidField("title", "标题不能含换行或控制字符")
    text = text.strip()
    if not text:
        raise InvalidField("text", "内容不能为空")
    if len(text) > MAX_TEXT:
        raise InvalidField("text", f"内容不能超过 {MAX_TEXT} 个字符（当前 {len(text)}）")
    if shortcode is not None:
        shortcode = shortcode.strip() or None
    if shortcode is not None and (len(shortcode) > MAX_SHORTCODE or not all(ch.isalnum() for ch in shortcode)):
        raise InvalidField("shortcode", f"简码应为 1 到 {MAX_SHORTCODE} 个字母、数字或汉字，不能有空格或标点")
    return title, text, shortcode


def _phrase(row: PersonalPhraseRow) -> PersonalPhrase:
    return PersonalPhrase(row.id, row.username, row.title, row.text, row.shortcode, row.created_at, row.updated_at)


class PhraseStore:
    """The phrase library of every user, in the database behind ``engine``."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = _now):
        self._engine = engine
        self._reader = reader(engine)
        self.clock = clock

    def library(self, username: str) -> Library:
        """The user's personal phrases, favourites and recent uses, from one snapshot."""
        with transaction(self._reader) as s:
            return Library(
                [_phrase(row) for row in s.scalars(_personal_query(username))],
                _pairs(s.execute(_favourites_query(username))),
                _pairs(s.execute(_recent_query(username))),
            )

    # -- personal phrases ----------------------------------------------------------------

    def list_personal(self, username: str) -> list[PersonalPhrase]:
        """The user's own phrases, the most recently changed first."""
        with transaction(self._reader) as s:
            return [_phrase(row) for row in s.scalars(_personal_query(username))]

    def get_personal(self, username: str, number: int) -> PersonalPhrase | None:
        with transaction(self._reader) as s:
            row = _own(s, username, number)
            return _phrase(row) if row is not None else None

    def add_personal(self, username: str, title: str, text: str, shortcode: str | None = None) -> PersonalPhrase:
        """Save a new phrase; ``InvalidField`` names a bad field, ``TooMany`` past ``MAX_PERSONAL``."""
        title, text, shortcode = _clean(title, text, shortcode)
        with transaction(self._engine) as s:
            _lock_user(s, username)
            count = s.scalar(
                select(func.count()).select_from(PersonalPhraseRow).where(PersonalPhraseRow.username == username)
            )
            if (count or 0) >= MAX_PERSONAL:
                raise TooMany(f"每人最多保存 {MAX_PERSONAL} 条个人短语，请先删除不用的")
            _check_shortcode_free(s, username, shortcode, None)
            now = self.clock()
            row = PersonalPhraseRow(
                username=username, title=title, text=text, shortcode=shortcode, created_at=now, updated_at=now
            )
            s.add(row)
            s.flush()
            return _phrase(row)

    def update_personal(
        self, username: str, number: int, title: str, text: str, shortcode: str | None = None
    ) -> PersonalPhrase:
        """Replace one of the user's phrases; ``NotFound`` if it is not theirs."""
        title, text, shortcode = _clean(title, text, shortcode)
        with transaction(self._engine) as s:
            _lock_user(s, username)
            row = _own(s, username, number)
            if row is None:
                raise NotFound("phrase", f"{PERSONAL_PREFIX}{number}")
            _check_shortcode_free(s, username, shortcode, number)
            row.title, row.text, row.shortcode, row.updated_at = title, text, shortcode, self.clock()
            s.flush()
            return _phrase(row)

    def delete_personal(self, username: str, number: int) -> None:
        """Delete one of the user's phrases (and its star and recent use); ``NotFound`` if it is not theirs."""
        phrase_id = f"{PERSONAL_PREFIX}{number}"
        with transaction(self._engine) as s:
            _lock_user(s, username)
            row = _own(s, username, number)
            if row is None:
                raise NotFound("phrase", phrase_id)
            s.delete(row)
            for table in (FavouritePhraseRow, RecentPhraseRow):
                s.execute(delete(table).where(table.username == username, table.phrase_id == phrase_id))

    # -- favourites ----------------------------------------------------------------------

    def favourites(self, username: str) -> dict[str, datetime]:
        """``{phrase id: when it was starred}``."""
        with transaction(self._reader) as s:
            return _pairs(s.execute(_favourites_query(username)))

    def add_favourite(self, username: str, phrase_id: str) -> bool:
        """Star a phrase; True if it was not starred yet.  A personal phrase must be the user's own."""
        self._check_id(phrase_id)
        with transaction(self._engine) as s:
            _lock_user(s, username)
            self._check_own(s, username, phrase_id)
            if s.get(FavouritePhraseRow, (username, phrase_id)) is not None:
                return False
            s.add(FavouritePhraseRow(username=username, phrase_id=phrase_id, created_at=self.clock()))
            return True

    def remove_favourite(self, username: str, phrase_id: str) -> bool:
        """Unstar a phrase; True if it was starred."""
        with transaction(self._engine) as s:
            result = s.execute(
                delete(FavouritePhraseRow).where(
                    FavouritePhraseRow.username == username, FavouritePhraseRow.phrase_id == phrase_id
                )
            )
            return bool(result.rowcount)

    # -- recently used -------------------------------------------------------------------

    def recent(self, username: str) -> dict[str, datetime]:
        """``{phrase id: when it was last used}``, newest first, at most ``MAX_RECENT``."""
        with transaction(self._reader) as s:
            return _pairs(s.execute(_recent_query(username)))

    def record_use(self, username: str, phrase_id: str) -> None:
        """The user has just used a phrase; only their ``MAX_RECENT`` newest uses are kept."""
        self._check_id(phrase_id)
        with transaction(self._engine) as s:
            _lock_user(s, username)
            self._check_own(s, username, phrase_id)
            now = self.clock()
            row = s.get(RecentPhraseRow, (username, phrase_id))
            if row is None:
                s.add(RecentPhraseRow(username=username, phrase_id=phrase_id, used_at=now))
            else:
                row.used_at = now
            s.flush()
            keep = (
                select(RecentPhraseRow.phrase_id)
                .where(RecentPhraseRow.username == username)
                .order_by(RecentPhraseRow.used_at.desc(), RecentPhraseRow.phrase_id)
                .limit(MAX_RECENT)
                .scalar_subquery()
            )
            s.execute(
                delete(RecentPhraseRow).where(
                    RecentPhraseRow.username == username, RecentPhraseRow.phrase_id.not_in(keep)
                )
            )

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def _check_id(phrase_id: str) -> None:
        if not is_phrase_id(phrase_id):
            raise InvalidField("id", "短语 id 应为 tpl:模板id 或 my:编号")

    @staticmethod
    def _check_own(s: Session, username: str, phrase_id: str) -> None:
        number = personal_number(phrase_id)
        if number is not None and _own(s, username, number) is None:
            raise NotFound("phrase", phrase_id)


def _pairs(result) -> dict[str, datetime]:
    return {phrase_id: at for phrase_id, at in result}


def _personal_query(username: str):
    return (
        select(PersonalPhraseRow)
        .where(PersonalPhraseRow.username == username)
        .order_by(PersonalPhraseRow.updated_at.desc(), PersonalPhraseRow.id.desc())
    )


def _favourites_query(username: str):
    return select(FavouritePhraseRow.phrase_id, FavouritePhraseRow.created_at).where(
        FavouritePhraseRow.username == username
    )


def _recent_query(username: str):
    return (
        select(RecentPhraseRow.phrase_id, RecentPhraseRow.used_at)
        .where(RecentPhraseRow.username == username)
        .order_by(RecentPhraseRow.used_at.desc(), RecentPhraseRow.phrase_id)
        .limit(MAX_RECENT)
    )


def _code_key(code: str) -> str:
    # As the content compares short codes: ``SC1``, ``ｓｃ１`` and ``sc1`` are one code.
    return unicodedata.normalize("NFKC", code).casefold()


def _lock_user(s: Session, username: str) -> None:
    if s.scalars(select(UserRow.id).where(UserRow.username == username).with_for_update()).one_or_none() is None:
        raise NotFound("user", username)


def _own(s: Session, username: str, number: int) -> PersonalPhraseRow | None:
    row = s.get(PersonalPhraseRow, number)
    return row if row is not None and row.username == username else None


def _check_shortcode_free(s: Session, username: str, shortcode: str | None, number: int | None) -> None:
    if shortcode is None:
        return
    key = _code_key(shortcode)
    for other_id, other in s.execute(
        select(PersonalPhraseRow.id, PersonalPhraseRow.shortcode).where(
            PersonalPhraseRow.username == username, PersonalPhraseRow.shortcode.is_not(None)
        )
    ):
        if other_id != number and _code_key(other) == key:
            raise InvalidField("shortcode", f"简码「{shortcode}」已用于你的另一条短语，请换一个")
