"""Rendering reply templates safely.

Templates are written by editors, so they are untrusted code.  Three layers
keep a render small and harmless:

* the language (``language.py``): a template may use only what a reply needs —
  no arithmetic, ``~``, calls, globals or blocks — checked when it is saved,
  linted or previewed, with the line;
* the values: context values are capped before the render starts (strings at
  ``MAX_CONTEXT_VALUE`` characters, numbers at ``MAX_INT_DIGITS`` digits, NaN and
  infinity count as missing, lists and dicts short and shallow), the filters
  that can grow a value compute the result's size before building it, and each
  ``for`` visits at most ``MAX_LOOP_ITEMS`` items;
* the output: at most ``MAX_OUTPUT`` characters, counted as it is produced.

Together these bound the work of a render by the template's size (checked
when it is saved), not by a clock, so the same template and context always
give the same answer, also on a busy machine.  The environment is still
Jinja's ``SandboxedEnvironment``, and attribute and item lookups only reach
into plain data, as a second line behind the static check.

A variable the context lacks renders as a visible placeholder (``【订单号】``)
and is listed in ``missing_vars``; it never fails the request.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field

from jinja2 import Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS
from jinja2.runtime import LoopContext
from jinja2.sandbox import SandboxedEnvironment

from app.rendering.language import (
    ALLOWED_FILTERS,
    LOOP_ATTRS,
    MAX_INT_DIGITS,
    MAX_LOOP_ITEMS,
    RenderError,
    parse,
)

__all__ = ["MAX_CONTEXT_VALUE", "MAX_OUTPUT", "Rendered", "RenderError", "Renderer", "template_problems"]

log = logging.getLogger("shouhou.rendering")

MAX_OUTPUT = 4000  # characters of rendered reply; also the longest value a filter may produce
MAX_CONTEXT_VALUE = 500  # characters of one context string
MAX_CONTEXT_ITEMS = 50  # items of a context list or dict
MAX_CONTEXT_DEPTH = 2  # a list of dicts, at most
SLOW_RENDER_SECONDS = 0.25  # not a limit: a render this slow is logged, since the static bound should prevent it
_LOOP_FILTER = "shouhou_loop_items"  # wrapped around every {% for %}'s iterable; not usable by editors

_MISSING = object()


@dataclass
class Rendered:
    text: str
    missing_vars: list[str] = field(default_factory=list)


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


# -- context values ------------------------------------------------------------------------------


def _plain(value: object, depth: int = 0) -> object:
    """``value`` as plain, bounded data, or ``_MISSING``: no object ever enters a template."""
    if value is None:
        return _MISSING
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**MAX_INT_DIGITS else _MISSING
    if isinstance(value, float):
        return value if math.isfinite(value) else _MISSING
    if isinstance(value, str):
        return value[:MAX_CONTEXT_VALUE]
    if depth >= MAX_CONTEXT_DEPTH:
        return _MISSING
    if isinstance(value, list | tuple):
        items = (_plain(v, depth + 1) for v in value[:MAX_CONTEXT_ITEMS])
        return [v for v in items if v is not _MISSING]
    if isinstance(value, Mapping):
        pairs = ((str(k)[:64], _plain(v, depth + 1)) for k, v in list(value.items())[:MAX_CONTEXT_ITEMS])
        return {k: v for k, v in pairs if v is not _MISSING}
    return _MISSING


def plain_context(context: Mapping[str, object] | None) -> dict[str, object]:
    """The render context: capped values; empty strings, None, NaN and huge numbers count as missing."""
    out = {}
    for key, value in (context or {}).items():
        clean = _plain(value)
        if clean is not _MISSING and clean != "":
            out[str(key)] = clean
    return out


# -- filters -------------------------------------------------------------------------------------


def _too_long(size: int, what: str) -> RenderError:
    return RenderError(f"{what}的结果会有 {size} 个字符，超过上限 {MAX_OUTPUT}")


def _replace(value: object, old: object, new: object, count: int | None = None) -> str:
    s, old, new = str(value), str(old), str(new)
    if not old:
        raise RenderError("replace 要替换的文字不能为空")
    n = s.count(old)
    if count is not None and 0 <= count < n:
        n = count
    size = len(s) + n * (len(new) - len(old))
    if size > MAX_OUTPUT:
        raise _too_long(size, "replace ")
    return s.replace(old, new, n)


def _join(value: object, d: object = "") -> str:
    if isinstance(value, Undefined):
        return str(value)
    parts = [str(v) for v in (value if not isinstance(value, Mapping) else value.keys())]
    sep = str(d)
    size = sum(map(len, parts)) + max(len(parts) - 1, 0) * len(sep)
    if size > MAX_OUTPUT:
        raise _too_long(size, "join ")
    return sep.join(parts)


def _int(value: object, default: int = 0, base: int = 10) -> int:
    if isinstance(value, str):
        digits = value.strip().lstrip("+-").replace("_", "")
        if len(digits) > MAX_INT_DIGITS:
            return default
    elif isinstance(value, float) and not math.isfinite(value):
        return default
    result = FILTERS["int"](value, default, base)
    return result if isinstance(result, int) and abs(result) < 10**MAX_INT_DIGITS else default


def _capped(fn):
    """A Jinja filter whose string result may not exceed ``MAX_OUTPUT`` (upper() can triple a value)."""

    @functools.wraps(fn)  # keeps Jinja's pass_environment/pass_eval_context marks
    def filter_(*args, **kwargs):
        result = fn(*args, **kwargs)
        if isinstance(result, str) and len(result) > MAX_OUTPUT:
            raise _too_long(len(result), f"{fn.__name__} ")
        return result

    return filter_


def _loop_items(value: object, line: int) -> list:
    """Every {% for %} iterates through this: plain values only, at most ``MAX_LOOP_ITEMS``."""
    if isinstance(value, Undefined):
        return []
    if not isinstance(value, str | list | tuple | Mapping):
        raise RenderError("只能对文字、列表或字典做循环", line)
    if len(value) > MAX_LOOP_ITEMS:
        raise RenderError(f"循环最多 {MAX_LOOP_ITEMS} 项（这里有 {len(value)} 项）", line)
    return list(value)


def _finalize(value: object) -> object:
    """What ``{{ … }}`` may print: text, numbers and placeholders — never an object's repr."""
    if isinstance(value, Undefined | str | int | float | list | tuple | dict):
        return value
    raise SecurityError("只能输出文字或数字")


