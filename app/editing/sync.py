"""Where the engine's content comes from: the bundled files, and the versioned store.

The files are the initial content (and what ``shouhou export``/``import`` write
and read); the store holds every edit with its history.  On start the server
seeds the store with any bundled document it has never seen, then serves what
the store holds.

Every document the assistant is built from is in the store and read in one
snapshot: intents, templates and rules, the word lists (kind ``lexicon``: keys
``couriers``, ``domain``, ``promises`` from ``lexicon/``) and the template variables
(kind ``variables``, key ``variables``, from ``templates/variables.yaml``).  A word
list missing from the store (a store older than these kinds) is the bundled file's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from app.config import Settings
from app.content.files import (
    VARIABLES_FILE,
    ContentPack,
    OutOfScope,
    Problem,
    load_content,
    load_variables,
    parse_intent,
    parse_template,
    parse_variables,
    read_file,
)
from app.content.models import IntentSpec
from app.guard.rules import Rule, parse_rule, read_rules
from app.store.content import ContentStore
from app.text.lexicon import (
    LEXICON_FILES,
    CourierLexicon,
    Lexicon,
    LexiconError,
    bundled,
    parse_lexicon_texts,
)

#: The key of the one ``variables`` document.
VARIABLES_KEY = "variables"


def lexicon_dir(settings: Settings) -> Path:
    return settings.content_dir / "lexicon"


def variables_path(settings: Settings) -> Path:
    return settings.templates_dir.parent / VARIABLES_FILE


def load_from_files(settings: Settings) -> tuple[ContentPack, list[Rule], list[Problem]]:
    pack, problems = load_content(settings.intents_dir, settings.templates_dir)
    rules, rule_problems = read_rules(settings.rules_dir)
    pack.lexicon, lexicon_problems = _lexicon_of(
        file_documents(settings)["lexicon"], lambda key: str(lexicon_dir(settings) / LEXICON_FILES[key])
    )
    return pack, rules, [*problems, *rule_problems, *lexicon_problems]


def file_documents(settings: Settings) -> dict[str, dict[str, str]]:
    """The bundled content as store documents: kind -> key -> file text."""
    docs: dict[str, dict[str, str]] = {"intent": {}, "template": {}, "rule": {}, "lexicon": {}, "variables": {}}
    lexicon = lexicon_dir(settings)
    found = [
        *(("intent", path, path.stem) for path in sorted(settings.intents_dir.glob("*.yaml"))),
        *(
            ("template", path, path.relative_to(settings.templates_dir).with_suffix("").as_posix())
            for path in sorted(settings.templates_dir.rglob("*.j2"))
        ),
        *(("rule", path, path.stem) for path in sorted(settings.rules_dir.glob("*.yaml"))),
        *(("lexicon", lexicon / name, key) for key, name in LEXICON_FILES.items() if (lexicon / name).exists()),
        *((("variables", variables_path(settings), VARIABLES_KEY),) if variables_path(settings).exists() else ()),
    ]
    for kind, path, key in found:
        text, _unreadable = read_file(path)  # lint (load_from_files) reports what cannot be read
        if text is not None:
            docs[kind][key] = text
    return docs


BUNDLED = "bundled"


def seed_store(store: ContentStore, settings: Settings) -> list[str]:
    """Bring the bundled content into the store; return what changed.

    A document the store has never seen is added.  A document nobody has edited
    (its current version is the bundled one) follows the files, so a new release's
    content reaches existing installations.  A document an editor has changed or
    deleted is never touched.
    """
    changed: list[str] = []
    bundled = file_documents(settings)
    current = store.export_all()
    for kind, docs in bundled.items():
        changed += [f"{kind}:{k}" for k in store.seed(kind, docs, author=BUNDLED)]
        for info in store.list(kind):
            body = docs.get(info.key)
            if body is not None and info.author == BUNDLED and current.get(kind, {}).get(info.key) not in (None, body):
                store.save(kind, info.key, body, author=BUNDLED, comment="随程序更新", base_version=info.current_version)
                changed.append(f"{kind}:{info.key}")
    return changed


def document_path(settings_root: Path, kind: str, key: str) -> Path:
    """Where a document lives as a file under a content directory."""
    if kind == "intent":
        return settings_root / "intents" / f"{key}.yaml"
    if kind == "template":
        return settings_root / "templates" / "replies" / f"{key}.j2"
    if kind == "lexicon":
        return settings_root / "lexicon" / LEXICON_FILES.get(key, f"{key}.yaml")
    if kind == "variables":
        return settings_root / "templates" / VARIABLES_FILE
    return settings_root / "rules" / f"{key}.yaml"


def read_documents(root: Path) -> dict[str, dict[str, str]]:
    return file_documents(Settings(content_dir=root))


@lru_cache(maxsize=512)
def _parse(kind: str, key: str, body: str) -> tuple[object, tuple]:
    """One stored document parsed, remembered by its text: a reload after an edit parses
    only the documents that changed (parsed objects are never mutated)."""
    parser = {"intent": parse_intent, "template": parse_template, "rule": parse_rule}[kind]
    obj, problems = parser(body, f"{kind}:{key}")
    return obj, tuple(problems)


def load_from_store(store: ContentStore, settings: Settings) -> tuple[ContentPack, list[Rule], list[Problem]]:
    """Parse the store's current documents; a document that no longer parses is skipped and reported."""
    return parse_documents(store.export_all(), settings)


