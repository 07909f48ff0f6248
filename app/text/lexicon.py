"""Domain word lists shared by segmentation, entity extraction and the guard.

The lists are versioned documents like the intents and the rules (kind ``lexicon``,
keys ``couriers``, ``domain`` and ``promises``), seeded from the bundled files in
``lexicon/``.  ``Lexicon`` is one version of them, parsed: the assistant built from a
content snapshot carries its own, so an edit to a word list reaches segmentation,
entities and the guard with the next rebuild (and a removed word really leaves).
``bundled()`` is the files' version, for code that works without a store (tests, lint).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import ahocorasick
import yaml

from app import PROJECT_ROOT

LEXICON_DIR = PROJECT_ROOT / "lexicon"


@dataclass(frozen=True, slots=True)
class Mention:
    """A courier named in a normalised text: ``text[start:end]`` names ``courier``."""

    start: int
    end: int
    courier: str


class CourierLexicon:
    """Finds couriers by name or alias (Aho-Corasick, longest match, left to right)."""

    def __init__(self, couriers: dict[str, list[str]], tracking_prefixes: dict[str, list[str]] | None = None):
        self.names: list[str] = list(couriers)
        # Longest prefix first: ZTO before a shorter one that it starts with.
        self._prefixes = sorted(
            ((p.upper(), name) for name, ps in (tracking_prefixes or {}).items() for p in ps),
            key=lambda pn: -len(pn[0]),
        )
        self._automaton = ahocorasick.Automaton()
        for name, aliases in couriers.items():
            for alias in {name.lower(), *(a.lower() for a in aliases)}:
                self._automaton.add_word(alias, (alias, name))
        self._automaton.make_automaton()

    @classmethod
    def from_file(cls, path: Path) -> CourierLexicon:
        return cls.from_text(path.read_text(encoding="utf-8"))

    @classmethod
    def from_text(cls, text: str) -> CourierLexicon:
        """The couriers of ``couriers.yaml``'s text; raises ``LexiconError`` (in Chinese, with the line)."""
        entries = _courier_entries(text)
        return cls(
            {c["name"]: list(c.get("aliases", [])) for c in entries},
            {c["name"]: list(c.get("tracking_prefixes", [])) for c in entries},
        )

    def of_tracking_number(self, tracking_no: str) -> str | None:
        """The courier whose waybills start like ``tracking_no`` (SF1234567890 → 顺丰), or None."""
        number = tracking_no.strip().upper()
        for prefix, name in self._prefixes:
            if number.startswith(prefix) and number[len(prefix) :][:1].isdigit():
                return name
        return None

    def all_words(self) -> list[str]:
        """Every name and alias, for the segmenter's dictionary."""
        return [alias for alias, _ in self._automaton.values()]

    def canonical(self, word: str) -> str | None:
        """The canonical name for ``word`` (a name or alias), or None."""
        hit = self._automaton.get(word.strip().lower(), None)
        return hit[1] if hit else None

    def find(self, text: str) -> list[Mention]:
        """Couriers mentioned in ``text`` (normalised: lower case, simplified)."""
        hits: list[Mention] = []
        for end_idx, (alias, name) in self._automaton.iter_long(text):
            start = end_idx - len(alias) + 1
            # An ASCII alias must stand alone: "sf" yes, "sfx" or "asf" no.
            if alias.isascii() and alias[0].isalpha():
                before = text[start - 1] if start > 0 else " "
                after = text[end_idx + 1] if end_idx + 1 < len(text) else " "
                if (before.isascii() and before.isalnum()) or (after.isascii() and after.isalpha()):
                    continue
            hits.append(Mention(start, end_idx + 1, name))
        return hits


class LexiconError(ValueError):
    """A word list that cannot be used: ``line`` (1-based) and a message in Chinese."""

    def __init__(self, line: int, message: str):
        super().__init__(f"第{line}行：{message}")
        self.line = line
        self.message = message


_STRINGS = ("aliases", "tracking_prefixes")


