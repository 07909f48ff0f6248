"""Other processes hear about content edits: NOTIFY on commit (PostgreSQL), and a consistent snapshot.

``snapshot()`` must pair the documents with the revision they are, even when an edit
commits between its two reads; the listener must hear a committed edit (and only a
committed one) and come back after its connection is killed.
"""

from __future__ import annotations

import queue

import pytest
from sqlalchemy import event, text

from app.store.changes import ChangeListener
from app.store.content import Conflict, ContentStore

PATIENCE = 30  # seconds; every wait below is normally a few milliseconds


def test_snapshot_pairs_the_documents_with_their_revision(db, content: ContentStore) -> None:
    content.save("template", "refund/standard", "第一版", author="a", base_version=None)
    other_process = ContentStore(db.new_engine())
    injected = []

    # Another process commits an edit between the snapshot's revision read and its document read.
    @event.listens_for(db.engine, "before_cursor_execute")
    def edit_in_between(conn, cursor, statement, params, context, executemany):
        if "document_versions" in statement and not injected:
            injected.append(other_process.save("template", "refund/standard", "第二版", author="b", base_version=1))

    try:
        revision, docs = content.snapshot()
    finally:
        event.remove(db.engine, "before_cursor_execute", edit_in_between)
    assert injected, "the edit was not made during the snapshot"
    assert (revision, docs["template"]["refund/standard"]) == (1, "第一版")  # the state before the edit, whole
    assert content.snapshot() == (2, {"intent": {}, "template": {"refund/standard": "第二版"}, "rule": {}, "lexicon": {}, "variables": {}})


@pytest.fixture
def listener(db):
    if db.backend != "postgres":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    heard: queue.Queue = queue.Queue()
    listener = ChangeListener(db.new_engine(), heard.put).start()
    assert listener.listening.wait(PATIENCE)
    assert heard.get(timeout=PATIENCE) is None  # "check now", after connecting
    yield listener, heard
    listener.stop()


def _assert_quiet(heard: queue.Queue) -> None:
    with pytest.raises(queue.Empty):
        heard.get(timeout=0.3)


def test_a_committed_edit_is_heard_with_its_revision_and_a_refused_one_is_not(db, content, listener) -> None:
    _, heard = listener
    content.save("intent", "refund", "id: refund\n", author="a", base_version=None)
    assert heard.get(timeout=PATIENCE) == 1
    with pytest.raises(Conflict):  # rolled back: nothing to hear
        content.save("intent", "refund", "id: refund\nlabel: x\n", author="a", base_version=7)
    content.save("intent", "refund", "id: refund\n", author="a", base_version=1)  # unchanged: no write
    _assert_quiet(heard)
    content.delete("intent", "refund", author="a", base_version=1)
    assert heard.get(timeout=PATIENCE) == 2
    content.rollback("intent", "refund", 1, author="a", base_version=2)
    assert heard.get(timeout=PATIENCE) == 3
    content.import_all({"rule": {"r1": "id: r1\n"}, "template": {"t/a": "亲"}}, author="a")
    assert heard.get(timeout=PATIENCE) == 4  # one transaction, one notification
    _assert_quiet(heard)


def test_edits_of_another_instance_sharing_the_database_are_not_heard(db, content, listener) -> None:
    _, heard = listener
    with db.engine.begin() as conn:  # another instance, in its own schema, saved its revision 99
        conn.execute(text("SELECT pg_notify('shouhou_content', 'shouhou_other_instance:99')"))
    _assert_quiet(heard)
    content.save("intent", "refund", "id: refund\n", author="a", base_version=None)
    assert heard.get(timeout=PATIENCE) == 1


def test_the_listener_comes_back_after_its_connection_is_killed(db, content, listener) -> None:
    listening, heard = listener
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": listening.backend_pid}).scalar()
    # It reconnects and says "check now" (edits committed meanwhile were not heard)…
    assert heard.get(timeout=PATIENCE) is None
    # …and hears the next edit.
    content.save("intent", "refund", "id: refund\n", author="a", base_version=None)
    assert heard.get(timeout=PATIENCE) == 1
