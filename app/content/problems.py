"""What is wrong with a content file, in Chinese: one ``Problem`` type and the translators.

Editors are a shop's 客服主管, who know no YAML, Jinja or regular expressions.  Every
problem they can cause is a ``Problem`` (path, line, column if known, a message and an
optional hint), printed the same way by ``shouhou lint`` and the editing API::

    intents/color_difference.yaml:3: 这一行多了一个冒号「:」（提示：含冒号的文字请用引号括起来）

The parsers' own messages (PyYAML's, ``re``'s, Jinja's, pydantic's) are English and
name parser states; they are translated here by their kind, never passed through:

- ``yaml_problem``: a YAML syntax error, with the line where the editor should look;
- ``regex_message``: a ``re.error``, with the position in the pattern;
- ``jinja_message``: a Jinja ``TemplateSyntaxError``, with the line of the unclosed tag;
- ``field_errors``: pydantic's validation errors (files, rules, settings and the HTTP
  422s), with a did-you-mean for a mistyped field name.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pydantic import BaseModel

from app.content.models import ID_RE, TEMPLATE_ID_RE


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a content file: where (path, line, column) and why, in Chinese."""

    path: str
    line: int
    message: str
    hint: str | None = None
    column: int | None = None

    @property
    def text(self) -> str:
        """The message with its hint: ``这一行多了一个冒号「:」（提示：…）``."""
        return f"{self.message}（提示：{self.hint}）" if self.hint else self.message

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"

    def as_dict(self) -> dict:
        """The item of a ``problems`` list in the API: ``{"line", "message"}`` (the message with its
        hint, as shown to editors), plus ``hint`` and ``column`` when known."""
        out: dict = {"line": self.line, "message": self.text}
        if self.hint:
            out["hint"] = self.hint
        if self.column is not None:
            out["column"] = self.column
        return out


# ----------------------------------------------------------------------------- YAML

#: A line's start, as YAML reads it: indentation, an optional list dash.
_KEY_FULLWIDTH = re.compile(r"^\s*(?:-\s+)?[^\s:：#'\"\[\]{},]+：")
_KEY_NO_SPACE = re.compile(r"^\s*(?:-\s+)?[A-Za-z_][\w-]*:(?=[^\s/])")
_QUOTED_THEN_TEXT = re.compile(r"""^\s*(?:-\s+)?[^:#]*:\s+(["']).*?\1\s*[^\s#]""")

_QUOTE_HINT = "请用引号把这段文字括起来，例如 label: \"注意：这里\""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _mark_line(mark) -> int | None:
    return mark.line + 1 if mark is not None else None


def _mark_column(mark) -> int | None:
    return mark.column + 1 if mark is not None else None


