"""ContentStore behaviour on both backends: versions, conflicts, history, rollback, seed, import/export."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

import pytest

from app.store.content import ContentStore
from app.store.errors import Conflict, InvalidOperation, NotFound

KEY = "color_difference/standard"
V1 = "---\nid: color_difference/standard\nintent: color_difference\ntitle: 色差\n---\n亲，色差说明 v1\n"
V2 = V1.replace("v1", "v2")
V3 = V1.replace("v1", "v3")


def test_versions_are_numbered_and_old_ones_stay_readable(content: ContentStore, clock) -> None:
    first = content.save("template", KEY, V1, author="alice", comment="新建", base_version=None)
    clock.advance(timedelta(minutes=5))
    second = content.save("template", KEY, V2, author="bob", comment="改措辞", base_version=1)

    assert (first.version, second.version) == (1, 2)
    current = content.get("template", KEY)
    assert current is not None
    assert (current.version, current.body, current.author, current.comment) == (
        2,
        V2,
        "bob",
        "改措辞",
    )
    old = content.get("template", KEY, 1)
    assert old is not None and (old.body, old.author) == (V1, "alice")
    assert content.get("template", KEY, 3) is None
    assert content.get("template", "missing/none") is None
    assert [v.version for v in content.history("template", KEY)] == [2, 1]


def test_timestamps_are_utc_whatever_the_clock_zone(db) -> None:
    from datetime import datetime

    beijing = timezone(timedelta(hours=8))
    at = datetime(2024, 6, 1, 16, 30, tzinfo=beijing)
    store = ContentStore(db.engine, clock=lambda: at)
    store.save("intent", "refund", "id: refund\n", author="a", base_version=None)
    got = store.get("intent", "refund")
    assert got is not None
    assert got.created_at.tzinfo is not None and got.created_at.utcoffset() == timedelta(0)
    assert got.created_at == at and got.created_at.hour == 8
    assert store.list("intent")[0].updated_at.astimezone(UTC).hour == 8


def test_list_shows_current_version_author_and_hides_deleted(content: ContentStore) -> None:
    content.save("intent", "refund", "id: refund\n", author="alice", base_version=None)
    content.save("intent", "refund", "id: refund\nlabel: 退款\n", author="bob", base_version=1)
    content.save("intent", "greeting", "id: greeting\n", author="carol", base_version=None)
    content.delete("intent", "greeting", author="dave", base_version=1)
    content.save("template", KEY, V1, author="x", base_version=None)

    listed = content.list("intent")
    assert [(d.key, d.current_version, d.author) for d in listed] == [("refund", 2, "bob")]
    with_deleted = content.list("intent", include_deleted=True)
    assert [(d.key, d.deleted) for d in with_deleted] == [("greeting", True), ("refund", False)]
    assert [d.key for d in content.list("template")] == [KEY]
    with pytest.raises(ValueError):
        content.list("pictures")


def test_creating_an_existing_document_is_a_conflict(content: ContentStore) -> None:
    content.save("template", KEY, V1, author="alice", base_version=None)
    with pytest.raises(Conflict) as err:
        content.save("template", KEY, V2, author="bob", base_version=None)
    assert err.value.current_version == 1
    assert content.get("template", KEY).body == V1


def test_stale_base_is_a_conflict_naming_the_current_version(content: ContentStore) -> None:
    content.save("template", KEY, V1, author="alice", base_version=None)
    content.save("template", KEY, V2, author="alice", base_version=1)
    # Bob and Carol both opened version 2.
    content.save("template", KEY, V3, author="bob", base_version=2)
    lost = V3.replace("v3", "carol's edit")
    with pytest.raises(Conflict) as err:
        content.save("template", KEY, lost, author="carol", base_version=2)

    assert (err.value.kind, err.value.key, err.value.current_version) == ("template", KEY, 3)
    assert "第3版" in str(err.value)
    history = content.history("template", KEY)
    assert [v.version for v in history] == [3, 2, 1]
    assert all(v.body != lost for v in history)
    assert content.get("template", KEY).body == V3


def test_base_for_a_key_never_seen_is_not_found(content: ContentStore) -> None:
    with pytest.raises(NotFound):
        content.save("intent", "nope", "id: nope\n", author="a", base_version=1)
    assert content.history("intent", "nope") == []


def test_saving_an_unchanged_body_writes_nothing(content: ContentStore) -> None:
    content.save("intent", "refund", "id: refund\n", author="a", base_version=None)
    before = content.revision()
    again = content.save("intent", "refund", "id: refund\n", author="b", base_version=1)
    assert again.version == 1 and again.author == "a"
    assert content.revision() == before


def test_bad_kind_or_key_is_rejected(content: ContentStore) -> None:
    with pytest.raises(ValueError):
        content.save("picture", "x", "", author="a", base_version=None)
    for key in ("", " padded", "x" * 201):
        with pytest.raises(ValueError):
            content.save("intent", key, "id: x\n", author="a", base_version=None)


def test_delete_is_a_version_and_history_keeps_everything(content: ContentStore) -> None:
    content.save(
        "rule", "no_refund_promise", "id: no_refund_promise\n", author="a", base_version=None
    )
    content.save(
        "rule",
        "no_refund_promise",
        "id: no_refund_promise\nlevel: block\n",
        author="a",
        base_version=1,
    )

    with pytest.raises(Conflict) as err:
        content.delete("rule", "no_refund_promise", author="b", base_version=1)
    assert err.value.current_version == 2

    tomb = content.delete(
        "rule", "no_refund_promise", author="b", base_version=2, comment="不再需要"
    )
    assert (tomb.version, tomb.deleted, tomb.body, tomb.comment) == (3, True, "", "不再需要")
    assert content.get("rule", "no_refund_promise") is None
    assert content.get("rule", "no_refund_promise", 2).body.endswith("level: block\n")
    history = content.history("rule", "no_refund_promise")
    assert [(v.version, v.deleted) for v in history] == [(3, True), (2, False), (1, False)]
    assert "no_refund_promise" not in content.export_all()["rule"]

    with pytest.raises(NotFound):
        content.delete("rule", "no_refund_promise", author="b", base_version=3)
    with pytest.raises(NotFound):
        content.delete("rule", "never_existed", author="b", base_version=1)
    with pytest.raises(Conflict) as err:
        content.save("rule", "no_refund_promise", "id: x\n", author="c", base_version=2)
    assert err.value.current_version == 3 and err.value.deleted

    # A deleted key may be created again; numbering continues.
    again = content.save(
        "rule", "no_refund_promise", "id: no_refund_promise\n", author="c", base_version=None
    )
    assert again.version == 4


def test_rollback_makes_a_new_version_with_the_old_body(content: ContentStore) -> None:
    content.save("template", KEY, V1, author="alice", base_version=None)
    content.save("template", KEY, V2, author="bob", base_version=1)
    content.save("template", KEY, V3, author="bob", base_version=2)

    with pytest.raises(Conflict) as err:
        content.rollback("template", KEY, 1, author="carol", base_version=2)
    assert err.value.current_version == 3

    rolled = content.rollback("template", KEY, 1, author="carol", base_version=3)
    assert (rolled.version, rolled.body, rolled.author, rolled.comment) == (
        4,
        V1,
        "carol",
        "回滚到第1版",
    )
    assert content.get("template", KEY).body == V1
    assert [v.version for v in content.history("template", KEY)] == [4, 3, 2, 1]

    with pytest.raises(NotFound):
        content.rollback("template", KEY, 9, author="carol", base_version=4)


def test_rollback_restores_a_deleted_document_but_not_to_a_deletion(content: ContentStore) -> None:
    content.save("intent", "refund", "id: refund\n", author="a", base_version=None)
    content.delete("intent", "refund", author="a", base_version=1)
    with pytest.raises(InvalidOperation):
        content.rollback("intent", "refund", 2, author="a", base_version=2)
    restored = content.rollback("intent", "refund", 1, author="a", base_version=2)
    assert restored.version == 3 and not restored.deleted
    assert content.get("intent", "refund").body == "id: refund\n"


def test_diff_between_versions(content: ContentStore) -> None:
    content.save("template", KEY, V1, author="a", base_version=None)
    content.save("template", KEY, V2, author="a", base_version=1)
    diff = content.diff("template", KEY, 1, 2)
    assert "-亲，色差说明 v1\n" in diff and "+亲，色差说明 v2\n" in diff
    assert "第1版" in diff.splitlines()[0] and "第2版" in diff.splitlines()[1]
    assert content.diff("template", KEY, 2, 2) == ""
    with pytest.raises(NotFound):
        content.diff("template", KEY, 1, 5)


def test_seed_only_fills_keys_never_seen(db, clock) -> None:
    bundled = {"refund": "id: refund\n", "greeting": "id: greeting\n"}
    first = ContentStore(db.engine, clock=clock)
    assert first.seed("intent", bundled) == ["greeting", "refund"]
    seeded = first.get("intent", "refund")
    assert seeded is not None and (seeded.version, seeded.author) == (1, "bundled")

    first.save("intent", "refund", "id: refund\nlabel: 编辑改过\n", author="editor", base_version=1)
    first.delete("intent", "greeting", author="editor", base_version=1)
    revision = first.revision()

    # A restart (another engine, like a new process) with newer bundled files.
    restarted = ContentStore(db.new_engine(), clock=clock)
    newer = {
        "refund": "id: refund\nlabel: 新版附带\n",
        "greeting": "id: greeting\n",
        "thanks": "id: thanks\n",
    }
    assert restarted.seed("intent", newer) == ["thanks"]
    assert restarted.get("intent", "refund").body == "id: refund\nlabel: 编辑改过\n"
    assert restarted.get("intent", "greeting") is None
    assert restarted.revision() == revision + 1
    assert restarted.seed("intent", newer) == []
    assert restarted.revision() == revision + 1


def test_revision_counts_every_content_write(db, content: ContentStore) -> None:
    other_process = ContentStore(db.new_engine())
    assert content.revision() == 0
    content.save("intent", "refund", "id: refund\n", author="a", base_version=None)
    assert other_process.revision() == 1
    content.save("intent", "refund", "id: refund\nlabel: x\n", author="a", base_version=1)
    with pytest.raises(Conflict):
        content.save("intent", "refund", "id: refund\nlabel: y\n", author="a", base_version=1)
    assert other_process.revision() == 2
    content.delete("intent", "refund", author="a", base_version=2)
    content.rollback("intent", "refund", 1, author="a", base_version=3)
    assert other_process.revision() == 4
    content.import_docs("rule", {"r1": "id: r1\n", "r2": "id: r2\n"}, author="a")
    assert other_process.revision() == 5


def test_export_import_round_trip_writes_only_changed_bodies(content: ContentStore) -> None:
    content.seed(
        "intent", {"refund": "id: refund\n", "greeting": "id: greeting\n", "thanks": "id: thanks\n"}
    )
    content.seed("template", {KEY: V1})
    content.seed("rule", {"r1": "id: r1\n"})
    exported = content.export_all()
    assert exported == {
        "intent": {
            "greeting": "id: greeting\n",
            "refund": "id: refund\n",
            "thanks": "id: thanks\n",
        },
        "template": {KEY: V1},
        "rule": {"r1": "id: r1\n"},
        "lexicon": {},  # every kind is present, the empty ones too
        "variables": {},
    }

    content.save("intent", "refund", "id: refund\nlabel: 改了\n", author="e", base_version=1)
    content.delete("intent", "greeting", author="e", base_version=1)
    content.save("intent", "extra", "id: extra\n", author="e", base_version=None)

    changed = content.import_docs(
        "intent", exported["intent"], author="importer", comment="从备份恢复"
    )
    assert changed == ["greeting", "refund"]
    refund = content.get("intent", "refund")
    assert (refund.version, refund.body, refund.author, refund.comment) == (
        3,
        "id: refund\n",
        "importer",
        "从备份恢复",
    )
    assert content.get("intent", "greeting").version == 3
    assert content.get("intent", "thanks").version == 1
    assert content.get("intent", "extra") is not None  # not mentioned: left alone

    assert content.import_docs("intent", exported["intent"], author="importer") == []
    after = content.export_all()
    assert after["intent"] == {**exported["intent"], "extra": "id: extra\n"}
    assert after["template"] == exported["template"] and after["rule"] == exported["rule"]


def _seeded(content: ContentStore) -> None:
    content.seed("intent", {"refund": "id: refund\n", "thanks": "id: thanks\n"})
    content.seed("template", {KEY: V1})
    content.seed("rule", {"r1": "id: r1\n"})


def test_import_all_writes_every_kind_in_one_revision(db, content: ContentStore) -> None:
    _seeded(content)
    revision = content.revision()
    changed = content.import_all(
        {"intent": {"refund": "id: refund\nlabel: 退款\n", "thanks": "id: thanks\n"},
         "template": {KEY: V2}, "rule": {"r2": "id: r2\n"}},
        author="importer",
    )
    assert changed == [("intent", "refund"), ("rule", "r2"), ("template", KEY)]
    assert ContentStore(db.new_engine()).revision() == revision + 1
    assert content.get("template", KEY).body == V2 and content.get("intent", "thanks").version == 1


def test_a_failed_write_part_way_through_an_import_changes_nothing(db, content: ContentStore, monkeypatch) -> None:
    from sqlalchemy.exc import OperationalError

    _seeded(content)
    before, revision = content.export_all(), content.revision()
    histories = {(k, key): content.history(k, key) for k, docs in before.items() for key in docs}
    real_append = ContentStore._append
    writes: list[str] = []

    def failing_append(self, s, doc, body, **kw):
        writes.append(doc.key)
        if len(writes) == 3:
            raise OperationalError("INSERT …", {}, Exception("disk I/O error"))
        return real_append(self, s, doc, body, **kw)

    monkeypatch.setattr(ContentStore, "_append", failing_append)
    with pytest.raises(OperationalError):
        content.import_all(
            {"intent": {"refund": "id: refund\nlabel: 退款\n", "new_one": "id: new_one\n"},
             "rule": {"r1": "id: r1\nseverity: warn\n"}, "template": {KEY: V2}},
            author="importer",
        )
    assert writes == ["new_one", "refund", "r1"]
    other_process = ContentStore(db.new_engine())
    assert other_process.export_all() == before and other_process.revision() == revision
    assert {(k, key): other_process.history(k, key) for k, docs in before.items() for key in docs} == histories
    # not even the new document's placeholder row
    assert [d.key for d in other_process.list("intent", include_deleted=True)] == ["refund", "thanks"]


def test_an_import_with_a_key_the_store_refuses_writes_nothing(content: ContentStore) -> None:
    _seeded(content)
    before = content.export_all()
    with pytest.raises(ValueError):
        content.import_all({"intent": {"refund": "id: refund\nlabel: 退款\n"}, "rule": {"x" * 201: "id: x\n"}},
                           author="importer")
    assert content.export_all() == before
