"""Reading and writing content as files: ``intents/*.yaml`` and ``templates/replies/**.j2``.

Files are how content is bundled, reviewed in git, exported and imported.  A
problem in a file is reported with its path and line (``Problem``) rather than
raised, so that ``shouhou lint`` can list every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from app.content.models import IntentSpec, OutOfScope, ReplyTemplate, TemplateMeta, Variable

FRONT_MATTER = "---"
OUT_OF_SCOPE_FILE = "_out_of_scope.yaml"
VARIABLES_FILE = "variables.yaml"


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class ContentPack:
    """Everything the engine needs besides the rules: intents, templates, variables."""

    intents: dict[str, IntentSpec] = field(default_factory=dict)
    templates: dict[str, ReplyTemplate] = field(default_factory=dict)
    out_of_scope: list[str] = field(default_factory=list)
    variables: dict[str, Variable] = field(default_factory=dict)
    #: Pieces of longer messages that carry no problem by themselves (``_out_of_scope.yaml``).
    fragments: list[str] = field(default_factory=list)


# libyaml's parser when PyYAML was built with it (about 10x faster on the bundled pack).
_LineLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_with_lines(text: str) -> tuple[object, dict[str, int]]:
    lines: dict[str, int] = {}
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        if isinstance(node, yaml.MappingNode):
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    lines[key_node.value] = key_node.start_mark.line + 1
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, lines


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


def _validation_problems(path: str, err: ValidationError, lines: dict[str, int], base: int = 0) -> list[Problem]:
    out = []
    for e in err.errors():
        loc = e["loc"]
        top = str(loc[0]) if loc else ""
        line = base + lines.get(top, 1)
        where = ".".join(str(p) for p in loc)
        out.append(Problem(path, line, f"{where}: {e['msg']}" if where else e["msg"]))
    return out


def parse_intent(text: str, path: str = "<intent>") -> tuple[IntentSpec | OutOfScope | None, list[Problem]]:
    try:
        data, lines = _yaml_with_lines(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        return None, [Problem(path, (mark.line + 1) if mark else 1, f"YAML 格式错误：{e}")]
    if not isinstance(data, dict):
        return None, [Problem(path, 1, "文件内容应是一个映射（id、label、examples…）")]
    model = OutOfScope if data.get("id") == "_out_of_scope" else IntentSpec
    try:
        return model.model_validate(data), []
    except ValidationError as e:
        return None, _validation_problems(path, e, lines)


def parse_template(text: str, path: str = "<template>") -> tuple[ReplyTemplate | None, list[Problem]]:
    """Parse a template file: YAML front matter between ``---`` lines, then the Jinja body."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != FRONT_MATTER:
        return None, [Problem(path, 1, "模板文件应以 --- 开头的元数据（id、intent、title…）开始")]
    try:
        close = next(i for i in range(1, len(lines)) if lines[i].strip() == FRONT_MATTER)
    except StopIteration:
        return None, [Problem(path, 1, "元数据缺少结束的 --- 行")]
    try:
        meta, key_lines = _yaml_with_lines("".join(lines[1:close]))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        return None, [Problem(path, (mark.line + 2) if mark else 1, f"元数据 YAML 格式错误：{e}")]
    if not isinstance(meta, dict):
        return None, [Problem(path, 2, "元数据应是一个映射（id、intent、title…）")]
    body = "".join(lines[close + 1 :]).strip("\n")
    try:
        tpl = ReplyTemplate.model_validate({**meta, "body": body, "body_line": close + 2})
    except ValidationError as e:
        return None, _validation_problems(path, e, key_lines, base=1)
    return tpl, []


def dump_intent(intent: IntentSpec) -> str:
    data = intent.model_dump(exclude_defaults=False)
    if not data.get("description"):
        data.pop("description", None)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def dump_template(tpl: ReplyTemplate | TemplateMeta, body: str | None = None) -> str:
    meta = TemplateMeta.model_validate(tpl.model_dump(include=set(TemplateMeta.model_fields)))
    front = yaml.safe_dump(meta.model_dump(exclude_none=True), allow_unicode=True, sort_keys=False, width=1000)
    text = body if body is not None else getattr(tpl, "body", "")
    return f"{FRONT_MATTER}\n{front}{FRONT_MATTER}\n{text.rstrip()}\n"


def template_path(template_id: str) -> str:
    """``color_difference/standard`` -> ``color_difference/standard.j2`` (relative to the replies dir)."""
    return f"{template_id}.j2"


def load_variables(path: Path) -> tuple[dict[str, Variable], list[Problem]]:
    """``templates/variables.yaml``: the variables templates may use, and their placeholder labels."""
    variables: dict[str, Variable] = {}
    problems: list[Problem] = []
    if not path.exists():
        return variables, problems
    text, unreadable = read_file(path)
    if unreadable is not None:
        return variables, [unreadable]
    try:
        data, _ = _yaml_with_lines(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        return variables, [Problem(str(path), (mark.line + 1) if mark else 1, f"YAML 格式错误：{e}")]
    if data is not None and not isinstance(data, dict):
        return variables, [Problem(str(path), 1, "文件内容应是一个映射（variables: …）")]
    for item in (data or {}).get("variables", []):
        try:
            v = Variable.model_validate(item)
            variables[v.name] = v
        except ValidationError as e:
            problems.append(Problem(str(path), 1, str(e)))
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