def yaml_problem(error: Exception, text: str, path: str, first_line: int = 1) -> Problem:
    """A YAML syntax error (PyYAML's or ruamel's ``MarkedYAMLError``) as a ``Problem`` in Chinese.

    ``text`` is the YAML that was read, ``first_line`` the line of the file it starts on
    (2 for a template's front matter).  The line is the one the editor should look at:
    where a quote or bracket was opened, where the colon is missing.
    """
    problem = str(getattr(error, "problem", None) or "")
    context = str(getattr(error, "context", None) or "")
    pmark = getattr(error, "problem_mark", None)
    cmark = getattr(error, "context_mark", None)
    lines = text.splitlines()
    base = first_line - 1
    if pmark is None and isinstance(getattr(error, "position", None), int):  # a character YAML cannot read
        line = text.count("\n", 0, error.position) + 1
        code = getattr(error, "character", None)
        shown = f"（编码 {ord(code):#06x}）" if isinstance(code, str) and len(code) == 1 else ""
        return Problem(path, base + line, f"这一行有无法识别的特殊字符{shown}", "请删掉这个看不见的字符后再试")

    def at(mark, message: str, hint: str | None) -> Problem:
        line = _mark_line(mark) or _mark_line(pmark) or 1
        column = _mark_column(mark) if mark is not None else _mark_column(pmark)
        return Problem(path, base + line, message, hint, column)

    def source_line(mark) -> str:
        n = _mark_line(mark)
        return lines[n - 1] if n is not None and 0 < n <= len(lines) else ""

    # A character the editor can see on the line, whatever the parser made of it.
    for mark in (cmark, pmark):
        here = source_line(mark)
        if "\t" in here[: len(here) - len(here.lstrip())] or (
            pmark is not None and mark is pmark and here[pmark.column : pmark.column + 1] == "\t"
        ):
            return at(mark, "这一行用了 Tab 键缩进", "这里只能用空格缩进：请把 Tab 换成空格")
    if "quoted scalar" in context:
        return at(cmark, "引号没有配对：这里开始的引号没有结尾的引号", "文字两边的引号要成对，并且用同一种（\" 或 '）")
    if "flow sequence" in context:
        return at(cmark, "方括号「[」没有配对的「]」", "写成 [甲, 乙, 丙] 时两边的方括号都要写上；文字里有「[」时请用引号括起来")
    if "flow mapping" in context:
        return at(cmark, "花括号「{」没有配对的「}」",
                  "文字里有「{」（如 {{ 变量 }}）时，请用引号把整段文字括起来")
    if "mapping values are not allowed" in problem:
        n = _mark_line(pmark) or 1
        here = lines[n - 1] if 0 < n <= len(lines) else ""
        prev_n = next((i for i in range(n - 1, 0, -1) if lines[i - 1].strip()), 0)
        prev = lines[prev_n - 1] if prev_n else ""
        if prev and _KEY_FULLWIDTH.match(prev) and ":" not in prev:
            return Problem(path, base + prev_n, "名称后面用了中文冒号「：」",
                           "名称和内容之间要用英文半角冒号加空格「: 」，如 label: 色差")
        if (prev and _indent(here) > _indent(prev) and not prev.rstrip().endswith(":")
                and not prev.lstrip().startswith("-")):
            return at(pmark, "这一行的缩进不对：比上一行多了空格", "同一级的名称要对齐，用同样多的空格开头")
        return at(pmark, "这一行的文字里有冒号「:」，被当成了新的名称",
                  "含冒号的文字请用引号括起来，例如 label: \"注意: 这里\"")
    if "could not find expected ':'" in problem or "simple key" in context:
        here = source_line(cmark)
        if _KEY_FULLWIDTH.match(here):
            return at(cmark, "名称后面用了中文冒号「：」", "名称和内容之间要用英文半角冒号加空格「: 」，如 label: 色差")
        if _KEY_NO_SPACE.match(here):
            return at(cmark, "冒号后面缺少空格", "冒号后面要有空格：写成「名称: 内容」，如 label: 色差")
        return at(cmark, "这一行缺少冒号「:」", "每一项要写成「名称: 内容」；列表里的一条要以「- 」开头")
    if "block collection" in context or "'-' indicator" in problem:
        return at(pmark, "列表里的这一行没有以「- 」开头", "列表的每一条都要以「- 」开头；如果这是一个新的名称，请和上面的名称对齐")
    if "block mapping" in context or "<block end>" in problem or "expected key" in problem:
        here = source_line(pmark)
        if _QUOTED_THEN_TEXT.match(here):
            return at(pmark, "引号后面还有文字", "请把整段文字都放进引号里，例如把 label: \"色差\" 之类 改成 label: \"色差之类\"")
        return at(pmark, "这一行的缩进不对", "同一级的内容要对齐（用同样多的空格开头），下一级比上一级多缩进两个空格")
    if "alias" in problem or "alias" in context:
        return at(pmark, "以「*」开头的文字被当成了引用", _QUOTE_HINT)
    if "anchor" in context:
        return at(cmark, "以「&」开头的文字被当成了锚点", _QUOTE_HINT)
    if "cannot start any token" in problem:
        here = source_line(pmark)
        ch = here[pmark.column : pmark.column + 1] if pmark is not None else ""
        return at(pmark, f"「{ch or '这个符号'}」不能放在文字的开头", _QUOTE_HINT)
    if "directive" in context or "document start" in problem:
        return at(pmark, "「%」不能放在一行的开头", _QUOTE_HINT)
    if "another document" in problem:
        return at(pmark, "文件中间多了一行「---」", "一个文件只能有一份内容：请删掉这一行，或用引号把它括起来")
    at_end = pmark is not None and (pmark.line >= len(lines) or not "".join(lines[pmark.line:]).strip())
    if at_end and (opened := _unclosed_bracket(lines)) is not None:
        line, ch = opened
        pair = {"[": "]", "{": "}"}[ch]
        return Problem(path, base + line, f"{'方括号' if ch == '[' else '花括号'}「{ch}」没有配对的「{pair}」",
                       f"两边的括号都要写上；文字里有「{ch}」时请用引号括起来")
    if "node content" in problem or "expected the node" in problem:
        return at(pmark, "这里缺少内容，或多了「]」「}」「,」这样的符号", "请检查这一行的括号和逗号；文字里有这些符号时请用引号括起来")
    if "end of stream" in problem:
        return at(cmark or pmark, "文件没写完：引号或括号没有配对", "请检查引号、方括号和花括号是否成对")
    if "unhashable" in problem:
        if "{{" in source_line(pmark) or "{{" in source_line(cmark):
            return at(pmark, "这一行的「{{ }}」被当成了括号", "含 {{ 变量 }} 的文字请用引号括起来，例如 title: \"{{ order_id }} 的回复\"")
        return at(pmark, "这里的「[」或「{」被当成了括号", _QUOTE_HINT)
    if "constructor" in problem or "tag" in problem:
        return at(pmark, "以「!」开头的文字被当成了类型标记", _QUOTE_HINT)
    return at(pmark or cmark, "这一行的格式有误，无法读取", "请检查这一行的缩进、冒号和引号")


