"""Checking a word-list document (``lexicon``: couriers, domain words, promises) or the
variables document before it is saved.

Each check parses the new text as the assistant would, then builds what depends on
it with the rest of the content being served: a courier list goes into the guard
(every rule's ``{courier}`` and the carrier check) and the rules' own examples must
still hold; a promise lexicon's own examples must be found.  Problems are
``{"line", "message"}`` in Chinese, as for the other documents.
"""

from __future__ import annotations

import yaml

from app.content.files import parse_variables
from app.content.problems import yaml_problem
from app.engine.assistant import Assistant
from app.guard.guard import Guard
from app.guard.promises import lexicon_problems
from app.guard.rule_examples import failures
from app.text.lexicon import LEXICON_FILES, LexiconError, parse_lexicon_texts

#: Where each key's text sits in ``Lexicon.texts``.
_POSITION = {key: i for i, key in enumerate(LEXICON_FILES)}


def lexicon_document_problems(key: str | None, source: str, engine: Assistant) -> list[dict]:
    """What keeps ``source`` from being saved as the lexicon document ``key``."""
    if key not in LEXICON_FILES:
        choices = "、".join(LEXICON_FILES)
        return [{"line": 1, "message": f"没有这个词表：{key or '（未指定）'}；词表只能修改，可选 {choices}"}]
    if key == "couriers":
        try:
            yaml.safe_load(source)
        except yaml.YAMLError as e:
            return [yaml_problem(e, source, "lexicon:couriers").as_dict()]
        except (ValueError, TypeError, OverflowError, RecursionError):
            pass  # a value that is no valid date: the courier parser names it below
    if key == "promises":
        return _promise_problems(source, engine)
    texts = list(engine.pack.lexicon.texts)
    texts[_POSITION[key]] = source
    try:
        lexicon = parse_lexicon_texts(*texts)
    except LexiconError as e:
        return [{"line": e.line, "message": e.message}]
    if key == "couriers":
        # The couriers are part of every rule's {courier} and of the carrier check: the rules'
        # examples must still hold with the new list.
        guard = Guard(engine.rules, lexicon)
        return [{"line": 1, "message": f"改动后规则例句未通过：{f}"} for f in failures(guard)]
    return []


def _promise_problems(source: str, engine: Assistant) -> list[dict]:
    # The promise lexicon's own lint: its YAML, its fields, its patterns and its examples.
    return [p.as_dict() for p in lexicon_problems(engine.guard, "lexicon:promises", text=source)]


def variables_problems(key: str | None, source: str, engine: Assistant) -> list[dict]:
    """What keeps ``source`` from being saved as the variables document: its own problems, and a
    variable taken away that a served template still uses."""
    if key not in (None, "variables"):
        return [{"line": 1, "message": f"变量表只有一份，标识为 variables（不是 {key}）"}]
    variables, problems = parse_variables(source, "variables")
    if problems:
        return [p.as_dict() for p in problems]
    users: dict[str, list[str]] = {}
    for tpl in engine.pack.templates.values():
        for name in tpl.variables:
            if name not in variables:
                users.setdefault(name, []).append(tpl.id)
    return [
        {"line": 1, "message": f"变量「{name}」还有 {len(ids)} 个模板在用（{'、'.join(sorted(ids)[:3])}"
                               f"{'…' if len(ids) > 3 else ''}），请先从这些模板里去掉它再删除"}
        for name, ids in sorted(users.items())
    ]
