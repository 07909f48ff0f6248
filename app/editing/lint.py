"""Content validation for ``shouhou lint`` and the editor's save checks.

Beyond the schema (``content/files.py``) a template must: parse as Jinja, use
only what a reply template may use, declare exactly the variables it uses,
render with sample values, and pass the compliance guard with no block or warn
flag (a template is sent hundreds of times a day: one risky promise in it is
hundreds of risky promises).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from jinja2 import meta, nodes

from app.config import Settings
from app.content.files import ContentPack, Problem
from app.content.models import ReplyTemplate, shortcode_key
from app.guard.guard import Flag, Guard
from app.guard.promises import lexicon_problems
from app.guard.severity import FLAGGING, SEVERITY_NAMES
from app.rendering.renderer import Rendered, Renderer, RenderError


def sample_context(pack: ContentPack) -> dict[str, str]:
    return {v.name: v.sample or v.label for v in pack.variables.values()}


@dataclass
class TemplateReview:
    """What an editor needs to know about a template before it is saved."""

    problems: list[Problem] = field(default_factory=list)  # must fix, at their line of the template file
    flags: list[Flag] = field(default_factory=list)  # the guard's findings on the sample rendering
    rendered: Rendered | None = None


def review_template(
    tpl: ReplyTemplate, pack: ContentPack, renderer: Renderer, guard: Guard, context: dict | None = None,
    path: str = "template",
) -> TemplateReview:
    review = TemplateReview()
    offset = tpl.body_line - 1
    static = renderer.problems(tpl.body)
    review.problems += [p.problem(path, offset) for p in static]
    if static:
        return review
    tree = renderer.env.parse(tpl.body)
    used = meta.find_undeclared_variables(tree) - set(renderer.env.globals)
    first_line: dict[str, int] = {}
    for name in tree.find_all(nodes.Name):
        first_line.setdefault(name.name, name.lineno + offset)

    def at(names: list[str]) -> int:
        return min(first_line.get(n, tpl.body_line) for n in names)

    unknown = sorted(used - set(pack.variables)) if pack.variables else []
    if unknown:
        known = "、".join(f"{v.name}（{v.label}）" for v in list(pack.variables.values())[:12])
        close = {n: difflib.get_close_matches(n, list(pack.variables), n=1) for n in unknown}
        guesses = "；".join(f"{n} 是不是 {c[0]}？" for n, c in close.items() if c)
        review.problems.append(Problem(path, at(unknown), f"使用了未定义的变量：{', '.join(unknown)}",
                                       guesses or f"可用的变量：{known}"))
    undeclared = sorted(used - set(tpl.variables))
    if undeclared:
        review.problems.append(Problem(path, at(undeclared), f"使用了但没有在 variables 中列出：{', '.join(undeclared)}",
                                       f"在上面的 variables 里加上 {', '.join(undeclared)}"))
    unused = sorted(set(tpl.variables) - used)
    if unused:
        review.problems.append(Problem(path, tpl.body_line, f"variables 中列出了但正文没有用到：{', '.join(unused)}",
                                       "从 variables 里删掉它，或在正文里用上"))
    if tpl.intent not in pack.intents:
        review.problems.append(Problem(path, 3, f"未知的意图 id：{tpl.intent}", "intent 要写一个已有意图的 id"))
    try:
        review.rendered = renderer.render(tpl.body, context if context is not None else sample_context(pack))
    except RenderError as e:
        review.problems.append(e.problem(path, offset))
        return review
    review.flags = guard.check(review.rendered.text)
    return review


def template_issues(
    tpl: ReplyTemplate, pack: ContentPack, renderer: Renderer, guard: Guard, path: str = "template"
) -> list[Problem]:
    """Everything that makes a template unfit to ship, at its line of the file ``path``."""
    review = review_template(tpl, pack, renderer, guard, path=path)
    issues = list(review.problems)
    for f in review.flags:
        if f.severity in FLAGGING:
            issues.append(Problem(path, tpl.body_line, f"{SEVERITY_NAMES[f.severity]}：「{f.excerpt}」{f.message}（规则 {f.rule}）",
                                  f"可以改成：{f.suggestion}" if f.suggestion else None))
    return issues


def duplicate_shortcodes(templates) -> list[tuple[ReplyTemplate, ReplyTemplate]]:
    """``(template, earlier template with the same short code)`` for each template whose code is taken."""
    first: dict[str, ReplyTemplate] = {}
    out = []
    for tpl in sorted(templates, key=lambda t: t.id):
        if tpl.shortcode is None:
            continue
        other = first.setdefault(shortcode_key(tpl.shortcode), tpl)
        if other is not tpl:
            out.append((tpl, other))
    return out


def lint_pack(pack: ContentPack, guard: Guard, paths: dict[str, str] | None = None) -> list[Problem]:
    paths = paths or {}
    renderer = Renderer({v.name: v.label for v in pack.variables.values()})
    problems: list[Problem] = []
    for tpl in pack.templates.values():
        path = paths.get(tpl.id, f"templates/replies/{tpl.id}.j2")
        problems += template_issues(tpl, pack, renderer, guard, path)
    for tpl, other in duplicate_shortcodes(pack.templates.values()):
        path = paths.get(tpl.id, f"templates/replies/{tpl.id}.j2")
        problems.append(Problem(path, 1, f"简码「{tpl.shortcode}」重复：模板 {other.id} 和 {tpl.id} 用了同一个简码",
                                "请给其中一个换一个简码"))
    for intent in pack.intents.values():
        if not any(t.intent == intent.id for t in pack.templates.values()):
            problems.append(Problem(f"intents/{intent.id}.yaml", 1, f"意图 {intent.id} 没有任何回复模板",
                                    "请为它新建至少一个回复模板"))
    return problems


def lint_content(settings: Settings) -> tuple[list[Problem], str]:
    from app.editing.sync import load_from_files

    pack, rules, problems = load_from_files(settings)
    guard = Guard(rules, pack.lexicon)
    paths = {tid: str(settings.templates_dir / f"{tid}.j2") for tid in pack.templates}
    problems += lint_pack(pack, guard, paths)
    # the promise lexicon (lexicon/promises.yaml) and its examples
    problems += lexicon_problems(guard, settings.content_dir / "lexicon" / "promises.yaml", pack.lexicon.promises_text)
    summary = f"{len(pack.intents)} 个意图，{len(pack.templates)} 个模板，{len(rules)} 条规则"
    return problems, summary


def lint_store(settings: Settings) -> tuple[list[Problem], str]:
    """The same checks over the store's current documents: what the server serves, edits included.

    After an upgrade that refuses more, this names the saved templates the server now skips.
    """
    from app.editing.sync import load_from_store
    from app.store import ContentStore, open_engine

    db = open_engine(settings.database_url)
    try:
        pack, rules, problems = load_from_store(ContentStore(db), settings)
    finally:
        db.dispose()
    guard = Guard(rules, pack.lexicon)
    paths = {tid: f"内容库 templates/replies/{tid}.j2" for tid in pack.templates}
    problems += lint_pack(pack, guard, paths)
    problems += lexicon_problems(guard, "内容库 lexicon/promises", pack.lexicon.promises_text)
    summary = f"内容库：{len(pack.intents)} 个意图，{len(pack.templates)} 个模板，{len(rules)} 条规则"
    return problems, summary