def _unclosed_bracket(lines: list[str]) -> tuple[int, str] | None:
    """The line and character of the innermost ``[`` or ``{`` never closed (outside quotes and comments)."""
    stack: list[tuple[int, str]] = []
    for number, line in enumerate(lines, 1):
        quote = None
        for i, ch in enumerate(line):
            if quote:
                quote = None if ch == quote else quote
            elif ch in "'\"" and (i == 0 or line[i - 1] in " [{,:"):
                quote = ch
            elif ch == "#" and (i == 0 or line[i - 1] == " "):
                break
            elif ch in "[{":
                stack.append((number, ch))
            elif ch in "]}" and stack:
                stack.pop()
    return stack[-1] if stack else None


def duplicate_keys(root, path: str, first_line: int = 1) -> list[Problem]:
    """A name written twice in the same mapping (YAML keeps the last one and drops the first)."""
    out: list[Problem] = []
    stack = [root]
    while stack:
        node = stack.pop()
        value = getattr(node, "value", None)
        if not isinstance(value, list):
            continue
        seen: dict[str, int] = {}
        for item in value:
            if isinstance(item, tuple):
                key, child = item
                name = getattr(key, "value", None)
                if isinstance(name, str) and getattr(key, "tag", "").endswith(":str"):
                    line = key.start_mark.line + first_line
                    if name in seen:
                        out.append(Problem(path, line, f"「{name}」写了两次（第 {seen[name]} 行和第 {line} 行）",
                                           "后面的会覆盖前面的：请把两处合并成一个", key.start_mark.column + 1))
                    else:
                        seen[name] = line
                stack.append(child)
            else:
                stack.append(item)
    return sorted(out, key=lambda p: p.line)


# ----------------------------------------------------------------------------- regular expressions

_ESCAPE_HINT = "要找这个符号本身，请在它前面加反斜杠「\\」；只找固定的文字时，写在 phrases 里更简单"

