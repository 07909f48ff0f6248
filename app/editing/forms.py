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
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.content.problems import Problem, yaml_problem
from app.text.lexicon import DOMAIN_FREQ

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


# The word lists and the variables (admin): each row carries ``at``, its place in the file as read,
# so that an edited row is changed in place (its comments kept) and a new row (``at`` null) is added.

#: A word as a list item: no spaces in it (the form splits what is pasted), none starting a comment.
Word = Annotated[str, Field(max_length=64, pattern=r"^([^\s#]\S*)?$")]
RowAt = Field(None, ge=0, le=MAX_ITEMS, description="这一行在文件里的位置（读出时给出，新加的行为 null）")


class CourierRow(BaseModel):
    model_config = _STRICT

    name: str = Field("", max_length=64, description="快递公司名称（店铺设置 carriers 里用的名字）")
    aliases: list[Word] = Field(default_factory=list, max_length=200, description="别名：买家和客服的其他写法")
    tracking_prefixes: list[Word] = Field(default_factory=list, max_length=50, description="运单号开头，如 SF")
    at: int | None = RowAt


class CouriersFields(BaseModel):
    model_config = _STRICT

    couriers: list[CourierRow] = Field(default_factory=list, max_length=500, description="快递公司")


class DomainFields(BaseModel):
    model_config = _STRICT

    words: list[Word] = Field(default_factory=list, max_length=10_000, description="行业词（分词时保持完整）")


class VariableRow(BaseModel):
    model_config = _STRICT

    name: str = Field("", max_length=64, description="变量名（模板里写 {{ 变量名 }}）")
    label: str = Field("", max_length=64, description="中文名：没有填时显示为【中文名】")
    sample: str = Field("", max_length=MAX_TEXT, description="示例值（编辑器预览用）")
    description: str = Field("", max_length=MAX_TEXT, description="说明")
    at: int | None = RowAt


class VariablesFields(BaseModel):
    model_config = _STRICT

    variables: list[VariableRow] = Field(default_factory=list, max_length=500, description="变量")


#: What a form edits: a document kind, or one of the word lists (``lexicon`` documents by key).
FormKind = Literal["template", "intent", "rule", "couriers", "domain", "variables"]

FIELDS: dict[str, type[BaseModel]] = {
    "template": TemplateFields, "intent": IntentFields, "rule": RuleFields,
    "couriers": CouriersFields, "domain": DomainFields, "variables": VariablesFields,
}


def form_kind(kind: str, key: str | None) -> str | None:
    """The form a document is edited in (``None``: only as its file text, like the promise lexicon)."""
    if kind == "lexicon":
        return key if key in ("couriers", "domain") else None
    return kind if kind in FIELDS else None


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
    "couriers": ["name", "aliases", "tracking_prefixes"],
    "variables": ["name", "label", "sample", "description"],
}


#: Short lists the bundled files write on one line (``tags: [标准, 简短]``).
_FLOW = ("tags", "variables", "keywords", "phrases", "aliases", "tracking_prefixes")


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


def _rows(doc, key: str, what: str) -> list:
    """The items of a word list's top-level list (``couriers:``, ``variables:``), each a mapping."""
    items = doc.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise _unreadable(1, f"「{key}」应是一个列表", f"每个{what}另起一行，以「- name: …」开头")
    lines = getattr(getattr(items, "lc", None), "data", {})
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            line = lines[i][0] + 1 if i in lines else 1
            raise _unreadable(line, f"第 {i + 1} 个{what}应写成「- name: …」", "请在“源文件”中修改")
    return list(items)


def _courier_fields(doc) -> dict:
    return {"couriers": [
        {"name": _text(c.get("name")), "aliases": _texts(c.get("aliases")),
         "tracking_prefixes": _texts(c.get("tracking_prefixes")), "at": i}
        for i, c in enumerate(_rows(doc, "couriers", "快递"))
    ]}


def _variable_fields(doc) -> dict:
    return {"variables": [
        {"name": _text(v.get("name")), "label": _text(v.get("label")), "sample": _text(v.get("sample")),
         "description": _text(v.get("description")), "at": i}
        for i, v in enumerate(_rows(doc, "variables", "变量"))
    ]}


def _domain_lines(source: str) -> list[tuple[int, str]]:
    """The word lines of a domain dictionary (``词 [词频] [词性]``): (line index, the word as written)."""
    out = []
    for i, raw in enumerate(source.splitlines(keepends=True)):
        line = raw.strip().lstrip("\ufeff")
        if line and not line.startswith("#"):
            out.append((i, line.split()[0]))
    return out


def read_form(kind: FormKind, source: str) -> FormRead:
    """The form fields of ``source``, or the problems that keep it from being read."""
    try:
        if kind == "domain":
            return FormRead({"words": [w for _, w in _domain_lines(source)]})
        if kind in ("couriers", "variables"):
            doc, _, _ = _load(source)
            doc = _mapping(doc)
            return FormRead(_courier_fields(doc) if kind == "couriers" else _variable_fields(doc))
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


