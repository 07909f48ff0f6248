"""Drafts on both backends: one per document, never served, no revision bump, published like a save."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.store.content import ContentStore
from app.store.errors import Conflict, NotFound

KEY = "color_difference/standard"
V1 = "---\nid: color_difference/standard\nintent: color_difference\ntitle: 色差\n---\n亲，色差说明 v1\n"
V2 = V1.replace("v1", "v2")
V3 = V1.replace("v1", "v3")
NEW_KEY = "thanks/new_reply"
NEW = "---\nid: thanks/new_reply\nintent: thanks\ntitle: 新的致谢\n---\n亲，谢谢您～\n"


def test_a_draft_is_kept_but_not_served_nor_counted(content: ContentStore, clock) -> None:
    content.save("template", KEY, V1, author="alice", base_version=None)
    revision, served = content.snapshot()

    clock.advance(timedelta(minutes=3))
    draft = content.save_draft("template", KEY, V2, author="bob", base_version=1)

    assert (draft.body, draft.base_version, draft.author, draft.saved_at) == (V2, 1, "bob", clock.now)
    assert content.get_draft("template", KEY) == draft
    assert content.snapshot() == (revision, served)  # the engine sees nothing new
    assert content.get("template", KEY).body == V1
    assert [v.version for v in content.history("template", KEY)] == [1]


def test_a_new_document_can_be_a_draft_only(content: ContentStore) -> None:
    revision = content.revision()
    content.save_draft("template", NEW_KEY, NEW, author="alice", base_version=None)

    assert content.get("template", NEW_KEY) is None
    assert content.list("template") == []
    assert [(d.key, d.base_version) for d in content.drafts("template")] == [(NEW_KEY, None)]
    assert content.drafts("intent") == []
    assert content.revision() == revision
    assert NEW_KEY not in content.export_all()["template"]


def test_saving_again_replaces_the_draft(content: ContentStore, clock) -> None:
    content.save_draft("template", NEW_KEY, NEW, author="alice", base_version=None)
    clock.advance(timedelta(minutes=1))
    content.save_draft("template", NEW_KEY, NEW.replace("谢谢", "感谢"), author="bob", base_version=None)

    drafts = content.drafts("template")
    assert len(drafts) == 1
    assert (drafts[0].author, drafts[0].saved_at) == ("bob", clock.now)
    assert "感谢" in drafts[0].body


def test_discard(content: ContentStore) -> None:
    content.save_draft("intent", "refund", "id: refund\n", author="a", base_version=None)
    assert content.discard_draft("intent", "refund") is True
    assert content.get_draft("intent", "refund") is None
    assert content.discard_draft("intent", "refund") is False


def test_publishing_saves_a_version_and_removes_the_draft(content: ContentStore) -> None:
    content.save_draft("template", NEW_KEY, NEW, author="alice", base_version=None)
    revision = content.revision()

    v = content.save("template", NEW_KEY, NEW, author="alice", comment="发布", base_version=None, discard_draft=True)

    assert v.version == 1 and content.get("template", NEW_KEY).body == NEW
    assert content.get_draft("template", NEW_KEY) is None
    assert content.revision() == revision + 1


def test_a_stale_publish_is_a_conflict_and_keeps_the_draft(content: ContentStore) -> None:
    content.save("template", KEY, V1, author="alice", base_version=None)
    content.save_draft("template", KEY, V3, author="bob", base_version=1)
    content.save("template", KEY, V2, author="carol", base_version=1)  # saved meanwhile

    with pytest.raises(Conflict) as info:
        content.save("template", KEY, V3, author="bob", base_version=1, discard_draft=True)

    assert info.value.current_version == 2
    assert content.get_draft("template", KEY).body == V3
    assert content.get("template", KEY).body == V2


def test_a_draft_based_on_a_version_that_does_not_exist_is_refused(content: ContentStore) -> None:
    with pytest.raises(NotFound):
        content.save_draft("template", KEY, V1, author="a", base_version=1)
    content.save("template", KEY, V1, author="a", base_version=None)
    with pytest.raises(NotFound):
        content.save_draft("template", KEY, V2, author="a", base_version=2)
    with pytest.raises(ValueError):
        content.save_draft("nonsense", KEY, V2, author="a", base_version=None)


def test_deleting_a_document_discards_its_draft(content: ContentStore) -> None:
    content.save("template", KEY, V1, author="alice", base_version=None)
    content.save_draft("template", KEY, V2, author="bob", base_version=1)

    content.delete("template", KEY, author="alice", base_version=1)

    assert content.get_draft("template", KEY) is None
    assert [v.deleted for v in content.history("template", KEY)] == [True, False]


def test_drafts_survive_a_second_process(db, clock) -> None:
    ContentStore(db.engine, clock=clock).save_draft("rule", "r1", "id: r1\n", author="a", base_version=None)
    other = ContentStore(db.new_engine(), clock=clock)
    assert other.get_draft("rule", "r1").body == "id: r1\n"
