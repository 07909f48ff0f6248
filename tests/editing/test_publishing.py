"""Around a save: the id a new draft declares, what the editor opens with, and a stale save's report."""

from __future__ import annotations

import pytest

from app.editing.publishing import conflict_report, draft_key, editor_state
from app.store import open_engine
from app.store.content import ContentStore
from app.store.errors import NotFound

SRC = "---\nid: thanks/warm\nintent: thanks\ntitle: 致谢\n---\n亲，谢谢您～\n第二行\n"


@pytest.fixture
def store(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'shouhou.db'}")
    yield ContentStore(engine)
    engine.dispose()


@pytest.mark.parametrize(("source", "key"), [
    (SRC, "thanks/warm"),
    ("id: gift_wrap\nlabel: 礼品包装\n", "gift_wrap"),
    ("id: 'quoted_rule'  # 注释\n", "quoted_rule"),
    ("label: 没有 id\n", None),
    ("id: ../../etc\n", None),
    ("id: 带空格 的\n", None),
    ("  id: nested\n", None),
])
def test_draft_key(source, key) -> None:
    assert draft_key(source) == key


def test_what_the_editor_opens_with(store: ContentStore) -> None:
    assert editor_state(store, "template", "thanks/warm", with_draft=True) is None

    store.save_draft("template", "thanks/warm", SRC, author="小美", base_version=None)
    only_draft = editor_state(store, "template", "thanks/warm", with_draft=True)
    assert (only_draft.source, only_draft.version, only_draft.published) == (SRC, 0, False)
    assert editor_state(store, "template", "thanks/warm", with_draft=False) is None  # an agent sees no draft

    store.save("template", "thanks/warm", SRC, author="小美", base_version=None, discard_draft=True)
    store.save("template", "thanks/warm", SRC + "v2\n", author="老板", base_version=1)
    store.save_draft("template", "thanks/warm", SRC + "草稿\n", author="小美", base_version=1)
    opened = editor_state(store, "template", "thanks/warm", with_draft=True)
    assert (opened.source, opened.version, opened.current_version) == (SRC + "草稿\n", 1, 2)  # the draft's own base
    assert opened.draft.author == "小美"
    assert editor_state(store, "template", "thanks/warm", with_draft=False).source == SRC + "v2\n"

    store.delete("template", "thanks/warm", author="老板", base_version=2)
    gone = editor_state(store, "template", "thanks/warm", with_draft=True)
    assert (gone.deleted, gone.version, gone.restore_version, gone.source) == (True, 3, 2, SRC + "v2\n")


def test_a_stale_save_is_told_what_changed_and_gets_the_merge(store: ContentStore) -> None:
    store.save("template", "thanks/warm", SRC, author="小美", base_version=None)
    store.save("template", "thanks/warm", SRC.replace("title: 致谢", "title: 致谢·新"), author="老板",
               comment="改标题", base_version=1)
    report = conflict_report(store, "template", "thanks/warm", 1, SRC.replace("第二行", "第二行，改过"))
    assert (report.base_version, report.current_version, report.deleted, report.conflicts) == (1, 2, False, 0)
    assert [(v.version, v.author, v.comment) for v in report.newer] == [(2, "老板", "改标题")]
    assert report.merged == SRC.replace("title: 致谢", "title: 致谢·新").replace("第二行", "第二行，改过")
    changed = [p["text"] for row in report.theirs_diff if row["op"] == "insert" for p in row["parts"] if p["changed"]]
    assert changed == ["·新"]
    with pytest.raises(NotFound):
        conflict_report(store, "template", "thanks/warm", 7, SRC)
    with pytest.raises(NotFound):
        conflict_report(store, "template", "thanks/none", 1, SRC)