#: ``re.error``'s messages by kind: (start of the English message, Chinese message, hint).
#: ``{at}`` is the place in the pattern: ``第 3 个字符「(」``.
_REGEX = [
    ("missing ), unterminated subpattern", "括号不配对：{at}没有对应的「)」",
     "要找括号本身，请写成 \\( 或用全角括号（）"),
    ("unbalanced parenthesis", "括号不配对：{at}前面没有对应的「(」", "要找括号本身，请写成 \\) 或用全角括号（）"),
    ("missing ), unterminated comment", "括号不配对：{at}开始的注释没有结尾的「)」", None),
    ("unterminated character set", "方括号不配对：{at}没有对应的「]」", "要找方括号本身，请写成 \\["),
    ("nothing to repeat", "重复符号位置不对：{at}前面没有可以重复的内容", "「*」「+」「?」要跟在文字或括号后面；" + _ESCAPE_HINT),
    ("multiple repeat", "重复符号位置不对：{at}紧跟在另一个重复符号后面", "「*」「+」「?」「{n}」不能连着写；" + _ESCAPE_HINT),
    ("bad escape (end of pattern)", "无效的转义：结尾多了一个反斜杠「\\」", "要找反斜杠本身，请写成 \\\\"),
    ("bad escape", "无效的转义：{at}不是可用的转义", "反斜杠后面只能跟 d（数字）、s（空白）、w（字母数字）或标点；要找反斜杠本身，请写成 \\\\"),
    ("incomplete escape", "无效的转义：{at}没有写完", "\\x 后面要有两位十六进制数字，\\u 后面要有四位"),
    ("bad character range", "字符范围写反了：{at}", "方括号里的范围要从小写到大，如 [0-9]、[a-z]；要找「-」本身，请把它放在方括号的最后"),
    ("min repeat greater than max repeat", "重复次数写反了：{at}", "{m,n} 里 m 不能大于 n，如 {1,3}"),
    ("look-behind requires fixed-width", "向前查看「(?<=…)」「(?<!…)」里的内容长度必须固定", "里面不能用 *、+、? 或 {m,n}"),
    ("global flags not at the start", "标志「(?i)」这类写法只能放在最前面", "请把它移到最前面，或删掉（匹配本来就不分大小写）"),
    ("unknown extension", "括号后的「?」写法不对：{at}", "(?: …) 是不取出的分组，(?P<名称> …) 是命名分组；要找「?」本身，请写成 \\?"),
    ("missing group name", "分组名称没写：{at}", "命名分组写成 (?P<名称> …)"),
    ("missing >", "分组名称没写完：{at}缺少「>」", "命名分组写成 (?P<名称> …)"),
    ("bad character in group name", "分组名称不对：{at}", "分组名称只能用字母、数字和下划线，且不能以数字开头"),
    ("redefinition of group name", "同一个分组名称用了两次：{at}", "每个 (?P<名称> …) 的名称要不同"),
    ("unknown group name", "引用了不存在的分组：{at}", "请检查 (?P=名称) 里的名称是否和前面的 (?P<名称> …) 一致"),
    ("invalid group reference", "引用了不存在的分组：{at}", "\\1、\\2 这样的写法表示引用前面的分组；要找数字，请写成 \\d 或直接写数字"),
    ("cannot refer to", "引用分组的位置不对：{at}", "只能引用已经结束的分组"),
    ("unexpected end of pattern", "正则表达式没有写完", "请检查结尾的括号和符号"),
    ("the repetition number is too large", "重复次数太大：{at}", "请写一个小一些的数字"),
    ("unknown flag", "括号里的标志写法不对：{at}", None),
    ("missing -, : or )", "括号里的标志写法不对：{at}", None),
    ("bad inline flags", "括号里的标志写法不对：{at}", None),
    ("missing :", "括号里的标志写法不对：{at}", None),
]


