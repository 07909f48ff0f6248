"""The reply-template language: which Jinja constructs a reply template may use.

A reply template fills a few order values into friendly text.  It needs
variables, literals, a handful of filters, ``if``/``elif``/``else`` with
comparisons, one level of ``for`` over a context value, ``set`` of a simple
value, comments and whitespace control — and nothing else.  ``check`` walks the
parsed template and accepts only those node types (an allow-list: a construct
nobody thought of is refused by default), so arithmetic, ``~``, ``%``-formatting,
calls, attribute access on literals, Jinja's globals (``range``, ``self``,
``cycler``…), blocks, macros and includes never reach the renderer.

Because nothing can multiply a value, the work of a render is bounded by the
template's size times the loop bound; ``check`` computes that bound when the
template is saved and refuses a template over ``MAX_STEPS``.  Every message is
in Chinese and carries the line of the template it is about.
"""

from __future__ import annotations

import math

from jinja2 import TemplateSyntaxError, nodes
from jinja2.environment import Environment

from app.content.problems import Problem, jinja_message

MAX_TEMPLATE_CHARS = 4000  # a reply template body (the bundled ones are under 600)
MAX_LOOP_ITEMS = 500  # items one {% for %} may visit (a context string is at most 500 characters)
MAX_STEPS = 20_000  # nodes evaluated in the worst case: a loop body counts MAX_LOOP_ITEMS times
MAX_BLOCK_DEPTH = 8  # if/for nested in each other
MAX_EXPR_DEPTH = 12  # brackets, filters and tests nested in one expression
MAX_INT_DIGITS = 30  # order numbers have 19 digits

ALLOWED_FILTERS = frozenset(
    {"default", "d", "trim", "upper", "lower", "truncate", "replace", "length", "first", "last", "join", "int", "string"}
)
ALLOWED_TESTS = frozenset(
    {
        "defined", "undefined", "none", "number", "string", "integer", "float", "boolean", "true", "false",
        "even", "odd", "lower", "upper", "sequence", "mapping", "in",
        "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=",
    }
)
# Filters that do work in Python per item of their value count as this many steps (measured: a join over
# 500 items costs what 100 plain nodes cost; a replace that grows a 500-character value, 20).
FILTER_STEPS = {"join": 100, "replace": 20}
LOOP_ATTRS = frozenset({"index", "index0", "revindex", "revindex0", "first", "last", "length", "previtem", "nextitem"})
_COMPARISONS = frozenset({"eq", "ne", "lt", "lteq", "gt", "gteq", "in", "notin"})
# Names Jinja gives a meaning of its own: as a bare value each renders an object.
RESERVED_NAMES = frozenset({"range", "dict", "lipsum", "cycler", "joiner", "namespace", "self", "caller", "varargs",
                            "kwargs", "super", "loop"})

_ARITHMETIC = {nodes.Add: "+", nodes.Sub: "-", nodes.Mul: "*", nodes.Div: "/", nodes.FloorDiv: "//", nodes.Mod: "%",
               nodes.Pow: "**"}
_REFUSED_STATEMENTS = {
    nodes.Include: "模板中不能使用 include",
    nodes.Import: "模板中不能使用 import",
    nodes.FromImport: "模板中不能使用 import",
    nodes.Extends: "模板中不能使用 extends",
    nodes.Block: "模板中不能使用 block",
    nodes.Macro: "模板中不能定义宏（macro）",
    nodes.CallBlock: "模板中不能使用 call 块",
    nodes.FilterBlock: "模板中不能使用 filter 块，请把过滤器写在变量后：{{ 变量|trim }}",
    nodes.AssignBlock: "模板中不能使用 {% set %}…{% endset %} 块，请写成 {% set 名称 = 值 %}",
    nodes.With: "模板中不能使用 with，请用 {% set 名称 = 值 %}",
}