def _courier_entries(text: str) -> list[dict]:
    """The ``couriers`` list of a couriers document, checked: a name each, lists of strings."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise LexiconError(line, "YAML 格式有误，请检查缩进、冒号和引号") from None
    except (ValueError, TypeError, OverflowError, RecursionError):  # 2024-02-30 reads as a date that is none
        raise LexiconError(1, "有一个值无法读取（像日期却不是有效的日期？）；不是日期的文字请用引号括起来") from None
    if data is None:
        data = {}
    if not isinstance(data, dict) or not isinstance(data.get("couriers", []), list):
        raise LexiconError(1, "文件应是 couriers: 下的一个列表，每项有 name 和 aliases")
    entries = data.get("couriers", [])
    lines = _item_lines(text)
    seen: set[str] = set()
    for i, c in enumerate(entries):
        line = lines[i] if i < len(lines) else 1
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not c["name"].strip():
            raise LexiconError(line, "每个快递都要有 name（快递公司名称）")
        unknown = sorted(set(c) - {"name", *_STRINGS})
        if unknown:
            raise LexiconError(line, f"快递「{c['name']}」有不认识的字段：{'、'.join(unknown)}（可用 name、aliases、tracking_prefixes）")
        for key in _STRINGS:
            value = c.get(key, [])
            if not isinstance(value, list) or not all(isinstance(a, str) and a.strip() for a in value):
                raise LexiconError(line, f"快递「{c['name']}」的 {key} 应是非空文字的列表，如 [顺丰速运, sf]")
        if c["name"] in seen:
            raise LexiconError(line, f"快递「{c['name']}」重复出现")
        seen.add(c["name"])
    owner: dict[str, str] = {}  # a name or alias (lower-cased) -> the courier that has it
    for i, c in enumerate(entries):
        for word in {c["name"].lower(), *(a.strip().lower() for a in c.get("aliases", []))}:
            other = owner.setdefault(word, c["name"])
            if other != c["name"]:
                line = lines[i] if i < len(lines) else 1
                raise LexiconError(
                    line, f"「{word}」同时是快递「{other}」和「{c['name']}」的名称或别名；一个叫法只能对应一家快递"
                )
    return entries


def _item_lines(text: str) -> list[int]:
    """The line of each top-level item of the ``couriers`` list (``  - name: …``)."""
    return [n for n, line in enumerate(text.splitlines(), start=1) if re.match(r"^\s*-\s", line) and "name" in line]


#: The frequency a domain word gets when its line gives none (jieba's own default is a guess).
DOMAIN_FREQ = 2000


def parse_domain_words(text: str) -> dict[str, int]:
    """The words of the domain dictionary (jieba's format: ``词 [词频] [词性]`` per line,
    ``#`` comments), lower-cased, with their frequencies; raises ``LexiconError``."""
    words: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) > 3:
            raise LexiconError(number, f"「{line}」：每行只写一个词，后面可跟词频和词性（如：色差 2000 n）")
        freq = DOMAIN_FREQ
        if len(parts) >= 2:
            if not (parts[1].isascii() and parts[1].isdigit()) or not 0 < int(parts[1]) <= 10**7:
                raise LexiconError(number, f"「{parts[0]}」的词频应是正整数（如 2000），现在是「{parts[1]}」")
            freq = int(parts[1])
        words[parts[0].lower()] = freq
    return words


LEXICON_FILES = {"couriers": "couriers.yaml", "domain": "domain.txt", "promises": "promises.yaml"}


@dataclass(frozen=True, eq=False)
class Lexicon:
    """One version of the word lists: the couriers, the domain words and the promise
    lexicon's text (parsed by ``app.guard.promises``, which owns its format).

    Two lexicons are equal when their documents are: the assistant keeps its guard and
    tokenizer across a rebuild that did not touch them."""

    couriers_text: str
    domain_text: str
    promises_text: str
    couriers: CourierLexicon = field(repr=False)
    domain: dict[str, int] = field(repr=False)

    @property
    def texts(self) -> tuple[str, str, str]:
        return (self.couriers_text, self.domain_text, self.promises_text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Lexicon) and self.texts == other.texts

    def __hash__(self) -> int:
        return hash(self.texts)

    def segment_words(self) -> dict[str, int]:
        """The words the segmenter must keep whole, with their frequencies: the domain
        dictionary, then every courier name and alias (as today's segmenter adds them)."""
        return {**self.domain, **{w: DOMAIN_FREQ for w in self.couriers.all_words()}}


@lru_cache(maxsize=8)
def parse_lexicon_texts(couriers: str, domain: str, promises: str) -> Lexicon:
    """The lexicon of these documents (remembered by their text: a rebuild for a template
    edit gets the same object back); raises ``LexiconError`` for a broken courier list or
    dictionary (the promise lexicon is checked by ``app.guard.promises``)."""
    return Lexicon(couriers, domain, promises, CourierLexicon.from_text(couriers), parse_domain_words(domain))


def lexicon_documents(directory: Path = LEXICON_DIR) -> dict[str, str]:
    """The lexicon files in ``directory`` as documents (key -> text); a missing file is left out."""
    out = {}
    for key, name in LEXICON_FILES.items():
        path = directory / name
        if path.is_file():
            out[key] = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    return out


@lru_cache(maxsize=1)
def bundled() -> Lexicon:
    """The lexicon of the bundled files (``lexicon/``), for code without a content snapshot."""
    docs = lexicon_documents()
    return parse_lexicon_texts(docs.get("couriers", ""), docs.get("domain", ""), docs.get("promises", ""))


def couriers() -> CourierLexicon:
    """The bundled couriers: the default where no snapshot's lexicon is given."""
    return bundled().couriers
