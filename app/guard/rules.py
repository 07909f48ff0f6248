"""Compliance rules as data: the rule model, and reading rule files with clear errors.

One YAML file per rule (``rules/<id>.yaml``).  A rule says *what* to look for
(literal ``phrases``, regular-expression ``patterns``), *what cancels a hit*
(``cancel`` cues such as 不能保证 or 以物流为准, and ``exceptions``), how specific it
is, which named shop check (``check``) decides it against the shop's facts, and
carries its own ``examples`` that the test suite runs.  A rule may also carry an
``alert`` section: the same kind of matcher, run on the *buyer's* message.

Patterns and cues are written against the normalised text (see
``app.text.normalize``): simplified characters, lower-case ASCII, half-width
letters, digits and punctuation (，→ ,  ！→ !  ？→ ?  ：→ :  ；→ ;  but 。 and 、 stay).
Spaces are removed before matching.  Patterns may use named fragments written as
``{name}``: the built-ins below, or the rule's own ``define``.

The file format is described for editors in ``rules/README.md``.

``parse_rule(text, path)`` never raises: it returns the rule, or ``None`` and a
list of ``Problem``s (path, line, a message in Chinese and a hint), so an editor or
``lint`` can show every problem at once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.content.files import node_at, read_file, read_yaml, validation_problems
from app.content.problems import Problem, field_label, model_fields_at, regex_message
from app.guard import pattern_facts
from app.guard.checks import CHECK_PARAMS, CHECKS, CheckParams, parse_params
from app.guard.severity import Severity
from app.shop import ShopProfile
from app.text.entities import PHONE_PATTERN
from app.text.lexicon import CourierLexicon, couriers
from app.text.normalize import normalize, to_simplified
from app.text.punctuation import NOT_CLAUSE_CHAR

try:  # the regular-expression parser, used to gate patterns by their first character
    from re import _parser as _sre  # Python 3.11+
except ImportError:  # pragma: no cover
    import sre_parse as _sre  # type: ignore[no-redef]

ID_RE = r"^[a-z][a-z0-9_]*$"
_MACRO = re.compile(r"\{([a-z_][a-z0-9_]*)\}")

def builtin_fragments(lexicon: CourierLexicon | None = None) -> dict[str, str]:
    """Fragments every pattern may use: ``{courier}``, ``{num}``, ``{any}``, ``{cjk}``, ``{phone}``.

    ``{courier}`` is the couriers of ``lexicon`` (the content snapshot's; None: the bundled ones)."""
    return _fragments(lexicon or couriers())


@lru_cache(maxsize=8)  # by lexicon object: a snapshot's lexicon is one object per document text
def _fragments(lexicon: CourierLexicon) -> dict[str, str]:
    words = sorted({w for w in lexicon.all_words()}, key=len, reverse=True)
    return {
        # Any courier name or alias (longest first so 顺丰速运 wins over 顺丰).
        "courier": "(?:" + "|".join(re.escape(w) for w in words) + ")",
        # An amount or count: 10, 1.5, 两, 十五, 半.
        "num": r"(?:\d+(?:\.\d+)?|[零一二两三四五六七八九十百千万半几]+)",
        # One character inside the same clause (no clause punctuation).
        "any": NOT_CLAUSE_CHAR,
        "cjk": r"[\u4e00-\u9fff]",
        # A mainland mobile number, as the entity extractor finds it.
        "phone": PHONE_PATTERN,
    }


def normalize_phrase(phrase: str) -> str:
    """A phrase or cue as the matcher sees it: normalised, without spaces."""
    return "".join(normalize(phrase).text.split())


def normalize_pattern(pattern: str) -> str:
    """Full-width and traditional characters in a pattern read like the text they match.

    No lower-casing (it would turn ``\\D`` into ``\\d``); patterns compile with IGNORECASE.
    """
    folded = unicodedata.normalize("NFKC", pattern)
    converted = to_simplified(folded)
    return converted if len(converted) == len(folded) else folded


def expand_pattern(pattern: str, defines: dict[str, str], lexicon: CourierLexicon | None = None) -> str:
    """Replace ``{name}`` fragments (rule ``define`` first, then built-ins), recursively."""
    table = {**builtin_fragments(lexicon), **defines}

    def expand(text: str, depth: int) -> str:
        if depth > 8:
            raise ValueError("片段 {…} 互相引用过深（循环引用？）")

        def repl(m: re.Match) -> str:
            name = m.group(1)
            if name not in table:
                raise ValueError(f"未定义的片段 {{{name}}}（可在 define 中定义）")
            return expand(table[name], depth + 1)

        return _MACRO.sub(repl, text)

    return expand(normalize_pattern(pattern), 0)


def _first_chars(items) -> tuple[set[str] | None, bool]:
    """The characters a match of parsed ``items`` can start with (None: any), and
    whether ``items`` can match the empty string."""
    acc: set[str] = set()
    for op, av in items:
        chars, nullable = _first_of(op, av)
        if chars is None:
            return None, False
        acc |= chars
        if not nullable:
            return acc, False
    return acc, True


def _first_of(op, av) -> tuple[set[str] | None, bool]:
    c = _sre
    if op is c.LITERAL:
        return {chr(av)}, False
    if op is c.IN:
        chars: set[str] = set()
        for o, a in av:
            if o is c.LITERAL:
                chars.add(chr(a))
            elif o is c.RANGE and a[1] - a[0] <= 64:
                chars.update(chr(x) for x in range(a[0], a[1] + 1))
            elif o is c.CATEGORY and a is c.CATEGORY_DIGIT:
                chars.update("0123456789")  # the text is NFKC: digits are ASCII
            else:
                return None, False
        return chars, False
    if op is c.BRANCH:
        acc: set[str] = set()
        any_nullable = False
        for branch in av[1]:
            chars, nullable = _first_chars(branch)
            if chars is None:
                return None, False
            acc |= chars
            any_nullable |= nullable
        return acc, any_nullable
    if op is c.SUBPATTERN:
        return _first_chars(av[-1])
    if op in (c.MAX_REPEAT, c.MIN_REPEAT):
        chars, nullable = _first_chars(av[2])
        return chars, nullable or av[0] == 0
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return set(), True
    return None, False


def _with_first_char_gate(regex: str) -> str:
    """Prefix ``(?=[…])`` with the characters a match can start with.

    Python's ``re`` tries every alternative of a leading alternation at every
    position; the gate lets it skip positions where no match can start, which
    makes a pattern that begins with a list of words about ten times faster.
    """
    try:
        parsed = _sre.parse(regex, re.IGNORECASE)
        chars, nullable = _first_chars(list(parsed))
    except Exception:  # a gate is an optimisation only
        return regex
    if nullable or not chars or len(chars) > 400:
        return regex
    cls = "".join(re.escape(ch) for ch in sorted(chars))
    return f"(?=[{cls}])(?:{regex})"


class Pattern:
    """A rule's regular expression (IGNORECASE, first-character gate), compiled on first use.

    The prefilter sends a text to only a few of the guard's patterns, so most are never
    run by a short-lived process: a guard built from known patterns (``pattern_facts``)
    compiles none of them up front.  ``source`` is the expanded pattern, ``regex`` what
    is compiled.
    """

    __slots__ = ("source", "regex", "_compiled")

    def __init__(self, source: str, regex: str, compiled: re.Pattern | None = None):
        self.source = source
        self.regex = regex
        self._compiled = compiled

    @property
    def compiled(self) -> re.Pattern:
        c = self._compiled
        if c is None:
            c = self._compiled = re.compile(self.regex, re.IGNORECASE)
        return c

    @property
    def is_compiled(self) -> bool:
        return self._compiled is not None

    @property
    def groupindex(self) -> Mapping[str, int]:
        return self.compiled.groupindex

    def finditer(self, text: str) -> Iterator[re.Match]:
        return self.compiled.finditer(text)

    def search(self, text: str) -> re.Match | None:
        return self.compiled.search(text)


def compile_pattern(pattern: str, defines: dict[str, str], lexicon: CourierLexicon | None = None) -> Pattern:
    """The pattern with its ``{fragments}`` expanded; ``re.error`` if it does not compile."""
    return _compile(expand_pattern(pattern, defines, lexicon))


@lru_cache(maxsize=4096)  # parsing a rule checks its patterns, building the guard needs them again
def _compile(regex: str) -> Pattern:
    facts = pattern_facts.FACTS
    gated = facts.gate(regex)
    if gated is not None:  # compiled before, in this process or an earlier one
        return Pattern(regex, gated)
    gated = _with_first_char_gate(regex)
    compiled = re.compile(gated, re.IGNORECASE)
    facts.learn_gate(regex, gated)
    return Pattern(regex, gated, compiled)


class ExampleTurn(BaseModel):
    """An earlier turn of an example conversation; a plain string is an agent turn."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["buyer", "agent"] = "agent"
    text: str = Field(min_length=1, max_length=2000)

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, v: Any) -> Any:
        return {"text": v} if isinstance(v, str) else v


class Example(BaseModel):
    """One example text; a flag example may pin the expected excerpt, severity and shop.

    ``conversation``: the turns before the text (for a rule with ``scope: conversation``).
    """

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=2000)
    excerpt: str | None = None
    severity: Severity | None = None
    shop: ShopProfile | None = None
    conversation: list[ExampleTurn] | None = Field(default=None, max_length=20)
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, v: Any) -> Any:
        return {"text": v} if isinstance(v, str) else v

    @model_validator(mode="after")
    def _excerpt_in_text(self) -> Example:
        if self.excerpt is not None and self.excerpt not in self.text:
            raise ValueError(f"excerpt「{self.excerpt}」不在例句中")
        return self


class Examples(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    flag: list[Example] = Field(default_factory=list)
    pass_: list[Example] = Field(default_factory=list, alias="pass")


class Cancel(BaseModel):
    """Cues that cancel a hit when they govern it.

    - ``before``: ends at most ``window`` characters before the hit, same clause (不能 保证明天到);
    - ``after``: starts at most ``window`` characters after the hit, same clause (发韵达 可以吗);
    - ``clause``: anywhere in the hit's clause (帮您确认一下韵达能不能发);
    - ``sentence``: anywhere in the hit's sentence (…，具体以物流为准);
    - ``hedge``: anywhere in the hit's clause, softens the promise (大概明天发) — but a shop
      check that finds the promise too late for the shop still flags it (大概半个月后发).
    """

    model_config = ConfigDict(extra="forbid")

    window: int = Field(default=4, ge=0, le=20)
    before: list[str] = Field(default_factory=list)
    after: list[str] = Field(default_factory=list)
    clause: list[str] = Field(default_factory=list)
    sentence: list[str] = Field(default_factory=list)
    hedge: list[str] = Field(default_factory=list)


class MatchSpec(BaseModel):
    """What a rule or an alert looks for and what cancels it."""

    model_config = ConfigDict(extra="forbid")

    define: dict[str, str] = Field(default_factory=dict)
    phrases: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    cancel: Cancel = Field(default_factory=Cancel)
    #: Regular expressions; a match that overlaps a hit cancels it (补拍运费差价).
    exceptions: list[str] = Field(default_factory=list)
    #: A named shop check (see ``app.guard.checks``) and its parameters, validated
    #: against that check's own parameter model (``CarrierParams`` …).
    check: str | None = None
    params: CheckParams | None = Field(default=None, validate_default=True)

    @field_validator("check")
    @classmethod
    def _known_check(cls, v: str | None) -> str | None:
        if v is not None and v not in CHECKS:
            known = "、".join(sorted(CHECKS))
            raise ValueError(f"未知的检查 {v!r}（可用：{known}）")
        return v

    @field_validator("params", mode="plain")
    @classmethod
    def _typed_params(cls, v: Any, info: ValidationInfo) -> CheckParams | None:
        if isinstance(v, CheckParams):
            return v
        if "check" not in info.data:  # the check itself is wrong: reported there
            return None
        name = info.data["check"]
        if name is None:
            if v:
                raise ValueError("只有写了 check 的规则才有 params（这条规则没有 check）")
            return None
        if v is not None and not isinstance(v, dict):
            raise ValueError(f"params 应是一个映射（检查 {name} 的参数：{_param_names(name)}）")
        return parse_params(name, v)

    @field_validator("phrases")
    @classmethod
    def _phrases(cls, v: list[str]) -> list[str]:
        for p in v:
            if not normalize_phrase(p):
                raise ValueError("phrases 中有空白条目")
        return v

    @field_validator("define")
    @classmethod
    def _define(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v:
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                raise ValueError(f"片段名 {name!r} 只能用小写字母、数字和下划线")
        return v

    @model_validator(mode="after")
    def _something_to_find(self) -> MatchSpec:
        if getattr(self, "scope", "text") == "conversation":
            return self  # checked by code against the conversation (app.guard.promises)
        if not self.phrases and not self.patterns:
            raise ValueError("至少要有一条 phrases 或 patterns")
        return self


class AlertSpec(MatchSpec):
    """A situation alert: run on the buyer's message, warns the agent before replying."""

    severity: Severity = "warn"
    message: str = Field(min_length=1, max_length=200)
    examples: Examples = Field(default_factory=Examples)


class Rule(MatchSpec):
    """One compliance rule (``rules/<id>.yaml``)."""

    id: str = Field(pattern=ID_RE, max_length=64)
    severity: Severity
    title: str = Field(min_length=1, max_length=40)
    message: str = Field(min_length=1, max_length=200)
    suggestion: str | None = Field(default=None, max_length=300)
    #: A hit that lies inside a hit of a more specific rule is left to that rule
    #: (保证明天到 is a delivery_guarantee, not also an absolute_guarantee).
    specificity: int = Field(default=10, ge=0, le=100)
    enabled: bool = True
    #: ``conversation``: not matched on a text alone but checked by code against the earlier
    #: turns of a conversation (``broken_promise``, see ``app.guard.promises``); such a rule
    #: needs no phrases or patterns, and its examples give their ``conversation``.
    scope: Literal["text", "conversation"] = "text"
    examples: Examples = Field(default_factory=Examples)
    alert: AlertSpec | None = None


def _param_names(check: str) -> str:
    return "、".join(CHECK_PARAMS[check].model_fields) or "无"


# --------------------------------------------------------------------------- parsing

def _params_model(spec_data: Any, loc: tuple) -> type[BaseModel] | None:
    """The parameter model that an error location inside ``params`` points into."""
    base = loc[: loc.index("params")] if "params" in loc else None
    if base is None:
        return None
    node = spec_data
    for part in base:
        node = node.get(part) if isinstance(node, dict) else None
    name = node.get("check") if isinstance(node, dict) else None
    model = CHECK_PARAMS.get(name) if isinstance(name, str) else None
    for part in loc[len(base) + 1 : -1]:
        field = model.model_fields.get(part) if model is not None else None
        ann = field.annotation if field is not None else None
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    return model


def _fields_of(data: Any):
    """The field names at a location of a rule file, for a did-you-mean on an unknown one
    (inside ``params``: the parameters of the rule's ``check``)."""

    def known(loc: tuple) -> list[str] | None:
        if "params" in loc:
            model = _params_model(data, (*loc, ""))
            return list(model.model_fields) if model is not None else None
        return model_fields_at(Rule, loc)

    return known


def _regex_problem(pattern: str, error: Exception) -> tuple[str, str | None]:
    """Why ``pattern`` (as the editor wrote it) does not compile, with the position in it when known."""
    if isinstance(error, ValueError) and not isinstance(error, re.error):
        return str(error), "片段写成 {名称}：内置的有 {courier}、{num}、{any}、{cjk}，其他的在 define 里定义"
    try:
        re.compile(unicodedata.normalize("NFKC", pattern))
    except (re.error, OverflowError, RecursionError) as own:
        return regex_message(own, unicodedata.normalize("NFKC", pattern))
    message, hint = regex_message(error, "")  # the error is in a {fragment} it uses
    return f"{message}（在展开 {{…}} 片段之后）", "请检查这条模式用到的 define 片段"


def _pattern_problems(spec: MatchSpec, root: yaml.Node | None, base: tuple, path: str) -> list[Problem]:
    out: list[Problem] = []
    for field in ("patterns", "exceptions"):
        for i, pat in enumerate(getattr(spec, field)):
            try:
                compile_pattern(pat, spec.define)
            except (re.error, ValueError, OverflowError, RecursionError) as e:
                node = node_at(root, (*base, field, i))
                message, hint = _regex_problem(pat, e)
                line = node.start_mark.line + 1 if node is not None else 1
                column = node.start_mark.column + 1 if node is not None else None
                label = field_label((*base, field, i))
                out.append(Problem(path, line, f"「{label}」不是有效的正则表达式：{message}", hint, column))
    return out


def parse_rule(text: str, path: str | Path = "<rule>") -> tuple[Rule | None, list[Problem]]:
    """Parse one rule file.  Returns ``(rule, [])`` or ``(None, problems)``; never raises."""
    path = str(path)
    doc = read_yaml(text, path)  # one parse gives both the data and the nodes (their lines, for messages)
    if doc.root is None and doc.problems:
        return None, doc.problems
    data, root = doc.data, doc.root
    if not isinstance(data, dict):
        return None, [Problem(path, 1, "规则文件应是「名称: 内容」的形式（id、severity、message、phrases…）",
                              "第一行通常是 id: 规则编号")]
    try:
        rule = Rule.model_validate(data)
    except ValidationError as e:
        return None, doc.problems + validation_problems(e, root, path, known=_fields_of(data))

    problems = doc.problems + _pattern_problems(rule, root, (), path)
    if rule.alert is not None:
        problems += _pattern_problems(rule.alert, root, ("alert",), path)
    if problems:
        return None, problems
    return rule, []


class RuleFileError(ValueError):
    """Raised by ``load_rules`` when a rule directory has problems; lists all of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("规则文件有问题：\n" + "\n".join(map(str, problems)))


def read_rules(directory: Path) -> tuple[list[Rule], list[Problem]]:
    """Every ``*.yaml`` rule in ``directory`` and every problem found (lint-friendly)."""
    rules: list[Rule] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for file in sorted(Path(directory).glob("*.yaml")):
        text, unreadable = read_file(file)
        if unreadable is not None:
            problems.append(unreadable)
            continue
        rule, probs = parse_rule(text, file)
        problems += probs
        if rule is None:
            continue
        if file.stem != rule.id:
            problems.append(Problem(str(file), 1, f"文件名应与 id 一致：{rule.id}.yaml", "请改文件名或改 id，让两者相同"))
        if rule.id in seen:
            problems.append(Problem(str(file), 1, f"重复的规则 id：{rule.id}"))
        seen.add(rule.id)
        rules.append(rule)
    return rules, problems


def load_rules(directory: Path) -> list[Rule]:
    """Every rule in ``directory``; raises ``RuleFileError`` listing all problems."""
    rules, problems = read_rules(directory)
    if problems:
        raise RuleFileError(problems)
    return rules
