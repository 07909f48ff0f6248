"""The assistant is built from one content snapshot, word lists included: an edit to the
couriers or the domain words reaches suggest and check with the next rebuild, a removed
word leaves segmentation without a restart, and a template edit reuses the tokenizer."""

from __future__ import annotations

import shutil

import pytest

from app.config import Settings
from app.editing.sync import load_snapshot, seed_store
from app.engine.holder import AssistantHolder
from app.matching.index_cache import IndexCache
from app.shop import ShopProfile
from app.store.content import ContentStore
from app.store.db import create_engine_from_url, create_tables
from app.text.segment import Segmenter

BUNDLED = Settings()
SHOP = ShopProfile(carriers=["韵达"])
NEW_COURIER = "\n  - name: 丹鸟\n    aliases: [丹鸟快递]\n"


@pytest.fixture
def store(tmp_path) -> ContentStore:
    engine = create_engine_from_url(f"sqlite:///{tmp_path / 'shouhou.db'}")
    create_tables(engine)
    store = ContentStore(engine)
    seed_store(store, BUNDLED)
    yield store
    engine.dispose()


@pytest.fixture(scope="module")
def index_cache(tmp_path_factory) -> IndexCache:
    """A copy of the usual on-disk classifiers (the bundled content's is among them): only edits
    that change the words kept whole train again, and they do not push anything out of the original."""
    directory = tmp_path_factory.mktemp("index-cache")
    for entry in BUNDLED.cache_dir.glob("matcher-*.npz"):
        shutil.copy(entry, directory / entry.name)
    return IndexCache(directory)


@pytest.fixture
def holder(store, index_cache) -> AssistantHolder:
    def load():
        pack, rules, _, revision = load_snapshot(store, BUNDLED)
        return pack, rules, revision

    return AssistantHolder(load, Segmenter(cache_dir=BUNDLED.cache_dir, lazy=True), index_cache=index_cache)


def edit(store: ContentStore, kind: str, key: str, change) -> None:
    v = store.get(kind, key)
    store.save(kind, key, change(v.body), author="admin", base_version=v.version)


def test_a_courier_added_in_the_store_reaches_check_and_suggest_after_the_rebuild(store, holder) -> None:
    before = holder.current()
    assert before.check("给您发丹鸟快递哦", SHOP).flags == []
    assert before.suggest("丹鸟快递什么时候到").variables.get("courier") is None

    edit(store, "lexicon", "couriers", lambda body: body.rstrip("\n") + NEW_COURIER)
    after = holder.refresh(timeout=120)

    assert after.revision == before.revision + 1
    [flag] = after.check("给您发丹鸟快递哦", SHOP).flags
    assert flag.rule == "carrier_commitment" and "丹鸟" in flag.message and flag.excerpt == "给您发丹鸟快递"
    assert after.suggest("丹鸟快递什么时候到").variables["courier"] == "丹鸟"
    # The agent's promise of the new courier is in the ledger too: a draft naming another breaks it.
    broken = after.check("给您发申通哦", SHOP, conversation=[("agent", "好的亲，给您备注发丹鸟快递")]).flags
    assert "broken_promise" in [f.rule for f in broken]


def test_a_domain_word_added_then_removed_leaves_segmentation_without_a_restart(store, holder) -> None:
    text = "羽绒服一直钻毛怎么办"
    assert "一直钻毛" not in holder.current().matcher.segmenter.tokens(text)
    original = store.get("lexicon", "domain").body

    edit(store, "lexicon", "domain", lambda body: body + "一直钻毛 2000 n\n")
    grown = holder.refresh(timeout=120)
    assert "一直钻毛" in grown.matcher.segmenter.tokens(text)
    assert "w:一直钻毛" in grown.matcher.featurizer.features(text)

    edit(store, "lexicon", "domain", lambda body: original)
    shrunk = holder.refresh(timeout=120)
    assert shrunk.revision == grown.revision + 1
    assert "一直钻毛" not in shrunk.matcher.segmenter.tokens(text)
    assert "w:一直钻毛" not in shrunk.matcher.featurizer.features(text)
    assert grown.matcher.segmenter.tokens(text) != shrunk.matcher.segmenter.tokens(text)


def test_a_keyword_removed_from_an_intent_leaves_segmentation(store, holder) -> None:
    text = "有质检报告吗"
    assert "质检报告" in holder.current().matcher.segmenter.tokens(text)
    edit(store, "intent", "authenticity", lambda body: body.replace("  - 质检报告\n", ""))
    after = holder.refresh(timeout=180)
    assert "质检报告" not in after.pack.intents["authenticity"].keywords
    assert after.matcher.segmenter.tokens(text) == ["有", "质检", "报告", "吗"]


def test_a_promise_lexicon_edit_reaches_the_order_note_and_keeps_the_matcher(store, holder) -> None:
    agent = [("agent", "好的亲，给您备注发韵达")]
    before = holder.current()
    [promise] = before.check("好的", SHOP, conversation=agent).promises
    assert promise.note == "发韵达"
    edit(store, "lexicon", "promises", lambda body: body.replace("    note: 发{value}\n", "    note: 指定发{value}\n", 1))
    after = holder.refresh(timeout=60)
    [promise] = after.check("好的", SHOP, conversation=agent).promises
    assert promise.note == "指定发韵达"
    assert after.matcher is before.matcher  # the words kept whole did not change: no retraining


def test_a_template_edit_reuses_the_tokenizer_guard_and_matcher(store, holder) -> None:
    before = holder.current()
    before.matcher.segmenter.tokens("预热")
    tokenizer = before.matcher.segmenter._tk
    assert tokenizer is not None
    key = "thanks/short"
    edit(store, "template", key, lambda body: body.rstrip("\n") + "呢\n")
    after = holder.refresh(timeout=60)

    assert after.revision == before.revision + 1
    assert after.pack.templates[key].body.endswith("呢")
    assert after.matcher is before.matcher and after.guard is before.guard
    assert after.matcher.segmenter is before.matcher.segmenter
    assert after.matcher.segmenter._tk is tokenizer


def test_the_segmenter_of_a_word_set_is_remembered_and_only_that(tmp_path) -> None:
    base = Segmenter(cache_dir=BUNDLED.cache_dir, lazy=True)
    same = Segmenter.for_words(dict(base.words), BUNDLED.cache_dir)
    assert Segmenter.for_words(dict(base.words), BUNDLED.cache_dir) is same
    grown = same.with_words(["一直钻毛"])
    assert grown is not same and grown.with_words(["一直钻毛"]) is grown
    assert grown.tokens("一直钻毛") == ["一直钻毛"]
    assert same.tokens("一直钻毛") == ["一直", "钻毛"]  # the first one never learnt it
    assert grown.fingerprint() != same.fingerprint()