def regex_message(error: Exception, pattern: str | None = None) -> tuple[str, str | None]:
    """A regular-expression error as ``(message, hint)`` in Chinese, with the position in the pattern.

    ``pattern`` is the pattern as the editor wrote it (``re.error.pattern`` if omitted): the
    position is only named when the error is about that text.
    """
    english = str(getattr(error, "msg", None) or error)
    pos = getattr(error, "pos", None)
    text = pattern if pattern is not None else getattr(error, "pattern", None)
    if isinstance(text, bytes):
        text = None
    at = "这里"
    if isinstance(pos, int) and isinstance(text, str) and 0 <= pos < len(text):
        piece = text[pos : pos + 2] if text[pos] == "\\" else text[pos]
        at = f"第 {pos + 1} 个字符「{piece}」"
        m = re.match(r"(bad character range|min repeat greater than max repeat)", english)
        if m and m.group(1) == "bad character range":
            bad = english.split("range", 1)[1].strip()
            at = f"第 {pos + 1} 个字符起的「{bad}」"
    elif isinstance(pos, int) and isinstance(text, str) and pos == len(text):
        at = "结尾"
    for key, message, hint in _REGEX:
        if english.startswith(key):
            return message.format(at=at), hint
    if isinstance(error, OverflowError):
        return "重复次数太大", "请写一个小一些的数字"
    if isinstance(error, RecursionError):
        return "括号嵌套太深", "请拆成几条简单的模式"
    return f"这不是有效的正则表达式（{at}）" if at != "这里" else "这不是有效的正则表达式", (
        "只找固定的文字时，写在 phrases 里更简单，不必用正则")


# ----------------------------------------------------------------------------- Jinja

_TAGS_HINT = "可用的写法：{{ 变量 }}、{% if 条件 %}…{% elif 条件 %}…{% else %}…{% endif %}、" \
             "{% for 项 in 列表 %}…{% endfor %}、{% set 名称 = 值 %}、{# 注释 #}"
_OPENERS = {"if": "endif", "for": "endfor"}


def _unclosed(source: str, begin: str, end: str) -> int | None:
    """The line of the first ``begin`` (``{{``, ``{%``, ``{#``) that has no ``end`` before the next opener."""
    pos = 0
    while (start := source.find(begin, pos)) >= 0:
        nxt = [i for i in (source.find(o, start + 2) for o in ("{{", "{%", "{#")) if i >= 0]
        close = source.find(end, start + 2)
        if close < 0 or (nxt and min(nxt) < close):
            return source.count("\n", 0, start) + 1
        pos = close + 2
    return None


def _open_block(source: str, name: str) -> int | None:
    """The line of the innermost ``{% name %}`` still open at the end of ``source``."""
    stack: list[tuple[str, int]] = []
    for m in re.finditer(r"\{%-?\s*(\w+)", source):
        tag, line = m.group(1), source.count("\n", 0, m.start()) + 1
        if tag in _OPENERS:
            stack.append((tag, line))
        elif tag.startswith("end") and stack and stack[-1][0] == tag[3:]:
            stack.pop()
    lines = [line for tag, line in stack if tag == name]
    return lines[-1] if lines else None