# -- the environment -----------------------------------------------------------------------------


class _ReplySandbox(SandboxedEnvironment):
    """The sandbox, narrowed to plain data: lookups never reach a method or an object."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    intercepted_unops = frozenset({"+", "-"})

    def call_binop(self, context, operator_name, left, right):
        raise SecurityError("模板中不能做算术运算")

    def call_unop(self, context, operator_name, arg):
        if isinstance(arg, int | float) and not isinstance(arg, bool):
            return -arg if operator_name == "-" else arg
        raise SecurityError("模板中不能做算术运算")

    def getattr(self, obj, attribute):
        return self._lookup(obj, attribute)

    def getitem(self, obj, argument):
        return self._lookup(obj, argument)

    def _lookup(self, obj, key):
        if isinstance(obj, Undefined):
            return obj  # a missing base stays visible as its own placeholder
        if isinstance(obj, LoopContext):
            if key in LOOP_ATTRS:
                return getattr(obj, key)
            raise SecurityError(f"loop.{key} 不可用")
        if isinstance(obj, Mapping):
            if isinstance(key, str | int) and key in obj:
                return obj[key]
            return self.undefined(obj=obj, name=str(key))
        if isinstance(obj, str | list | tuple) and isinstance(key, int | slice) and not isinstance(key, bool):
            try:
                return obj[key]
            except IndexError:
                return self.undefined(obj=obj, name=str(key))
        raise RenderError(f"取不到 {key}：文字、数字和列表没有属性或方法，只有字典的键和列表的序号可以取")


_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _render_failure(error: Exception) -> tuple[str, int | None, str]:
    """A render that failed in Python (a comparison of text with a number…), in Chinese."""
    line = None
    tb = error.__traceback__
    while tb is not None:  # the template's own frame carries its line
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    if isinstance(error, TypeError) and "not supported between" in str(error):
        return "比较的两个值类型不同（例如文字和数字）", line, "比较数字前先用 |int 转换，如 {% if amount|int > 100 %}"
    if isinstance(error, TypeError | ValueError):
        return "这里的值用法不对（例如对数字用了只适用于文字的过滤器）", line, "请检查这一行的变量和过滤器"
    return "模板渲染失败", line, "请检查变量和过滤器的用法"


def template_problems(env: SandboxedEnvironment, source: str) -> list[RenderError]:
    """Static checks: syntax, and constructs a reply template has no business using."""
    return parse(env, source)[1]


class Renderer:
    """Renders reply templates with visible placeholders and hard limits."""

    def __init__(self, labels: dict[str, str] | None = None):
        self.labels = labels or {}
        self.env = _ReplySandbox(autoescape=False, undefined=VisiblePlaceholder, finalize=_finalize)
        self.env.globals = {}
        filters = {name: _capped(self.env.filters[name]) for name in ALLOWED_FILTERS}
        filters.update(replace=_replace, join=_join, int=_int)
        filters[_LOOP_FILTER] = _loop_items
        self.env.filters = filters
        self._compiled: dict[str, object] = {}

    def problems(self, source: str) -> list[RenderError]:
        return template_problems(self.env, source)

    def _compile(self, source: str):
        tpl = self._compiled.get(source)
        if tpl is None:
            tree, problems = parse(self.env, source)
            if tree is None:
                raise problems[0]
            for loop in tree.find_all(nodes.For):
                loop.iter = nodes.Filter(loop.iter, _LOOP_FILTER, [nodes.Const(loop.lineno)], [], None, None,
                                         lineno=loop.lineno)
            try:
                tpl = self.env.from_string(tree)
            except Exception as e:  # the checks should make this unreachable; never a 500 if not
                raise RenderError(f"模板无法编译：{type(e).__name__}") from None
            if len(self._compiled) > 5000:
                self._compiled.clear()
            self._compiled[source] = tpl
        return tpl

    def render(self, source: str, context: Mapping[str, object] | None = None) -> Rendered:
        """Render ``source``; raises ``RenderError`` for a broken or abusive template."""
        tpl = self._compile(source)
        ph = _Placeholders(self.labels)
        ctx = plain_context(context)
        started = time.perf_counter()
        out: list[str] = []
        size = 0
        token = _current.set(ph)
        try:
            for chunk in tpl.generate(ctx):
                size += len(chunk)
                if size > MAX_OUTPUT:
                    raise RenderError(f"渲染结果超过 {MAX_OUTPUT} 字")
                out.append(chunk)
        except SecurityError as e:  # our own refusals are Chinese; the sandbox's own are not
            said = str(e)
            raise RenderError(f"模板被安全沙箱拒绝：{said}" if _CHINESE.search(said) else "模板被安全沙箱拒绝",
                              hint="模板里只能用变量、文字、过滤器、if 和 for") from None
        except RenderError:
            raise
        except Exception as e:  # a template bug must not become a 500; Python's words are English
            raise RenderError(*_render_failure(e)) from None
        finally:
            _current.reset(token)
            elapsed = time.perf_counter() - started
            if elapsed > SLOW_RENDER_SECONDS:  # the static bound should make this impossible: say so if not
                log.warning("slow template render: %.0f ms, %d characters of template", elapsed * 1000, len(source))
        return Rendered("".join(out).strip(), ph.missing)
