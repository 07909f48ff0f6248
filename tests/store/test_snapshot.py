"""One content snapshot: the word lists and the variables are versioned documents like the
intents, templates and rules, seeded from the bundled files and read in the same transaction."""

from __future__ import annotations

from app import PROJECT_ROOT
from app.config import Settings
from app.editing.sync import load_snapshot, seed_store
from app.store.content import ContentStore

BUNDLED = Settings()
COURIERS = (PROJECT_ROOT / "lexicon" / "couriers.yaml").read_text(encoding="utf-8")
DOMAIN = (PROJECT_ROOT / "lexicon" / "domain.txt").read_text(encoding="utf-8")


def test_the_lexicon_and_the_variables_are_seeded_from_the_files(content: ContentStore) -> None:
    seed_store(content, BUNDLED)
    revision, docs = content.snapshot()
    assert sorted(docs["lexicon"]) == ["couriers", "domain", "promises"]
    assert docs["lexicon"]["couriers"] == COURIERS
    assert docs["lexicon"]["domain"] == DOMAIN
    assert docs["variables"]["variables"] == (PROJECT_ROOT / "templates" / "variables.yaml").read_text(encoding="utf-8")
    assert {"intent", "template", "rule"} <= docs.keys() and docs["intent"] and docs["rule"]
    # A restart seeds nothing again: the revision stays.
    assert seed_store(content, BUNDLED) == []
    assert content.revision() == revision


def test_a_lexicon_edit_moves_the_revision_and_is_read_with_the_rest(content: ContentStore) -> None:
    seed_store(content, BUNDLED)
    before = content.revision()
    v = content.get("lexicon", "domain")
    content.save("lexicon", "domain", DOMAIN + "钻毛 2000 n\n", author="admin", base_version=v.version)
    assert content.revision() == before + 1

    pack, rules, problems, revision = load_snapshot(content, BUNDLED)
    assert revision == before + 1
    assert pack.lexicon.domain["钻毛"] == 2000
    assert pack.intents and pack.templates and rules  # the same snapshot holds every kind
    assert problems == []


def test_an_edited_courier_list_and_variables_reach_the_content(content: ContentStore) -> None:
    seed_store(content, BUNDLED)
    couriers = COURIERS.rstrip("\n") + "\n  - name: 丹鸟\n    aliases: [丹鸟快递]\n"
    content.save("lexicon", "couriers", couriers, author="admin", base_version=content.get("lexicon", "couriers").version)
    variables = content.get("variables", "variables")
    content.save("variables", "variables", variables.body.replace("label: 订单号", "label: 订单编号"),
                 author="admin", base_version=variables.version)

    pack, _, problems, _ = load_snapshot(content, BUNDLED)
    assert problems == []
    assert pack.lexicon.couriers.canonical("丹鸟快递") == "丹鸟"
    assert pack.variables["order_id"].label == "订单编号"


def test_a_seeded_lexicon_document_follows_the_files_until_someone_edits_it(content: ContentStore, tmp_path) -> None:
    root = tmp_path / "content"
    (root / "lexicon").mkdir(parents=True)
    for d in ("intents", "templates/replies", "rules"):
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / "lexicon" / "domain.txt").write_text("色差 2000 n\n", encoding="utf-8")
    settings = Settings(content_dir=root)
    assert seed_store(content, settings) == ["lexicon:domain"]
    (root / "lexicon" / "domain.txt").write_text("色差 2000 n\n漏发 2000 n\n", encoding="utf-8")
    assert seed_store(content, settings) == ["lexicon:domain"]  # a new release's word list
    v = content.get("lexicon", "domain")
    content.save("lexicon", "domain", "色差 2000 n\n", author="admin", base_version=v.version)
    (root / "lexicon" / "domain.txt").write_text("色差 2000 n\n漏发 2000 n\n错发 2000 n\n", encoding="utf-8")
    assert seed_store(content, settings) == []  # the admin's edit is kept
    assert content.get("lexicon", "domain").body == "色差 2000 n\n"