def jinja_message(message: str, source: str, lineno: int | None) -> tuple[int, str, str | None]:
    """A Jinja ``TemplateSyntaxError`` as ``(line, message, hint)`` in Chinese.

    The line is where the editor should look: the unclosed ``{{`` or ``{% if %}``, not the
    end of the template where Jinja noticed it.
    """
    line = lineno or 1
    english = message or ""
    innermost = re.search(r"innermost block that needs to be closed is '(\w+)'", english)
    unknown = re.match(r"Encountered unknown tag '(\w+)'", english)
    if "end of print statement" in english and (opened := _unclosed(source, "{{", "}}")) is not None:
        return opened, "「{{」没有配对的「}}」", "变量要写成 {{ 变量名 }}，两边的花括号都要写全"
    if "end of statement block" in english and (opened := _unclosed(source, "{%", "%}")) is not None:
        return opened, "「{%」没有配对的「%}」", "写成 {% if 条件 %}，两边的 {% 和 %} 都要写全"
    if "end of comment" in english.lower():
        return _unclosed(source, "{#", "#}") or line, "注释「{#」没有配对的「#}」", "注释写成 {# 说明 #}"
    if unknown and innermost and unknown.group(1) in ("elif", "else"):
        return line, f"「{{% {unknown.group(1)} %}}」的位置不对", "一个 {% if %} 里 else 只能有一个，并且要写在所有 elif 的后面"
    if unknown and innermost:
        tag, block = unknown.group(1), innermost.group(1)
        want = _OPENERS.get(block, f"end{block}")
        return line, f"这里应先写「{{% {want} %}}」结束前面的「{{% {block} %}}」，而不是「{{% {tag} %}}」", \
            "里面的块要先结束，外面的块后结束；elif 和 else 要写在 endif 之前"
    if unknown:
        tag = unknown.group(1)
        if tag.startswith("end"):
            return line, f"多余的「{{% {tag} %}}」：前面没有对应的「{{% {tag[3:]} %}}」", "请删掉它，或在前面补上开始的那一句"
        if tag in ("else", "elif"):
            return line, f"「{{% {tag} %}}」要写在「{{% if %}}」和「{{% endif %}}」之间", None
        return line, f"不认识的写法「{{% {tag} %}}」", _TAGS_HINT
    if innermost or "end of template" in english.lower():
        block = innermost.group(1) if innermost else None
        if block in _OPENERS:
            return (_open_block(source, block) or line), f"「{{% {block} %}}」没有结束：缺少「{{% {_OPENERS[block]} %}}」", \
                f"每个 {{% {block} %}} 都要有对应的 {{% {_OPENERS[block]} %}}"
        return line, "模板没写完：有没有结束的 {{ }} 或 {% %}", "请检查 {{ }}、{% %} 是否成对"
    if (m := re.match(r"unexpected char (['\"])(.)\1 at \d+", english)) is not None:
        ch = m.group(2)
        if ch in "'\"":
            return line, "引号没有配对", "{{ }} 里的文字要用成对的引号括起来，如 {{ x|default('亲') }}"
        return line, f"「{{{{ }}}}」或「{{% %}}」里不能出现「{ch}」", "{{ }} 里只写变量名和过滤器；普通文字请写在 {{ }} 外面"
    if "Expected an expression" in english:
        return line, "「{{ }}」或「{% %}」里少了内容", "在花括号之间写上变量名，如 {{ order_id }}"
    if "expected token 'in'" in english:
        return line, "for 循环的写法不对", "写成 {% for 项 in 列表 %}…{% endfor %}"
    if "end of print statement" in english:
        return line, "「{{ }}」里只能写一个变量（可加过滤器）", "变量名中间不能有空格；要判断条件，请用 {% if 条件 %}…{% endif %}"
    if "end of statement block" in english:
        return line, "「{% %}」里的写法不对", _TAGS_HINT
    if re.search(r"expected '\)'|got '\)'|expected '\]'|expected '\}'", english):
        return line, "括号没有配对", "请检查 ( ) 和 [ ] 是否成对"
    if (nested := re.search(r"\{\{[^}]*\{\{", source)) is not None:
        return source.count("\n", 0, nested.start()) + 1, "「{{ }}」里面又写了一个「{{」", \
            "每个变量只用一对花括号，如 {{ order_id }}"
    return line, "模板的写法有误，无法读取", "请检查 {{ }} 和 {% %} 是否成对、变量名是否写对"


# ----------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class FieldError:
    """One pydantic error in Chinese.  ``message`` names the field (缺少「label」), ``bare`` does
    not (缺少此字段: for places that show the field beside it)."""

    loc: tuple
    message: str
    bare: str
    hint: str | None = None
    kind: str = ""

    @property
    def field(self) -> str:
        return ".".join(str(p) for p in self.loc)


def field_label(loc: Iterable) -> str:
    """``("examples", 3)`` → ``examples 第 4 条``; ``("examples", "flag", 0, "text")`` → ``examples.flag 第 1 条的 text``."""
    out = ""
    after_index = False
    for part in loc:
        if isinstance(part, int):
            out += f" 第 {part + 1} 条"
            after_index = True
        else:
            name = "pass" if part == "pass_" else str(part)
            out += ("的 " if after_index else ".") + name if out else name
            after_index = False
    return out


def _names(text: str) -> str:
    """``'block', 'warn' or 'info'`` → ``block、warn 或 info``."""
    items = re.findall(r"'([^']*)'", text) or [text]
    return items[0] if len(items) == 1 else "、".join(items[:-1]) + " 或 " + items[-1]


