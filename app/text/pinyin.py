"""Pinyin initials of Chinese text, so that an agent finds 退换货 by typing ``thh``.

``initials(text)`` keeps one position per Chinese character (other characters are
skipped) with the first letter of each of its readings: a polyphonic character
matches any of them (银行 is ``yh`` and ``yx``, 调整 ``tz`` and ``dz``), which is
what people type without thinking of the reading a dictionary would choose.

pypinyin is imported on first use only, and without its phrase dictionary
(``PYPINYIN_NO_PHRASES``): per character readings are all this needs, and the
phrase dictionary would cost 54 MB and 120 ms per process instead of 12 MB and
30 ms.  Results are cached per character and per text.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
#: A query that can be initials: lower-case ASCII letters only.
INITIALS_QUERY = re.compile(r"^[a-z]+$")
_ANY = "?"  # in ``loose``: a character whose readings start with different letters


def _pypinyin():
    # Must be set before pypinyin's first import; has no effect once another caller imported it.
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
    os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")
    import pypinyin

    return pypinyin


@lru_cache(maxsize=8192)
def letters_of(char: str) -> str:
    """The first letters of every reading of one character, the most common first ("" if it has none)."""
    pypinyin = _pypinyin()
    readings = pypinyin.pinyin(char, style=pypinyin.Style.FIRST_LETTER, heteronym=True, errors=lambda _: [""])
    out = ""
    for reading in readings[0] if readings else []:
        letter = reading[:1].lower()
        if letter.isascii() and letter.isalpha() and letter not in out:
            out += letter
    return out


@dataclass(frozen=True)
class Initials:
    """The initials of a text: ``loose`` has one letter per Chinese character, or ``?`` where
    its readings start with different letters (``choices`` holds those letters by position,
    the most common reading's first).  ``find`` and ``startswith`` accept any reading."""

    loose: str
    choices: dict[int, str]
    #: The initials by each character's most common reading (``色差·标准回复`` → ``scbzhf``).
    letters: str

    def find(self, query: str) -> int:
        """Where ``query`` (lower-case letters) first matches these initials, or -1."""
        if not query or not INITIALS_QUERY.match(query) or len(query) > len(self.loose):
            return -1
        if not self.choices:
            return self.loose.find(query)
        pattern = _pattern(query)
        for m in pattern.finditer(self.loose):
            if self._fits(query, m.start()):
                return m.start()
        return -1

    def startswith(self, query: str) -> bool:
        if not query or not INITIALS_QUERY.match(query) or len(query) > len(self.loose):
            return False
        return _pattern(query).match(self.loose) is not None and self._fits(query, 0)

    def _fits(self, query: str, start: int) -> bool:
        for i, letter in enumerate(query):
            if self.loose[start + i] == _ANY and letter not in self.choices[start + i]:
                return False
        return True


@lru_cache(maxsize=256)
def _pattern(query: str) -> re.Pattern[str]:
    # A lookahead, so that overlapping candidates are all tried: "[t?][h?][h?]".
    return re.compile("(?=" + "".join(f"[{letter}?]" for letter in query) + ")")


@lru_cache(maxsize=4096)
def initials(text: str) -> Initials:
    """The pinyin initials of the Chinese characters in ``text`` (other characters are left out)."""
    loose: list[str] = []
    choices: dict[int, str] = {}
    for char in _HAN.findall(text):
        letters = letters_of(char)
        if not letters:
            continue
        if len(letters) > 1:
            choices[len(loose)] = letters
            loose.append(_ANY)
        else:
            loose.append(letters)
    letters = "".join(choices[i][0] if ch == _ANY else ch for i, ch in enumerate(loose))
    return Initials("".join(loose), choices, letters)
