"""Form views of a content document: its source text read into form fields, and form fields written back.

A 客服主管 edits a template, an intent or a rule in a form; the document stays one
source text (what the store versions and the validator checks).  ``read_form`` turns the
source into the fields the form shows; ``write_form`` puts edited fields back into the
source and keeps everything the form does not show: unknown keys, the order of keys,
YAML comments (rules have many), list items the form leaves alone and their comments.

YAML is read and written with ``ruamel.yaml`` in round-trip mode, imported on first use
so that serving suggestions never pays for it.  A source that cannot be read gives a
list of problems (``app.content.problems.Problem``: line, message and hint in Chinese), never an exception.
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.content.kinds import Kind
from app.content.problems import Problem, yaml_problem

FRONT_MATTER = "---"
MAX_ITEMS = 2000
MAX_ITEM = 500
MAX_TEXT = 2000
MAX_BODY = 20_000

_STRICT = ConfigDict(extra="forbid", strict=True)


# ----------------------------------------------------------------------------- the fields


class TemplateFields(BaseModel):
    model_config = _STRICT

    id: str = Field("", max_length=200, description="模板编号（新建时填写，如 greeting/welcome）")
    title: str = Field("", max_length=200, description="标题")
    intent: str = Field("", max_length=64, description="意图编号")
    tags: list[str] = Field(default_factory=list, max_length=50, description="标签")
    shortcode: str = Field("", max_length=64, description="快捷短语码（简码）")
    variables: list[str] = Field(default_factory=list, max_length=50, description="用到的变量名")
    body: str = Field("", max_length=MAX_BODY, description="正文（可含 {{ 变量 }}）")


class IntentFields(BaseModel):
    model_config = _STRICT

    id: str = Field("", max_length=64, description="意图编号（新建时填写）")
    label: str = Field("", max_length=200, description="名称")
    category: str = Field("", max_length=200, description="分类")
    priority: str = Field("", max_length=20, description="优先级：high / medium / low")
    description: str = Field("", max_length=MAX_TEXT, description="说明")
    examples: list[str] = Field(default_factory=list, max_length=MAX_ITEMS, description="例句")
    keywords: list[str] = Field(default_factory=list, max_length=MAX_ITEMS, description="关键词")


class RuleExample(BaseModel):
    """One example of a rule: a plain sentence, or one with settings (``data``) the form shows as they are."""

    model_config = _STRICT

    text: str = Field(max_length=MAX_TEXT)
    data: dict[str, Any] | None = Field(None, description="带附加设置的例句（excerpt、shop…），原样保留")


class RuleExamples(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    flag: list[RuleExample] = Field(default_factory=list, max_length=MAX_ITEMS, description="必须命中")
    pass_: list[RuleExample] = Field(default_factory=list, max_length=MAX_ITEMS, alias="pass", description="不应命中")


class Definition(BaseModel):
    model_config = _STRICT

    name: str = Field(max_length=64)
    pattern: str = Field(max_length=MAX_TEXT * 2)


class RuleFields(BaseModel):
    model_config = _STRICT

    id: str = Field("", max_length=64, description="规则编号（新建时填写）")
    title: str = Field("", max_length=200, description="标题")
    severity: str = Field("", max_length=20, description="严重程度：block / warn / info")
    message: str = Field("", max_length=MAX_TEXT, description="原因")
    suggestion: str = Field("", max_length=MAX_TEXT, description="建议说法")
    enabled: bool = Field(True, description="启用")
    phrases: list[str] = Field(default_factory=list, max_length=MAX_ITEMS, description="短语")
    examples: RuleExamples = Field(default_factory=RuleExamples, description="例句")
    patterns: list[str] = Field(default_factory=list, max_length=500, description="正则模式（高级）")
    define: list[Definition] = Field(default_factory=list, max_length=200, description="命名片段（高级）")
    exceptions: list[str] = Field(default_factory=list, max_length=500, description="例外（高级）")


FIELDS: dict[str, type[BaseModel]] = {"template": TemplateFields, "intent": IntentFields, "rule": RuleFields}


@dataclass
class FormRead:
    fields: dict | None = None
    problems: list[dict] = field(default_factory=list)  # Problem.as_dict(): {"line", "message", "hint"?}


@dataclass
class FormWrite:
    source: str | None = None
    problems: list[dict] = field(default_factory=list)


# ----------------------------------------------------------------------------- YAML


class _Unreadable(Exception):
    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def _unreadable(line: int, message: str, hint: str | None = None) -> _Unreadable:
    return _Unreadable(Problem(PATH, line, message, hint))


PATH = "<form>"
_ODD = ("这个文件的写法表单无法显示", "请在“源文件”中修改")


def _yaml():
    from ruamel.yaml import YAML  # lazily: only editors' form views need it

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never fold a long regex or sentence
    y.allow_duplicate_keys = True  # as PyYAML reads them (the last one wins)
    return y


def _load(text: str, line_offset: int = 0):
    """The round-trip document and its indentation, or ``_Unreadable`` with the problem in Chinese."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    seq_indent, block_seq_indent = _guess_indent(text)
    try:
        y = _yaml()
        data = y.load(text)
    except (MarkedYAMLError, YAMLError) as e:
        raise _Unreadable(yaml_problem(e, text, PATH, first_line=1 + line_offset)) from None
    return data, seq_indent, block_seq_indent


