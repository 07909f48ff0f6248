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
list of problems, each ``"path:line: 说明"``, so an editor or ``lint`` can show
every problem at once.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import opencc
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

from app.content.files import read_file
from app.guard.checks import CHECK_PARAMS, CHECKS, CheckParams, parse_params
from app.shop import ShopProfile
from app.text.lexicon import couriers
from app.text.normalize import normalize

try:  # the regular-expression parser, used to gate patterns by their first character
    from re import _parser as _sre  # Python 3.11+
except ImportError:  # pragma: no cover
    import sre_parse as _sre  # type: ignore[no-redef]

Severity = Literal["block", "warn", "info"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warn": 1, "block": 2}

ID_RE = r"^[a-z][a-z0-9_]*$"
#: libyaml's parser when PyYAML was built with it (about 10x faster than the pure-Python one).
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MACRO = re.compile(r"\{([a-z_][a-z0-9_]*)\}")

#: Characters that end a clause / a sentence in the normalised text.
CLAUSE_CHARS = ",.!?;:。、~\n"


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def builtin_fragments() -> dict[str, str]:
    """Fragments every pattern may use: ``{courier}``, ``{num}``, ``{any}``, ``{cjk}``."""
    words = sorted({w for w in couriers().all_words()}, key=len, reverse=True)
    return {
        # Any courier name or alias (longest first so 顺丰速运 wins over 顺丰).
        "courier": "(?:" + "|".join(re.escape(w) for w in words) + ")",
        # An amount or count: 10, 1.5, 两, 十五, 半.
        "num": r"(?:\d+(?:\.\d+)?|[零一二两三四五六七八九十百千万半几]+)",
        # One character inside the same clause (no clause punctuation).
        "any": r"[^,.!?;:。、~\n]",
        "cjk": r"[\u4e00-\u9fff]",
    }


def normalize_phrase(phrase: str) -> str:
    """A phrase or cue as the matcher sees it: normalised, without spaces."""
    return "".join(normalize(phrase).text.split())


def normalize_pattern(pattern: str) -> str:
    """Full-width and traditional characters in a pattern read like the text they match.

    No lower-casing (it would turn ``\\D`` into ``\\d``); patterns compile with IGNORECASE.
    """
    folded = unicodedata.normalize("NFKC", pattern)
    converted = _t2s().convert(folded)
    return converted if len(converted) == len(folded) else folded


def expand_pattern(pattern: str, defines: dict[str, str]) -> str:
    """Replace ``{name}`` fragments (rule ``define`` first, then built-ins), recursively."""
    table = {**builtin_fragments(), **defines}

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


def compile_pattern(pattern: str, defines: dict[str, str]) -> re.Pattern:
    return _compile(expand_pattern(pattern, defines))


@lru_cache(maxsize=4096)  # parsing a rule checks its patterns, building the guard compiles them again
def _compile(regex: str) -> re.Pattern:
    return re.compile(_with_first_char_gate(regex), re.IGNORECASE)


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

#: pydantic's error types in plain Chinese; ``{…}`` are filled from the error's ``ctx``.
_MESSAGES = {
    "missing": "缺少必填字段",
    "literal_error": "应为以下之一：{expected}",
    "string_type": "应为文字",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "dict_type": "应为映射（键: 值）",
    "model_type": "应为映射（键: 值）",
    "model_attributes_type": "应为映射（键: 值）",
    "list_type": "应为列表",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "应大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "应小于 {lt}",
    "string_too_short": "太短（至少 {min_length} 个字）",
    "string_too_long": "太长（最多 {max_length} 个字）",
    "too_short": "至少要有 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "string_pattern_mismatch": "格式不对（只能用小写字母、数字和下划线，以字母开头）",
}


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


def _explain(err: dict, data: Any) -> str:
    """One pydantic error as a sentence an editor understands."""
    kind, loc = err["type"], tuple(err["loc"])
    if kind == "extra_forbidden":
        if "params" in loc:
            model = _params_model(data, loc)
            known = "、".join(model.model_fields) if model is not None else ""
            return f"未知的参数（拼写错误？可用的参数：{known or '无'}）"
        return "未知的字段（拼写错误？）"
    if kind in _MESSAGES:
        ctx = dict(err.get("ctx") or {})
        if "expected" in ctx:
            ctx["expected"] = "、".join(re.findall(r"'([^']*)'", str(ctx["expected"]))) or ctx["expected"]
        try:
            return _MESSAGES[kind].format(**ctx)
        except (KeyError, IndexError):
            return _MESSAGES[kind].split("{")[0].rstrip("（ ")
    return err["msg"].removeprefix("Value error, ")



def _node_at(node: yaml.Node | None, loc: tuple) -> yaml.Node | None:
    """The YAML node at a pydantic error location, as deep as it can be followed."""
    best = node
    key_node = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            key = "pass" if part == "pass_" else part
            pair = next(((k, v) for k, v in node.value if getattr(k, "value", None) == key), None)
            if pair is None:
                return best
            key_node, node = pair
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            key_node, node = None, node.value[part]
        else:
            return best
        best = node
    # A block mapping or list starts on the line after its key: point at the key.
    if key_node is not None and isinstance(best, yaml.CollectionNode) and not best.flow_style:
        return key_node
    return best


def _line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 1


def _pattern_problems(spec: MatchSpec, root: yaml.Node | None, base: tuple, path: str) -> list[str]:
    out: list[str] = []
    for field in ("patterns", "exceptions"):
        for i, pat in enumerate(getattr(spec, field)):
            try:
                compile_pattern(pat, spec.define)
            except (re.error, ValueError) as e:
                where = _line(_node_at(root, (*base, field, i)))
                out.append(f"{path}:{where}: {field}[{i}] 不是有效的正则表达式：{e}")
    return out


def parse_rule(text: str, path: str | Path = "<rule>") -> tuple[Rule | None, list[str]]:
    """Parse one rule file.  Returns ``(rule, [])`` or ``(None, problems)``; never raises."""
    path = str(path)
    try:
        loader = _Loader(text)
        try:  # one parse gives both the data and the nodes (their lines, for messages)
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(e, "problem", None) or str(e)
        return None, [f"{path}:{line}: YAML 格式错误：{problem}"]
    if not isinstance(data, dict):
        return None, [f"{path}:1: 规则文件应是一个映射（id、severity、message、phrases…）"]
    try:
        rule = Rule.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = tuple(err["loc"])
            where = ".".join(str(p) for p in loc)
            msg = _explain(err, data)
            problems.append(
                f"{path}:{_line(_node_at(root, loc))}: {where}: {msg}"
                if where
                else f"{path}:1: {msg}"
            )
        return None, problems

    problems = _pattern_problems(rule, root, (), path)
    if rule.alert is not None:
        problems += _pattern_problems(rule.alert, root, ("alert",), path)
    if problems:
        return None, problems
    return rule, []


class RuleFileError(ValueError):
    """Raised by ``load_rules`` when a rule directory has problems; lists all of them."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("规则文件有问题：\n" + "\n".join(problems))


def read_rules(directory: Path) -> tuple[list[Rule], list[str]]:
    """Every ``*.yaml`` rule in ``directory`` and every problem found (lint-friendly)."""
    rules: list[Rule] = []
    problems: list[str] = []
    seen: set[str] = set()
    for file in sorted(Path(directory).glob("*.yaml")):
        text, unreadable = read_file(file)
        if unreadable is not None:
            problems.append(str(unreadable))
            continue
        rule, probs = parse_rule(text, file)
        problems += probs
        if rule is None:
            continue
        if file.stem != rule.id:
            problems.append(f"{file}:1: 文件名应与 id 一致：{rule.id}.yaml")
        if rule.id in seen:
            problems.append(f"{file}:1: 重复的规则 id：{rule.id}")
        seen.add(rule.id)
        rules.append(rule)
    return rules, problems


def load_rules(directory: Path) -> list[Rule]:
    """Every rule in ``directory``; raises ``RuleFileError`` listing all problems."""
    rules, problems = read_rules(directory)
    if problems:
        raise RuleFileError(problems)
    return rules