#: The nouns of the two media: files (YAML) and API bodies (JSON).
_NOUNS = {
    False: {"str": "文字", "list": "列表", "dict": "映射（名称: 值）"},
    True: {"str": "字符串", "list": "数组", "dict": "JSON 对象"},
}
_YAML_TYPE_HINTS = {
    "list": "列表的每一条另起一行，以「- 」开头；或写成 [甲, 乙]",
    "dict": "写成「名称: 值」，每项一行，比上一行多缩进两个空格",
    "bool": "写 true 或 false",
    "int": "写一个整数，如 10",
    "float": "写一个数字，如 1.5",
}
_PATTERN_HINTS = {
    ID_RE: "只能用小写英文字母、数字和下划线，并以字母开头，如 color_difference",
    TEMPLATE_ID_RE: "写成「意图/名称」，只用小写英文字母、数字、下划线和短横线，如 color_difference/standard",
}


def _kind_of(error_type: str) -> str | None:
    for kind in ("str", "list", "dict", "bool", "int", "float"):
        if error_type.startswith({"str": "string", "dict": "dict"}.get(kind, kind)):
            return kind
    if error_type in ("model_type", "model_attributes_type"):
        return "dict"
    return None


def explain_error(err: dict, *, known: Callable[[tuple], Iterable[str] | None] | None = None,
                  json: bool = False) -> FieldError:
    """One pydantic error (an item of ``ValidationError.errors()``) in Chinese."""
    kind = err.get("type", "")
    loc = tuple(err.get("loc") or ())
    ctx = dict(err.get("ctx") or {})
    nouns = _NOUNS[json]
    name = f"「{field_label(loc)}」" if loc else ""
    value = err.get("input")

    def out(message: str, bare: str, hint: str | None = None) -> FieldError:
        return FieldError(loc, message, bare, hint, kind)

    if kind == "missing":
        last = loc[-1] if loc else ""
        hint = None if json or not isinstance(last, str) else f"请加上一行「{last}: …」"
        return out(f"缺少{name or '必填的字段'}", "缺少此字段", hint)
    if kind == "extra_forbidden":
        bad = str(loc[-1]) if loc else ""
        fields = sorted(set(known(loc[:-1]) or ())) if known is not None else []
        close = difflib.get_close_matches(bad, fields, n=1, cutoff=0.6) or [
            f for f in fields if f.lower() == bad.lower()]
        guess = f"（是不是「{close[0]}」？）" if close else ""
        hint = f"这里可用的字段：{'、'.join(fields)}" if fields and not close else None
        where = f"「{field_label(loc[:-1])}」里" if loc[:-1] else ""
        return out(f"{where}不认识的字段「{bad}」{guess}", f"不认识的字段{guess}", hint)
    if kind == "json_invalid":
        return out("不是合法的 JSON", "不是合法的 JSON")
    if kind == "literal_error" or kind == "enum":
        choices = _names(str(ctx.get("expected", "")))
        return out(f"{name}只能是 {choices}", f"只能是 {choices}")
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        if n == 1:
            return out(f"{name}不能为空", "不能为空")
        return out(f"{name}太短：至少 {n} 个字符", f"至少 {n} 个字符")
    if kind == "string_too_long":
        n = ctx.get("max_length")
        now = f"（现在 {len(value)} 个）" if isinstance(value, str) else ""
        return out(f"{name}太长：最多 {n} 个字符{now}", f"不能超过 {n} 个字符{now}")
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return out(f"{name}至少要有 {n} 条", f"至少要有 {n} 条",
                   None if json else "每一条另起一行，以「- 」开头")
    if kind == "too_long":
        n = ctx.get("max_length")
        now = f"（现在 {ctx['actual_length']} 条）" if ctx.get("actual_length") is not None else ""
        return out(f"{name}最多 {n} 条{now}", f"最多 {n} 条{now}")
    bounds = {"greater_than_equal": ("ge", "不能小于"), "less_than_equal": ("le", "不能大于"),
              "greater_than": ("gt", "应大于"), "less_than": ("lt", "应小于")}
    if kind in bounds:
        key, words = bounds[kind]
        return out(f"{name}{words} {ctx.get(key)}", f"{words} {ctx.get(key)}")
    if kind == "string_pattern_mismatch":
        hint = _PATTERN_HINTS.get(str(ctx.get("pattern")), "格式不符合要求")
        return out(f"{name}的格式不对", "格式不对", hint)
    if kind in ("value_error", "assertion_error"):
        text = str(ctx.get("error") or err.get("msg", "")).removeprefix("Value error, ").removeprefix(
            "Assertion failed, ")
        last = str(loc[-1]) if loc else ""
        if not loc or text.startswith(last) or not _has_chinese(text):
            return out(text if _has_chinese(text) else f"{name or '这个值'}不对", text if _has_chinese(text) else "值不对")
        return out(f"{name}：{text}", text)
    if kind == "int_parsing_size":
        return out(f"{name}的数字太大", "数字太大")
    if kind == "finite_number":
        return out(f"{name}应为有限的数字", "应为有限的数字")
    if kind == "model_attributes_type" and json:
        return out(f"{name}应为 JSON 对象", "应为 JSON 对象（Content-Type: application/json）")
    if kind == "int_from_float":
        return out(f"{name}应为整数", "应为整数", None if json else _YAML_TYPE_HINTS["int"])
    type_kind = _kind_of(kind)
    if type_kind is not None and (kind.endswith("_type") or kind.endswith("_parsing")):
        noun = {"bool": "true 或 false", "int": "整数", "float": "数字"}.get(type_kind) or nouns[type_kind]
        hint = None
        if not json:
            hint = _YAML_TYPE_HINTS.get(type_kind)
            if type_kind == "str":
                if isinstance(value, dict):
                    hint = "文字里有「{」（如 {{ 变量 }}）或「: 」时，请用引号把整段文字括起来"
                elif isinstance(value, list):
                    hint = "这里只能写一段文字，不能是列表"
                elif isinstance(value, bool | int | float) or value is None:
                    hint = "数字、true/false 要当文字用时，请用引号括起来，如 \"123\""
        return out(f"{name}应为{noun}", f"应为{noun}", hint)
    return out(f"{name or '这个值'}不符合要求", "不符合要求")