def _guess_indent(text: str) -> tuple[int, int]:
    """How the file indents a block list under its key: (item content, dash); ``key:\n  - x`` is (4, 2)."""
    lines = text.splitlines()
    for prev, line in zip(lines, lines[1:], strict=False):
        stripped = line.lstrip(" ")
        if stripped.startswith("- ") and prev.rstrip().endswith(":") and not prev.lstrip().startswith("#"):
            dash = len(line) - len(stripped) - (len(prev) - len(prev.lstrip(" ")))
            if dash >= 0:
                return dash + 2, dash
    return 4, 2


def _dump(data, seq_indent: int, block_seq_indent: int) -> str:
    y = _yaml()
    y.indent(mapping=2, sequence=seq_indent, offset=block_seq_indent)
    out = io.StringIO()
    y.dump(data, out)
    return out.getvalue()


def _splice(source: str, base: str, new: str) -> str:
    """``new`` as a change to ``source``: the lines ``new`` changes in ``base`` (the untouched document as
    ruamel writes it) are changed in ``source``, so what ruamel writes differently from the file
    (``"\\u200b"`` escapes, a comment inside a flow list) stays as the file had it where the form changed nothing.
    """
    src, old, out = source.splitlines(keepends=True), base.splitlines(keepends=True), new.splitlines(keepends=True)
    to_src: dict[int, int] = {}  # line of base -> the same line of source
    for tag, i1, i2, j1, _ in difflib.SequenceMatcher(a=old, b=src, autojunk=False).get_opcodes():
        if tag == "equal":
            to_src.update({i: j1 + (i - i1) for i in range(i1, i2)})
    result = list(src)
    for tag, i1, i2, j1, j2 in reversed(difflib.SequenceMatcher(a=old, b=out, autojunk=False).get_opcodes()):
        if tag == "equal":
            continue
        if i1 == i2:  # an insertion before base line i1
            at = to_src.get(i1, len(src) if i1 == len(old) else None)
            if at is None:
                return new
            result[at:at] = out[j1:j2]
            continue
        spans = [to_src.get(i) for i in range(i1, i2)]
        if None in spans or spans != list(range(spans[0], spans[0] + len(spans))):
            return new  # the change touches lines ruamel writes differently: take its text as a whole
        result[spans[0] : spans[0] + len(spans)] = out[j1:j2]
    return "".join(result)


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _texts(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, list):
        return [_text(x) for x in v if not isinstance(x, dict | list)]
    return [_text(v)]


def _plain(v: Any) -> Any:
    """ruamel's commented containers as plain JSON data."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if v is None or isinstance(v, bool | int | float):
        return v
    return str(v)


#: Where a key the form adds goes: after the last of these keys the document has.
_ORDER = {
    "template": ["id", "intent", "title", "shortcode", "tags", "variables"],
    "intent": ["id", "label", "category", "priority", "description", "examples", "keywords"],
    "rule": ["id", "severity", "title", "message", "suggestion", "specificity", "enabled", "define", "phrases",
             "patterns", "exceptions", "examples"],
}


#: Short lists the bundled files write on one line (``tags: [标准, 简短]``).
_FLOW = ("tags", "variables", "keywords", "phrases")


def _put(doc, kind: str, key: str, value: Any, empty_absent: bool = True) -> None:
    """Set ``doc[key]``, touching nothing when it is unchanged; a new key goes where the file order puts it."""
    if key in doc:
        old = doc[key]
        if isinstance(old, list) and isinstance(value, list):
            if old or not value:
                _update_list(old, value)
            else:  # ``[]`` comes back without its flow style
                doc[key] = _seq(value, flow=key in _FLOW)
            return
        if _plain(old) == value or (old is None and value == ""):
            return
        doc[key] = value
        return
    if empty_absent and value in ("", None, []):
        return
    order = _ORDER[kind]
    before = order[: order.index(key)] if key in order else order
    pos = 0
    for i, k in enumerate(doc):
        if k in before:
            pos = i + 1
    if isinstance(value, list):
        value = _seq(value, flow=key in _FLOW)
    doc.insert(pos, key, value)


def _seq(values: list, flow: bool = False):
    from ruamel.yaml.comments import CommentedSeq

    seq = CommentedSeq(values)
    if flow:
        seq.fa.set_flow_style()
    return seq


def _update_list(seq, new: list) -> None:
    """Make ``seq`` equal ``new`` by inserting and deleting items, so kept items keep their comments."""
    old = [_plain(x) if isinstance(x, dict | list) else _text(x) for x in seq]
    key = [repr(x) for x in old]
    new_key = [repr(_plain(x) if isinstance(x, dict | list) else _text(x)) for x in new]
    ops = difflib.SequenceMatcher(a=key, b=new_key, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in reversed(ops):
        if tag == "equal":
            continue
        for i in range(i2 - 1, i1 - 1, -1):
            del seq[i]
        for offset, value in enumerate(new[j1:j2]):
            seq.insert(i1 + offset, value)


# ----------------------------------------------------------------------------- reading


def _split_template(source: str) -> tuple[str, str]:
    """A template's front matter (YAML) and body; ``_Unreadable`` if there are no ``---`` lines."""
    lines = source.splitlines(keepends=True)
    if not lines or lines[0].strip() != FRONT_MATTER:
        raise _unreadable(1, "模板文件应以一行 --- 开始", "第一行写 ---，下面是标题、意图等设置，再写一行 --- 后是正文")
    close = next((i for i in range(1, len(lines)) if lines[i].strip() == FRONT_MATTER), None)
    if close is None:
        raise _unreadable(1, "设置部分缺少结束的 --- 行", "正文之前要有一行 ---")
    return "".join(lines[1:close]), "".join(lines[close + 1 :]).strip("\n")