def load_snapshot(store: ContentStore, settings: Settings) -> tuple[ContentPack, list[Rule], list[Problem], int]:
    """``load_from_store`` plus the revision those documents are, both read in one snapshot."""
    revision, docs = store.snapshot()
    return (*parse_documents(docs, settings), revision)


def parse_documents(
    docs: dict[str, dict[str, str]], settings: Settings
) -> tuple[ContentPack, list[Rule], list[Problem]]:
    """Parse ``{kind: {key: body}}``; a document that no longer parses is skipped and reported."""
    pack = ContentPack()
    problems: list[Problem] = []
    for key, body in docs.get("intent", {}).items():
        obj, probs = _parse("intent", key, body)
        problems += probs
        if isinstance(obj, OutOfScope):
            pack.out_of_scope, pack.fragments = obj.examples, obj.fragments
        elif isinstance(obj, IntentSpec):
            pack.intents[obj.id] = obj
    for key, body in docs.get("template", {}).items():
        tpl, probs = _parse("template", key, body)
        problems += probs
        if tpl is not None:
            pack.templates[tpl.id] = tpl
    rules = []
    for key, body in docs.get("rule", {}).items():
        rule, probs = _parse("rule", key, body)
        problems += probs
        if rule is not None:
            rules.append(rule)
    variables = docs.get("variables", {}).get(VARIABLES_KEY)
    if variables is None:  # a store without the document (never seeded): the bundled file
        pack.variables, var_problems = load_variables(variables_path(settings))
    else:
        pack.variables, var_problems = _parse_variables(variables)
    pack.lexicon, lexicon_problems = _lexicon_of(docs.get("lexicon", {}), lambda key: f"lexicon:{key}")
    return pack, rules, [*problems, *var_problems, *lexicon_problems]


@lru_cache(maxsize=4)
def _parse_variables(body: str) -> tuple[dict, list[Problem]]:
    return parse_variables(body, f"variables:{VARIABLES_KEY}")


def _lexicon_of(docs: dict[str, str], where: Callable[[str], str]) -> tuple[Lexicon, list[Problem]]:
    """The lexicon of these documents; a missing one is the bundled file's.  A broken one (the
    editor refuses to save it, but a file import may bring one) keeps the bundled lexicon whole."""
    base = bundled()
    texts = {key: docs.get(key, text) for key, text in zip(LEXICON_FILES, base.texts, strict=True)}
    try:
        return parse_lexicon_texts(texts["couriers"], texts["domain"], texts["promises"]), []
    except LexiconError as e:
        try:
            CourierLexicon.from_text(texts["couriers"])
            bad = "domain"
        except LexiconError:
            bad = "couriers"
        return base, [Problem(where(bad), e.line, e.message)]
