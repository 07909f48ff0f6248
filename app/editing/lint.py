"""Content validation for ``shouhou lint`` and the editor's save checks.

Beyond the schema (``content/files.py``) a template must: parse as Jinja, use
only what a reply template may use, declare exactly the variables it uses,
render with sample values, and pass the compliance guard with no block or warn
flag (a template is sent hundreds of times a day: one risky promise in it is
hundreds of risky promises).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jinja2 import meta, nodes

from app.config import Settings
from app.content.files import ContentPack, Problem
from app.content.models import ReplyTemplate, shortcode_key
from app.guard.guard import Flag, Guard
from app.guard.promises import lexicon_problems
from app.rendering.renderer import Rendered, Renderer, RenderError

FLAGGING = ("block", "warn")


def sample_context(pack: ContentPack) -> dict[str, str]:
    return {v.name: v.sample or v.label for v in pack.variables.values()}


@dataclass
class TemplateReview:
    """What an editor needs to know about a template before it is saved."""

    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, message): must fix
    flags: list[Flag] = field(default_factory=list)  # the guard's findings on the sample rendering
    rendered: Rendered | None = None


def review_template(
    tpl: ReplyTemplate, pack: ContentPack, renderer: Renderer, guard: Guard, context: dict | None = None
) -> TemplateReview:
    review = TemplateReview()
    offset = tpl.body_line - 1
    static = renderer.problems(tpl.body)
    for p in static:
        review.problems.append(((p.line or 1) + offset, p.message))
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
        review.problems.append((at(unknown), f"使用了未定义的变量：{', '.join(unknown)}（见 templates/variables.yaml）"))
    undeclared = sorted(used - set(tpl.variables))
    if undeclared:
        review.problems.append((at(undeclared), f"使用了但未在 variables 中声明：{', '.join(undeclared)}"))
    unused = sorted(set(tpl.variables) - used)
    if unused:
        review.problems.append((tpl.body_line, f"variables 中声明了但没有使用：{', '.join(unused)}"))
    if tpl.intent not in pack.intents:
        review.problems.append((3, f"未知的意图 id：{tpl.intent}"))
    try:
        review.rendered = renderer.render(tpl.body, context if context is not None else sample_context(pack))
    except RenderError as e:
        review.problems.append(((e.line or 1) + offset, e.message))
        return review
    review.flags = guard.check(review.rendered.text)
    return review


def template_issues(tpl: ReplyTemplate, pack: ContentPack, renderer: Renderer, guard: Guard) -> list[tuple[int, str]]:
    """(line, message) for everything that makes a template unfit to ship."""
    review = review_template(tpl, pack, renderer, guard)
    issues = list(review.problems)
    for f in review.flags:
        if f.severity in FLAGGING:
            issues.append((tpl.body_line, f"合规检查[{f.severity}] {f.rule}：「{f.excerpt}」{f.message}"))
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
        problems += [Problem(path, line, msg) for line, msg in template_issues(tpl, pack, renderer, guard)]
    for tpl, other in duplicate_shortcodes(pack.templates.values()):
        path = paths.get(tpl.id, f"templates/replies/{tpl.id}.j2")
        problems.append(Problem(path, 1, f"简码「{tpl.shortcode}」重复：模板 {other.id} 和 {tpl.id} 用了同一个简码，请给其中一个换一个"))
    for intent in pack.intents.values():
        if not any(t.intent == intent.id for t in pack.templates.values()):
            problems.append(Problem(f"intents/{intent.id}.yaml", 1, f"意图 {intent.id} 没有任何回复模板"))
    return problems


def lint_content(settings: Settings) -> tuple[list[Problem], str]:
    from app.editing.sync import load_from_files

    pack, rules, problems = load_from_files(settings)
    guard = Guard(rules)
    paths = {tid: str(settings.templates_dir / f"{tid}.j2") for tid in pack.templates}
    problems += lint_pack(pack, guard, paths)
    problems += lexicon_problems(guard)  # the promise lexicon (lexicon/promises.yaml) and its examples
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
    guard = Guard(rules)
    paths = {tid: f"内容库 templates/replies/{tid}.j2" for tid in pack.templates}
    problems += lint_pack(pack, guard, paths)
    summary = f"内容库：{len(pack.intents)} 个意图，{len(pack.templates)} 个模板，{len(rules)} 条规则"
    return problems, summary
