"""The bundled content pack: every spec intent is covered, every template renders and is compliant."""

import re
from pathlib import Path

import pytest

from app import PROJECT_ROOT
from app.content.files import load_content
from app.editing.lint import lint_pack, sample_context

SPEC = PROJECT_ROOT.parent / "shared" / "spec" / "intents.md"


def spec_ids() -> list[str]:
    if not SPEC.exists():
        pytest.skip(f"{SPEC} not found (the shared spec sits beside the project)")
    rows = re.findall(r"^\| ([a-z_]+) \| ", SPEC.read_text(encoding="utf-8"), flags=re.M)
    return [r for r in rows if r != "id"]  # the table's header row


@pytest.fixture(scope="module")
def pack():
    pack, problems = load_content(PROJECT_ROOT / "intents", PROJECT_ROOT / "templates" / "replies")
    assert problems == []
    return pack


def test_spec_lists_29_intents():
    assert len(spec_ids()) == 29


def test_every_spec_intent_has_a_file_with_enough_examples(pack):
    for iid in spec_ids():
        assert iid in pack.intents, f"intents/{iid}.yaml missing"
        assert len(pack.intents[iid].examples) >= 25, iid
        assert Path(PROJECT_ROOT / "intents" / f"{iid}.yaml").exists()


def test_every_spec_intent_has_two_templates(pack):
    for iid in spec_ids():
        assert len([t for t in pack.templates.values() if t.intent == iid]) >= 2, iid


def test_no_example_is_shared_by_two_intents(pack):
    seen = {}
    for intent in pack.intents.values():
        for e in intent.examples:
            assert seen.setdefault(e, intent.id) == intent.id, f"{e!r} in {seen[e]} and {intent.id}"


def test_out_of_scope_examples_exist(pack):
    assert len(pack.out_of_scope) >= 100


def test_every_template_renders_and_passes_the_guard(pack, engine):
    problems = lint_pack(pack, engine.guard)
    assert problems == [], "\n".join(map(str, problems))


def test_templates_render_with_and_without_context(pack, engine):
    ctx = sample_context(pack)
    for tpl in pack.templates.values():
        full = engine.renderer.render(tpl.body, ctx)
        assert full.missing_vars == [] and "【" not in full.text, tpl.id
        bare = engine.renderer.render(tpl.body, {})
        assert set(bare.missing_vars) <= set(tpl.variables), tpl.id
        assert "{{" not in bare.text and "None" not in bare.text, tpl.id


def test_fragments_carry_no_problem_of_their_own(pack):
    """A fragment (怎么回事, 我前天买的) that is also an example of an intent would teach both."""
    assert len(pack.fragments) >= 50
    examples = {e for i in pack.intents.values() for e in i.examples} | set(pack.out_of_scope)
    assert sorted(set(pack.fragments) & examples) == []
