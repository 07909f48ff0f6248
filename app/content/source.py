"""Where the engine's content comes from: the bundled files (read-only)."""

from __future__ import annotations

from app.config import Settings
from app.content.files import ContentPack, Problem, load_content
from app.guard.rules import Rule, load_rules


def load_from_files(settings: Settings) -> tuple[ContentPack, list[Rule], list[Problem]]:
    pack, problems = load_content(settings.intents_dir, settings.templates_dir)
    rules, rule_problems = load_rules(settings.rules_dir)
    return pack, rules, problems + rule_problems