def _mapping(data, line: int = 1):
    if data is None:
        from ruamel.yaml.comments import CommentedMap

        return CommentedMap()
    if not isinstance(data, dict):
        raise _unreadable(line, "内容应是一组「名称: 内容」", "每项一行，如 title: 标题")
    return data


def _template_fields(meta, body: str) -> dict:
    return TemplateFields(
        id=_text(meta.get("id")), title=_text(meta.get("title")), intent=_text(meta.get("intent")),
        tags=_texts(meta.get("tags")), shortcode=_text(meta.get("shortcode")),
        variables=_texts(meta.get("variables")), body=body,
    ).model_dump()


def _intent_fields(doc) -> dict:
    return IntentFields(
        id=_text(doc.get("id")), label=_text(doc.get("label")), category=_text(doc.get("category")),
        priority=_text(doc.get("priority")), description=_text(doc.get("description")),
        examples=_texts(doc.get("examples")), keywords=_texts(doc.get("keywords")),
    ).model_dump()


def _examples(items) -> list[dict]:
    out = []
    for x in items if isinstance(items, list) else []:
        if isinstance(x, dict):
            out.append({"text": _text(x.get("text")), "data": _plain(x)})
        elif not isinstance(x, list):
            out.append({"text": _text(x), "data": None})
    return out


def _rule_fields(doc) -> dict:
    ex = doc.get("examples") if isinstance(doc.get("examples"), dict) else {}
    define = doc.get("define") if isinstance(doc.get("define"), dict) else {}
    return {
        "id": _text(doc.get("id")), "title": _text(doc.get("title")), "severity": _text(doc.get("severity")),
        "message": _text(doc.get("message")), "suggestion": _text(doc.get("suggestion")),
        "enabled": doc.get("enabled") is not False,
        "phrases": _texts(doc.get("phrases")),
        "examples": {"flag": _examples(ex.get("flag")), "pass": _examples(ex.get("pass"))},
        "patterns": _texts(doc.get("patterns")),
        "define": [{"name": str(k), "pattern": _text(v)} for k, v in define.items()],
        "exceptions": _texts(doc.get("exceptions")),
    }


def read_form(kind: Kind, source: str) -> FormRead:
    """The form fields of ``source``, or the problems that keep it from being read."""
    try:
        if kind == "template":
            front, body = _split_template(source)
            meta, _, _ = _load(front, line_offset=1)
            return FormRead(_template_fields(_mapping(meta, 2), body))
        doc, _, _ = _load(source)
        doc = _mapping(doc)
        return FormRead(_intent_fields(doc) if kind == "intent" else _rule_fields(doc))
    except _Unreadable as e:
        return FormRead(None, [e.problem.as_dict()])
    except (ValueError, TypeError, AttributeError, RecursionError):  # YAML no file here has (odd tags, deep nesting)
        return FormRead(None, [Problem(PATH, 1, *_ODD).as_dict()])


# ----------------------------------------------------------------------------- writing