def _write_rows(doc, key: str, kind: str, rows: list, new_item, update) -> None:
    """Make the list ``doc[key]`` the form's rows: a row read from the file (``at``) is its item
    changed in place; a new row is a new item where the form has it; a row gone is deleted."""
    originals = _rows(doc, key, "项")
    wanted: list[tuple[str, Any]] = []
    used: set[int] = set()
    for row in rows:
        if row.at is not None and row.at < len(originals) and row.at not in used:
            used.add(row.at)
            update(originals[row.at], row)
            wanted.append((f"#{row.at}", originals[row.at]))
        elif any(v for k, v in row.model_dump().items() if k != "at"):  # a row added but left blank: none
            wanted.append((f"new{len(wanted)}", new_item(row)))
    if key not in doc or doc[key] is None:
        if not wanted:
            return
        doc[key] = _seq([])
    seq = doc[key]
    ops = difflib.SequenceMatcher(a=[f"#{i}" for i in range(len(originals))], b=[k for k, _ in wanted],
                                  autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in reversed(ops):
        if tag == "equal":
            continue
        for i in range(i2 - 1, i1 - 1, -1):
            del seq[i]
        for offset, (_, item) in enumerate(wanted[j1:j2]):
            seq.insert(i1 + offset, item)


def _set_or_drop(item, kind: str, key: str, value, keep_empty: bool = False) -> None:
    """``item[key] = value`` as ``_put`` does it; an emptied optional value leaves the item."""
    if value in ("", []) and not keep_empty:
        if key in item:
            del item[key]
        return
    _put(item, kind, key, value, empty_absent=False)


def _update_courier(item, row: CourierRow) -> None:
    _set_or_drop(item, "couriers", "name", row.name.strip(), keep_empty=True)
    _set_or_drop(item, "couriers", "aliases", _filled(row.aliases))
    _set_or_drop(item, "couriers", "tracking_prefixes", _filled(row.tracking_prefixes))


def _new_courier(row: CourierRow):
    from ruamel.yaml.comments import CommentedMap

    item = CommentedMap(name=row.name.strip())
    item["aliases"] = _seq(_filled(row.aliases), flow=True)
    if _filled(row.tracking_prefixes):
        item["tracking_prefixes"] = _seq(_filled(row.tracking_prefixes), flow=True)
    return item


def _update_variable(item, row: VariableRow) -> None:
    for key in ("name", "label"):
        _set_or_drop(item, "variables", key, getattr(row, key).strip(), keep_empty=True)
    for key in ("sample", "description"):
        _set_or_drop(item, "variables", key, getattr(row, key).strip())


def _new_variable(row: VariableRow):
    from ruamel.yaml.comments import CommentedMap

    item = CommentedMap(name=row.name.strip(), label=row.label.strip())
    for key in ("sample", "description"):
        if getattr(row, key).strip():
            item[key] = getattr(row, key).strip()
    return item


def _write_domain(source: str, f: DomainFields) -> str:
    """The dictionary with the form's words: a kept word keeps its line (frequency, tag, comments
    around it); an edited word changes only the word; a new one goes where the list has it."""
    lines = source.splitlines(keepends=True)
    at = _domain_lines(source)
    old = [w for _, w in at]
    new = _filled(f.words)
    if new == old:
        return source
    buckets: list[list[str]] = [[line] for line in lines] + [[]]  # the last: after the file's end

    def after(index: int, added: list[str]) -> None:
        bucket = buckets[index]
        if bucket and not bucket[-1].endswith("\n"):
            bucket[-1] += "\n"
        bucket.extend(added)

    def changed(index: int, word: str) -> str:
        raw = lines[index]
        lead = len(raw) - len(raw.lstrip().lstrip("\ufeff").lstrip())
        body = raw[lead:]
        token = body.split()[0]
        return raw[:lead] + word + body[len(token):]

    for tag, i1, i2, j1, j2 in reversed(difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()):
        if tag == "equal":
            continue
        olds, words = at[i1:i2], new[j1:j2]
        for n, (index, _) in enumerate(olds):
            buckets[index] = [changed(index, words[n])] if n < len(words) else []
        added = [f"{w} {DOMAIN_FREQ}\n" for w in words[len(olds):]]
        if not added:
            continue
        if olds:
            after(olds[-1][0], added)
        elif i1 > 0:
            after(at[i1 - 1][0], added)
        elif at:
            buckets[at[0][0]] = added + buckets[at[0][0]]
        else:
            after(len(lines) - 1 if lines else len(lines), added)
    return "".join(line for bucket in buckets for line in bucket)


def write_form(kind: FormKind, source: str, fields: BaseModel) -> FormWrite:
    """``source`` with ``fields`` written into it; unchanged parts stay as they were, comments included."""
    try:
        if kind == "template":
            return FormWrite(_write_template(source, fields))  # type: ignore[arg-type]
        if kind == "domain":
            return FormWrite(_write_domain(source, fields))  # type: ignore[arg-type]
        doc, mi, si = _load(source)
        before = _plain(doc)
        doc = _mapping(doc)
        if kind == "intent":
            _write_intent(doc, fields)  # type: ignore[arg-type]
        elif kind == "couriers":
            _write_rows(doc, "couriers", kind, fields.couriers, _new_courier, _update_courier)  # type: ignore[attr-defined]
        elif kind == "variables":
            _write_rows(doc, "variables", kind, fields.variables, _new_variable, _update_variable)  # type: ignore[attr-defined]
        else:
            _write_rule(doc, fields)  # type: ignore[arg-type]
        if _plain(doc) == before:
            return FormWrite(source)
        return FormWrite(_splice(source, _dump(_load(source)[0], mi, si), _dump(doc, mi, si)))
    except _Unreadable as e:
        return FormWrite(None, [e.problem.as_dict()])
    except (ValueError, TypeError, AttributeError, RecursionError):
        return FormWrite(None, [Problem(PATH, 1, *_ODD).as_dict()])