def _has_chinese(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


def field_errors(errors: Iterable[dict], *, model: type[BaseModel] | None = None,
                 known: Callable[[tuple], Iterable[str] | None] | None = None, json: bool = False) -> list[FieldError]:
    """Every pydantic error in Chinese; ``model`` (or ``known``) names the fields for a did-you-mean."""
    if known is None and model is not None:
        def known(loc: tuple, _model=model) -> list[str] | None:
            return model_fields_at(_model, loc)
    return [explain_error(e, known=known, json=json) for e in errors]


def _models_in(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType) or origin is typing.Annotated:
        return [m for a in typing.get_args(annotation) for m in _models_in(a)]
    return []


def _item_type(annotation, part) -> object | None:
    """The annotation of one item (``list[X]``'s X, ``dict[str, X]``'s X), through Optional."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for a in typing.get_args(annotation):
            found = _item_type(a, part)
            if found is not None:
                return found
        return None
    args = typing.get_args(annotation)
    if origin in (list, tuple, set, frozenset) and args and isinstance(part, int):
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def model_fields_at(model: type[BaseModel], loc: tuple) -> list[str] | None:
    """The field names (as written in files: aliases) of the model found at ``loc`` under ``model``."""
    current: object = model
    for part in loc:
        models = _models_in(current)
        if models:
            fields = {(f.alias or n): f for m in models for n, f in m.model_fields.items()}
            fields.update({n: f for m in models for n, f in m.model_fields.items()})
            field = fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        else:
            current = _item_type(current, part)
            if current is None:
                return None
    models = _models_in(current)
    if not models:
        return None
    return [f.alias or n for m in models for n, f in m.model_fields.items()]