def _write_template(source: str, f: TemplateFields) -> str:
    front, body = _split_template(source)
    meta, mi, si = _load(front, line_offset=1)
    meta = _mapping(meta, 2)
    before = _plain(meta)
    for key in ("id", "intent", "title", "shortcode"):
        _put(meta, "template", key, getattr(f, key))
    if "shortcode" in meta and f.shortcode == "":
        del meta["shortcode"]
    for key in ("tags", "variables"):
        _put(meta, "template", key, _filled(getattr(f, key)), empty_absent=key != "variables")
    new_front = front if _plain(meta) == before else _splice(front, _dump(_load(front)[0], mi, si), _dump(meta, mi, si))
    if new_front and not new_front.endswith("\n"):
        new_front += "\n"
    return f"{FRONT_MATTER}\n{new_front}{FRONT_MATTER}\n{f.body.strip(chr(10))}\n"


def _filled(values: list[str], strip: bool = True) -> list[str]:
    """A list as the form sends it, without the blank rows (an added row not filled in yet)."""
    return [v.strip() if strip else v for v in values if v.strip()]


def _write_intent(doc, f: IntentFields) -> None:
    for key in ("id", "label", "category", "priority", "description"):
        _put(doc, "intent", key, getattr(f, key))
    _put(doc, "intent", "examples", _filled(f.examples), empty_absent=False)
    _put(doc, "intent", "keywords", _filled(f.keywords))


def _example_items(seq, entries: list[RuleExample]) -> list:
    """The example list as written: a plain sentence as text, one with settings as the original item."""
    originals: dict[str, list] = {}
    for x in seq or []:
        if isinstance(x, dict):
            originals.setdefault(repr(_plain(x)), []).append(x)
    out = []
    for e in entries:
        if e.data is None:
            out.append(e.text.strip())
            continue
        same = originals.get(repr(e.data))  # ``data`` is the item as it was read
        item = same.pop(0) if same else _plain(e.data)
        text = e.text.strip()
        if text != _text(item.get("text")) and (text or "text" in item):
            item["text"] = text  # in place: the item keeps its comments
        out.append(item)
    return out


def _write_rule(doc, f: RuleFields) -> None:
    from ruamel.yaml.comments import CommentedMap

    for key in ("id", "severity", "title", "message"):
        _put(doc, "rule", key, getattr(f, key))
    if "suggestion" in doc or f.suggestion:
        _put(doc, "rule", "suggestion", f.suggestion or None, empty_absent=False)
    if f.enabled is not (doc.get("enabled") is not False):
        _put(doc, "rule", "enabled", f.enabled, empty_absent=False)
    # define: a mapping edited in place, so that the comments between its entries stay
    wanted = {d.name.strip(): d.pattern for d in f.define if d.name.strip()}
    if wanted or "define" in doc:
        if not isinstance(doc.get("define"), dict):
            _put(doc, "rule", "define", CommentedMap())
        define = doc["define"]
        for name in [k for k in define if k not in wanted]:
            del define[name]
        for name, pattern in wanted.items():
            if _text(define.get(name)) != pattern or name not in define:
                define[name] = pattern
    _put(doc, "rule", "phrases", _filled(f.phrases))
    for key in ("patterns", "exceptions"):  # a regex keeps its spaces
        _put(doc, "rule", key, _filled(getattr(f, key), strip=False))
    flag = [e for e in f.examples.flag if e.data is not None or e.text.strip()]
    pass_ = [e for e in f.examples.pass_ if e.data is not None or e.text.strip()]
    if flag or pass_ or "examples" in doc:
        if not isinstance(doc.get("examples"), dict):
            _put(doc, "rule", "examples", CommentedMap())
        ex = doc["examples"]
        for name, entries in (("flag", flag), ("pass", pass_)):
            items = _example_items(ex.get(name) if isinstance(ex.get(name), list) else [], entries)
            if isinstance(ex.get(name), list):
                _update_list(ex[name], items)
            elif items:
                ex[name] = _seq(items)


def write_form(kind: Kind, source: str, fields: BaseModel) -> FormWrite:
    """``source`` with ``fields`` written into it; unchanged parts stay as they were, comments included."""
    try:
        if kind == "template":
            return FormWrite(_write_template(source, fields))  # type: ignore[arg-type]
        doc, mi, si = _load(source)
        before = _plain(doc)
        doc = _mapping(doc)
        if kind == "intent":
            _write_intent(doc, fields)  # type: ignore[arg-type]
        else:
            _write_rule(doc, fields)  # type: ignore[arg-type]
        if _plain(doc) == before:
            return FormWrite(source)
        return FormWrite(_splice(source, _dump(_load(source)[0], mi, si), _dump(doc, mi, si)))
    except _Unreadable as e:
        return FormWrite(None, [e.problem.as_dict()])
    except (ValueError, TypeError, AttributeError, RecursionError):
        return FormWrite(None, [Problem(PATH, 1, *_ODD).as_dict()])
