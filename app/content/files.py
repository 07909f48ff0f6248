"""Reading and writing content as files: ``intents/*.yaml`` and ``templates/replies/**.j2``.

Files are how content is bundled, reviewed in git, exported and imported.  A
problem in a file is reported with its path and line (``Problem``, in
``app.content.problems``) rather than raised, so that ``shouhou lint`` can list
every problem at once, each in Chinese with a hint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from app.content.models import IntentSpec, OutOfScope, ReplyTemplate, TemplateMeta, Variable
from app.content.problems import Problem, duplicate_keys, field_errors, yaml_problem
from app.text.lexicon import Lexicon, bundled

FRONT_MATTER = "---"
OUT_OF_SCOPE_FILE = "_out_of_scope.yaml"
VARIABLES_FILE = "variables.yaml"


@dataclass
class ContentPack:
    """Everything the engine needs besides the rules: intents, templates, variables."""

    intents: dict[str, IntentSpec] = field(default_factory=dict)
    templates: dict[str, ReplyTemplate] = field(default_factory=dict)
    out_of_scope: list[str] = field(default_factory=list)
    variables: dict[str, Variable] = field(default_factory=dict)
    #: Pieces of longer messages that carry no problem by themselves (``_out_of_scope.yaml``).
    fragments: list[str] = field(default_factory=list)
    #: The word lists (couriers, domain words, promise lexicon) of the same content version.
    lexicon: Lexicon = field(default_factory=bundled)


# libyaml's parser when PyYAML was built with it (about 10x faster on the bundled pack).
_LineLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class YamlDoc:
    """A YAML text read once: the data, the node tree (for the line of each value) and what is wrong."""

    data: object = None
    root: yaml.Node | None = None
    problems: list[Problem] = field(default_factory=list)


def read_yaml(text: str, path: str, first_line: int = 1) -> YamlDoc:
    """Parse ``text`` (which starts on line ``first_line`` of the file); never raises.

    A syntax error is one ``Problem`` in Chinese (``data`` is then None); a name written
    twice in one mapping is a problem too, since YAML would silently drop the first.
    """
    loader = _LineLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as e:
        return YamlDoc(problems=[yaml_problem(e, text, path, first_line)])
    except (ValueError, TypeError, OverflowError):  # a value YAML reads as a date that is none (2024-02-30)
        return YamlDoc(problems=[Problem(path, first_line, "有一个值无法读取（像日期却不是有效的日期？）",
                                         "不是日期的文字请用引号括起来")])
    finally:
        loader.dispose()
    return YamlDoc(data, root, duplicate_keys(root, path, first_line))


def node_at(node: yaml.Node | None, loc: tuple) -> yaml.Node | None:
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
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            key_node, node = None, node.value[part]
        else:
            return best
        best = node
    # A block mapping or list starts on the line after its key: point at the key.
    if key_node is not None and isinstance(best, yaml.CollectionNode) and not best.flow_style:
        return key_node
    return best


def _key_node(root: yaml.Node | None, loc: tuple) -> yaml.Node | None:
    """The key ``loc[-1]`` itself (an unknown field: ``node_at`` would find its value), else its parent."""
    node = root
    for part in loc[:-1]:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
    if isinstance(node, yaml.MappingNode):
        key = next((k for k, _ in node.value if getattr(k, "value", None) == loc[-1]), None)
        if key is not None:
            return key
    return node_at(root, loc[:-1])


def validation_problems(
    err: ValidationError,
    root: yaml.Node | None,
    path: str,
    model: type[BaseModel] | None = None,
    first_line: int = 1,
    known: Callable[[tuple], Iterable[str] | None] | None = None,
    lines: dict[str, int] | None = None,
) -> list[Problem]:
    """pydantic's errors for a YAML document as ``Problem``s in Chinese, each at the line of its value.

    ``model`` (or ``known``) names the fields, for a did-you-mean on an unknown one; ``lines``
    gives the line of a field that is not in the YAML (a template's ``body``).
    """
    out = []
    for fe in field_errors(err.errors(), model=model, known=known):
        if lines and fe.loc and fe.loc[0] in lines:
            out.append(Problem(path, lines[fe.loc[0]], fe.message, fe.hint))
            continue
        node = _key_node(root, fe.loc) if fe.kind == "extra_forbidden" and fe.loc else node_at(root, fe.loc)
        if node is None:
            out.append(Problem(path, first_line, fe.message, fe.hint))
        else:
            out.append(Problem(path, node.start_mark.line + first_line, fe.message, fe.hint, node.start_mark.column + 1))
    return out


def read_file(path: Path) -> tuple[str | None, Problem | None]:
    """The text of a content file, or the problem that keeps it from being read; never raises.

    A directory named like a content file (``rules/x.yaml/``), a file that is not UTF-8
    and a file that cannot be opened are each a ``Problem`` naming the file, so that
    ``shouhou lint`` and ``shouhou import`` report them instead of crashing.  Line ends
    are read as ``read_text`` reads them (``\\r\\n`` → ``\\n``).
    """
    if path.is_dir():
        return None, Problem(str(path), 1, "这是一个目录，不是内容文件；请改名或移走")
    try:
        raw = path.read_bytes()
    except OSError as e:
        return None, Problem(str(path), 1, f"无法读取这个文件：{e.strerror or type(e).__name__}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        return None, Problem(str(path), line, f"不是 UTF-8 编码的文本（第 {line} 行有无法识别的字节）；请另存为 UTF-8 后再试")
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


def parse_intent(text: str, path: str = "<intent>") -> tuple[IntentSpec | OutOfScope | None, list[Problem]]:
    doc = read_yaml(text, path)
    if doc.problems and doc.root is None:
        return None, doc.problems
    if not isinstance(doc.data, dict):
        return None, [Problem(path, 1, "文件内容应是「名称: 内容」的形式（id、label、examples…）",
                              "第一行通常是 id: 意图编号")]
    model = OutOfScope if doc.data.get("id") == "_out_of_scope" else IntentSpec
    try:
        obj = model.model_validate(doc.data)
    except ValidationError as e:
        return None, doc.problems + validation_problems(e, doc.root, path, model)
    return (None, doc.problems) if doc.problems else (obj, [])


def parse_template(text: str, path: str = "<template>") -> tuple[ReplyTemplate | None, list[Problem]]:
    """Parse a template file: YAML front matter between ``---`` lines, then the Jinja body."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != FRONT_MATTER:
        return None, [Problem(path, 1, "模板文件应以一行 --- 开头，接着是 id、intent、title 等信息",
                              "第一行写 ---，信息写完后再写一行 ---，下面才是回复的正文")]
    try:
        close = next(i for i in range(1, len(lines)) if lines[i].strip() == FRONT_MATTER)
    except StopIteration:
        return None, [Problem(path, 1, "模板信息（id、intent、title…）后面缺少结束的 --- 行",
                              "信息写完后另起一行写 ---，下面才是回复的正文")]
    doc = read_yaml("".join(lines[1:close]), path, first_line=2)
    if doc.problems and doc.root is None:
        return None, doc.problems
    if not isinstance(doc.data, dict):
        return None, [Problem(path, 2, "模板信息应是「名称: 内容」的形式（id、intent、title…）")]
    body = "".join(lines[close + 1 :]).strip("\n")
    try:
        tpl = ReplyTemplate.model_validate({**doc.data, "body": body, "body_line": close + 2})
    except ValidationError as e:
        return None, doc.problems + validation_problems(
            e, doc.root, path, TemplateMeta, first_line=2, lines={"body": close + 2, "body_line": close + 2})
    return (None, doc.problems) if doc.problems else (tpl, [])


def dump_intent(intent: IntentSpec) -> str:
    data = intent.model_dump(exclude_defaults=False)
    if not data.get("description"):
        data.pop("description", None)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def template_path(template_id: str) -> str:
    """``color_difference/standard`` -> ``color_difference/standard.j2`` (relative to the replies dir)."""
    return f"{template_id}.j2"


def load_variables(path: Path) -> tuple[dict[str, Variable], list[Problem]]:
    """``templates/variables.yaml``: the variables templates may use, and their placeholder labels."""
    if not path.exists():
        return {}, []
    text, unreadable = read_file(path)
    if unreadable is not None:
        return {}, [unreadable]
    return parse_variables(text, str(path))


def parse_variables(text: str, path: str = "<variables>") -> tuple[dict[str, Variable], list[Problem]]:
    """The variables of a ``variables.yaml`` text (also a stored document, kind ``variables``)."""
    variables: dict[str, Variable] = {}
    problems: list[Problem] = []
    doc = read_yaml(text, path)
    if doc.root is None and doc.problems:
        return variables, doc.problems
    problems += doc.problems
    data = doc.data
    if data is not None and not isinstance(data, dict):
        return variables, [Problem(path, 1, "文件内容应是「variables:」下的列表", "第一行写 variables:，下面每个变量以「- name: …」开头")]
    items = (data or {}).get("variables", [])
    if not isinstance(items, list):
        return variables, [Problem(path, 1, "「variables」应为列表", "每个变量另起一行，以「- name: …」开头，并写上 label")]
    starts = [n for n, line in enumerate(text.splitlines(), start=1) if line.lstrip().startswith("- ")]
    for i, item in enumerate(items):
        line = starts[i] if i < len(starts) else 1
        try:
            v = Variable.model_validate(item)
        except ValidationError as e:
            problems += [
                Problem(path, p.line, f"第 {i + 1} 个变量：{p.message}",
                        p.hint or "每个变量要有 name（小写字母、数字、下划线）和 label，可选 sample、description")
                for p in validation_problems(e, node_at(doc.root, ("variables", i)), path, Variable)
            ] if isinstance(item, dict) else [Problem(path, line, f"第 {i + 1} 个变量应写成「- name: …」和「label: …」")]
            continue
        if v.name in variables:
            problems.append(Problem(path, line, f"变量 {v.name} 重复出现"))
        variables[v.name] = v
    return variables, problems


def load_content(intents_dir: Path, templates_dir: Path) -> tuple[ContentPack, list[Problem]]:
    """Load every intent and template file; return the pack and every problem found."""
    pack = ContentPack()
    problems: list[Problem] = []

    for path in sorted(intents_dir.glob("*.yaml")):
        rel = str(path)
        text, unreadable = read_file(path)
        if unreadable is not None:
            problems.append(unreadable)
            continue
        obj, probs = parse_intent(text, rel)
        problems += probs
        if isinstance(obj, OutOfScope):
            pack.out_of_scope, pack.fragments = obj.examples, obj.fragments
        elif isinstance(obj, IntentSpec):
            if path.stem != obj.id:
                problems.append(Problem(rel, 1, f"文件名应与 id 一致：{obj.id}.yaml"))
            if obj.id in pack.intents:
                problems.append(Problem(rel, 1, f"重复的意图 id：{obj.id}"))
            pack.intents[obj.id] = obj

    pack.variables, var_problems = load_variables(templates_dir.parent / VARIABLES_FILE)
    problems += var_problems

    for path in sorted(templates_dir.rglob("*.j2")):
        rel = str(path)
        text, unreadable = read_file(path)
        if unreadable is not None:
            problems.append(unreadable)
            continue
        tpl, probs = parse_template(text, rel)
        problems += probs
        if tpl is None:
            continue
        expected = path.relative_to(templates_dir).with_suffix("").as_posix()
        if tpl.id != expected:
            problems.append(Problem(rel, 2, f"模板 id 应与路径一致：{expected}"))
        if tpl.id in pack.templates:
            problems.append(Problem(rel, 2, f"重复的模板 id：{tpl.id}"))
        if tpl.intent not in pack.intents:
            problems.append(Problem(rel, 3, f"未知的意图 id：{tpl.intent}"))
        if not tpl.id.startswith(tpl.intent + "/"):
            problems.append(Problem(rel, 2, f"模板 id 应以其意图开头：{tpl.intent}/…"))
        pack.templates[tpl.id] = tpl
    return pack, problems
