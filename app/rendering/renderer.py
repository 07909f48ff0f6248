"""Rendering reply templates safely.

Templates are written by editors, so they are untrusted code: they run in
Jinja's ``SandboxedEnvironment`` (no Python internals, no ``.format``), and a
static check (``template_problems``) refuses what a reply template never needs
(``attr``, calls, includes, imports, macros, deeply nested loops).  At render
time, output size, string repetition and ``range`` are bounded, so a template
cannot exhaust the server.

A variable the context lacks renders as a visible placeholder (``【订单号】``)
and is listed in ``missing_vars``; it never fails the request.
"""

from __future__ import annotations

import operator
import time
from contextvars import ContextVar
from dataclasses import dataclass, field

from jinja2 import TemplateSyntaxError, Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

MAX_OUTPUT = 4000  # characters of rendered reply
MAX_RENDER_SECONDS = 0.05
MAX_RANGE = 100
MAX_CONTEXT_VALUE = 500
ALLOWED_FILTERS = frozenset({"default", "d", "trim", "upper", "lower", "truncate", "replace", "length", "first", "last", "join", "int", "string"})


class RenderError(Exception):
    """A template that cannot be rendered (syntax error, refused construct, over a limit)."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Rendered:
    text: str
    missing_vars: list[str] = field(default_factory=list)


def _safe_range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise SecurityError(f"range 最多 {MAX_RANGE} 项")
    return r


class _Placeholders:
    """Per-render record of missing variables, with their visible labels."""

    def __init__(self, labels: dict[str, str]):
        self.labels = labels
        self.missing: list[str] = []


# The render in progress on this thread/task; the Undefined class reports to it.
_current: ContextVar[_Placeholders | None] = ContextVar("shouhou_render", default=None)


class VisiblePlaceholder(Undefined):
    """A missing variable: rendered as 【label】 and recorded in ``missing_vars``."""

    __slots__ = ()

    def __str__(self) -> str:
        name = self._undefined_name or "?"
        record = _current.get()
        if record is None:
            return f"【{name}】"
        if name not in record.missing:
            record.missing.append(name)
        return f"【{record.labels.get(name, name)}】"

    def __iter__(self):
        return iter(())

    def __bool__(self) -> bool:
        return False


class _BoundedSandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+"})

    def call_binop(self, context, operator_name, left, right):
        if operator_name == "**":
            if isinstance(right, int | float) and abs(right) > 32:
                raise SecurityError("指数过大")
            return operator.pow(left, right)
        if operator_name == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(n, int) and len(seq) * n > MAX_OUTPUT:
                    raise SecurityError("重复次数过多")
            return operator.mul(left, right)
        result = operator.add(left, right)
        if isinstance(result, str | list | tuple) and len(result) > MAX_OUTPUT:
            raise SecurityError("拼接结果过长")
        return result


def template_problems(env: SandboxedEnvironment, source: str) -> list[RenderError]:
    """Static checks: syntax, and constructs a reply template has no business using."""
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as e:
        return [RenderError(f"模板语法错误：{e.message}", e.lineno)]
    problems: list[RenderError] = []
    refused = {
        nodes.Call: "模板中不能调用函数或方法（如 .format、range 以外的调用）",
        nodes.Include: "模板中不能使用 include",
        nodes.Import: "模板中不能使用 import",
        nodes.FromImport: "模板中不能使用 import",
        nodes.Extends: "模板中不能使用 extends",
        nodes.Macro: "模板中不能定义宏（macro）",
        nodes.CallBlock: "模板中不能使用 call 块",
    }
    for node_type, message in refused.items():
        for node in ast.find_all(node_type):
            if node_type is nodes.Call and isinstance(node.node, nodes.Name) and node.node.name == "range":
                continue
            problems.append(RenderError(message, node.lineno))
    for node in ast.find_all(nodes.Getattr):
        if node.attr.startswith("_"):
            problems.append(RenderError(f"模板中不能访问内部属性 {node.attr}", node.lineno))
    for node in ast.find_all(nodes.Filter):
        if node.name not in ALLOWED_FILTERS:
            problems.append(RenderError(f"模板中不能使用过滤器 {node.name}", node.lineno))
    for loop in ast.find_all(nodes.For):
        if any(True for _ in loop.find_all(nodes.For)):
            problems.append(RenderError("模板中循环不能嵌套", loop.lineno))
    return sorted(problems, key=lambda p: p.line or 0)


class Renderer:
    """Renders reply templates with visible placeholders and hard limits."""

    def __init__(self, labels: dict[str, str] | None = None):
        self.labels = labels or {}
        self.env = _BoundedSandbox(autoescape=False, undefined=VisiblePlaceholder)
        self.env.globals = {"range": _safe_range}
        self._compiled: dict[str, object] = {}

    def problems(self, source: str) -> list[RenderError]:
        return template_problems(self.env, source)

    def _compile(self, source: str):
        tpl = self._compiled.get(source)
        if tpl is None:
            problems = self.problems(source)
            if problems:
                raise problems[0]
            tpl = self.env.from_string(source)
            if len(self._compiled) > 5000:
                self._compiled.clear()
            self._compiled[source] = tpl
        return tpl

    def render(self, source: str, context: dict[str, object] | None = None) -> Rendered:
        """Render ``source``; raises ``RenderError`` for a broken or abusive template."""
        tpl = self._compile(source)
        ph = _Placeholders(self.labels)
        ctx = {
            k: (v[:MAX_CONTEXT_VALUE] if isinstance(v, str) else v)
            for k, v in (context or {}).items()
            if v is not None and v != ""
        }
        deadline = time.perf_counter() + MAX_RENDER_SECONDS
        out: list[str] = []
        size = 0
        token = _current.set(ph)
        try:
            for chunk in tpl.generate(ctx):
                size += len(chunk)
                if size > MAX_OUTPUT:
                    raise RenderError(f"渲染结果超过 {MAX_OUTPUT} 字")
                if time.perf_counter() > deadline:
                    raise RenderError("渲染超时")
                out.append(chunk)
        except SecurityError as e:
            raise RenderError(f"模板被安全沙箱拒绝：{e}") from None
        except RenderError:
            raise
        except Exception as e:  # a template bug must not become a 500
            raise RenderError(f"模板渲染失败：{type(e).__name__}: {e}") from None
        finally:
            _current.reset(token)
        return Rendered("".join(out).strip(), ph.missing)