class RenderError(Exception):
    """A template that cannot be rendered (syntax error, refused construct, over a limit).

    ``message`` is in Chinese; ``hint`` says what to write instead, when there is a usual fix.
    """

    def __init__(self, message: str, line: int | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.hint = hint

    def problem(self, path: str, line_offset: int = 0) -> Problem:
        """This error as a ``Problem`` of the file the template body is in (it starts ``line_offset`` lines down)."""
        return Problem(path, (self.line or 1) + line_offset, self.message, self.hint)


def parse(env: Environment, source: str) -> tuple[nodes.Template | None, list[RenderError]]:
    """Parse ``source`` and check it; the tree is returned only when it is fit to render."""
    if len(source) > MAX_TEMPLATE_CHARS:
        return None, [RenderError(f"模板正文最多 {MAX_TEMPLATE_CHARS} 个字符（现在 {len(source)} 个）", 1)]
    try:
        deep = _too_deep(env, source)
        if deep is not None:
            return None, [deep]
        tree = env.parse(source)
    except TemplateSyntaxError as e:  # Jinja's words are English: the kind of error, in Chinese
        line, message, hint = jinja_message(e.message or "", source, e.lineno)
        return None, [RenderError(message, line, hint)]
    except RecursionError:  # the parser recurses once per bracket or block; _too_deep should stop it first
        return None, [RenderError("模板嵌套太深，请拆开写", 1)]
    checker = _Checker()
    checker.statements(tree.body, depth=0, weight=1, in_loop=False)
    if not checker.problems and checker.steps > MAX_STEPS:
        checker.refuse(checker.heaviest_loop or tree,
                       f"循环体太大：最坏情况下要计算 {checker.steps} 步（上限 {MAX_STEPS}），请精简循环里的内容")
    problems = sorted(checker.problems, key=lambda p: p.line or 0)
    return (None if problems else tree), problems


_OPENING_BLOCKS = frozenset({"if", "for", "macro", "call", "filter", "with", "block", "autoescape"})


def _too_deep(env: Environment, source: str) -> RenderError | None:
    """Brackets or blocks nested past the limits, found from the tokens: Jinja's parser recurses on them."""
    brackets = blocks = 0
    after_block_begin = False
    for line, kind, value in env.lex(source):
        if kind == "operator" and value in "([{":
            brackets += 1
            if brackets > MAX_EXPR_DEPTH:
                return RenderError("表达式嵌套太深，请拆开写", line)
        elif kind == "operator" and value in ")]}":
            brackets -= 1
        elif after_block_begin and kind == "name":
            if value in _OPENING_BLOCKS:
                blocks += 1
                if blocks > MAX_BLOCK_DEPTH:
                    return RenderError(f"if/for 最多嵌套 {MAX_BLOCK_DEPTH} 层", line)
            elif value.startswith("end"):
                blocks -= 1
        after_block_begin = kind == "block_begin"
    return None


class _Checker:
    """One walk over the tree: refuses what is not allowed and counts the worst-case steps."""

    def __init__(self) -> None:
        self.problems: list[RenderError] = []
        self.steps = 0
        self.heaviest_loop: nodes.For | None = None
        self._heaviest = 0

    def refuse(self, node: nodes.Node, message: str) -> None:
        self.problems.append(RenderError(message, getattr(node, "lineno", None) or 1))

    # -- statements ---------------------------------------------------------------------------

    def statements(self, body: list[nodes.Node], depth: int, weight: int, in_loop: bool) -> None:
        for node in body:
            self.statement(node, depth, weight, in_loop)

    def statement(self, node: nodes.Node, depth: int, weight: int, in_loop: bool) -> None:
        self.steps += weight
        if depth > MAX_BLOCK_DEPTH:
            self.refuse(node, f"if/for 最多嵌套 {MAX_BLOCK_DEPTH} 层")
            return
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    self.steps += weight
                else:
                    self.expr(child, 0, weight, in_loop)
        elif isinstance(node, nodes.If):
            self.expr(node.test, 0, weight, in_loop)
            self.statements(node.body, depth + 1, weight, in_loop)
            for branch in node.elif_:
                self.statement(branch, depth, weight, in_loop)
            self.statements(node.else_, depth + 1, weight, in_loop)
        elif isinstance(node, nodes.For):
            self.for_loop(node, depth, weight, in_loop)
        elif isinstance(node, nodes.Assign):
            self.target(node.target, allow_tuple=False)
            self.expr(node.node, 0, weight, in_loop)
        elif type(node) in _REFUSED_STATEMENTS:
            self.refuse(node, _REFUSED_STATEMENTS[type(node)])
        else:
            self.refuse(node, f"模板中不能使用这种语句（{type(node).__name__}）")

    def for_loop(self, node: nodes.For, depth: int, weight: int, in_loop: bool) -> None:
        if in_loop:
            self.refuse(node, "模板中循环不能嵌套")
            return
        if node.recursive:
            self.refuse(node, "模板中不能使用递归循环（recursive）")
            return
        self.target(node.target, allow_tuple=True)
        self.expr(node.iter, 0, weight, in_loop)
        before = self.steps
        inner = weight * MAX_LOOP_ITEMS
        if node.test is not None:
            self.expr(node.test, 0, inner, True)
        self.statements(node.body, depth + 1, inner, True)
        if self.steps - before > self._heaviest:
            self._heaviest, self.heaviest_loop = self.steps - before, node
        self.statements(node.else_, depth + 1, weight, in_loop)

    def target(self, node: nodes.Node, allow_tuple: bool) -> None:
        names = node.items if allow_tuple and isinstance(node, nodes.Tuple) else [node]
        for name in names:
            if not isinstance(name, nodes.Name):
                self.refuse(node, "set 和 for 只能赋值给一个名称，例如 {% set 称呼 = buyer_name %}")
            elif name.name in RESERVED_NAMES or name.name.startswith("_"):
                self.refuse(node, f"{name.name} 是保留的名称，请换一个名称")

    # -- expressions --------------------------------------------------------------------------

    def expr(self, node: nodes.Node, depth: int, weight: int, in_loop: bool) -> None:
        self.steps += weight
        if depth > MAX_EXPR_DEPTH:
            self.refuse(node, "表达式嵌套太深，请拆开写")
            return
        sub = depth + 1

        def each(*children: nodes.Node | None) -> None:
            for child in children:
                if child is not None:
                    self.expr(child, sub, weight, in_loop)

        if isinstance(node, nodes.Const):
            self.constant(node)
        elif isinstance(node, nodes.Name):
            self.name(node)
        elif isinstance(node, nodes.Getattr):
            self.getattr(node, sub, weight, in_loop)
        elif isinstance(node, nodes.Getitem):
            if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str) and node.arg.value.startswith("_"):
                self.refuse(node, f"模板中不能访问内部属性 {node.arg.value}")
                return
            each(node.node, node.arg)
        elif isinstance(node, nodes.Slice):
            each(node.start, node.stop, node.step)
        elif isinstance(node, nodes.Filter):
            self.filter(node, sub, weight, in_loop)
        elif isinstance(node, nodes.Test):
            if node.name not in ALLOWED_TESTS:
                self.refuse(node, f"模板中不能使用判断 is {node.name}")
                return
            self.arguments(node, sub, weight, in_loop)
        elif isinstance(node, nodes.Compare):
            each(node.expr)
            for op in node.ops:
                if op.op not in _COMPARISONS:
                    self.refuse(node, f"模板中不能使用比较 {op.op}")
                each(op.expr)
        elif isinstance(node, nodes.And | nodes.Or):
            each(node.left, node.right)
        elif isinstance(node, nodes.Not):
            each(node.node)
        elif isinstance(node, nodes.CondExpr):
            each(node.test, node.expr1, node.expr2)
        elif isinstance(node, nodes.Neg | nodes.Pos):
            if not (isinstance(node.node, nodes.Const) and _is_number(node.node.value)):
                self.refuse(node, "模板中不能做算术运算（只能写负数常量，如 -1）")
        elif isinstance(node, nodes.List | nodes.Tuple | nodes.Dict):
            if not _literal(node):
                self.refuse(node, "列表和字典里只能写常量（文字或数字），不能放变量")
        elif isinstance(node, nodes.Concat):
            self.refuse(node, "模板中不能用 ~ 拼接，请直接把变量写在文字里：{{ buyer_name }}您好")
        elif type(node) in _ARITHMETIC:
            self.refuse(node, f"模板中不能做算术运算（{_ARITHMETIC[type(node)]}）")
        elif isinstance(node, nodes.Call):
            self.refuse(node, "模板中不能调用函数或方法（如 range()、.format()）")
        else:
            self.refuse(node, f"模板中不能使用这种写法（{type(node).__name__}）")

    def constant(self, node: nodes.Const) -> None:
        value = node.value
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return
        if isinstance(value, int):
            if abs(value) >= 10**MAX_INT_DIGITS:
                self.refuse(node, f"数字常量最多 {MAX_INT_DIGITS} 位")
        elif isinstance(value, float):
            if not math.isfinite(value):
                self.refuse(node, "数字常量太大")
        else:
            self.refuse(node, f"模板中不能使用这种常量（{type(value).__name__}）")

    def name(self, node: nodes.Name) -> None:
        if node.name == "loop":
            self.refuse(node, "loop 只能这样用：loop.index、loop.first、loop.last、loop.length")
        elif node.name in RESERVED_NAMES:
            self.refuse(node, f"{node.name} 不是模板变量，不能在回复模板中使用")
        elif node.name.startswith("_"):
            self.refuse(node, f"模板中不能使用以下划线开头的名称 {node.name}")

    def getattr(self, node: nodes.Getattr, depth: int, weight: int, in_loop: bool) -> None:
        if node.attr.startswith("_"):
            self.refuse(node, f"模板中不能访问内部属性 {node.attr}")
        elif isinstance(node.node, nodes.Name) and node.node.name == "loop":
            if not in_loop:
                self.refuse(node, "loop 只能在 {% for %} 循环里使用")
            elif node.attr not in LOOP_ATTRS:
                self.refuse(node, f"loop.{node.attr} 不可用（可用：{'、'.join(sorted(LOOP_ATTRS))}）")
        elif isinstance(node.node, nodes.Const | nodes.List | nodes.Tuple | nodes.Dict):
            self.refuse(node, f"模板中不能读取常量的属性或方法（.{node.attr}）")
        else:
            self.expr(node.node, depth, weight, in_loop)

    def filter(self, node: nodes.Filter, depth: int, weight: int, in_loop: bool) -> None:
        if node.name not in ALLOWED_FILTERS:
            self.refuse(node, f"模板中不能使用过滤器 {node.name}（可用：{'、'.join(sorted(ALLOWED_FILTERS))}）")
            return
        if node.name == "replace" and node.args and isinstance(node.args[0], nodes.Const) and node.args[0].value == "":
            self.refuse(node, "replace 要替换的文字不能为空")
            return
        self.steps += weight * FILTER_STEPS.get(node.name, 0)
        self.arguments(node, depth, weight, in_loop)

    def arguments(self, node: nodes.Filter | nodes.Test, depth: int, weight: int, in_loop: bool) -> None:
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            self.refuse(node, "过滤器和判断的参数不能用 * 或 ** 展开")
            return
        if node.node is not None:
            self.expr(node.node, depth, weight, in_loop)
        for arg in node.args:
            self.expr(arg, depth, weight, in_loop)
        for kw in node.kwargs:
            self.expr(kw.value, depth, weight, in_loop)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _literal(node: nodes.Node) -> bool:
    """A list, tuple or dict written out of constants only (so no value can be repeated into it)."""
    if isinstance(node, nodes.Const):
        return not _is_number(node.value) or abs(node.value) < 10**MAX_INT_DIGITS
    if isinstance(node, nodes.Neg | nodes.Pos):
        return isinstance(node.node, nodes.Const) and _is_number(node.node.value)
    if isinstance(node, nodes.List | nodes.Tuple):
        return all(_literal(item) for item in node.items)
    if isinstance(node, nodes.Dict):
        return all(_literal(p.key) and _literal(p.value) for p in node.items)
    return False
