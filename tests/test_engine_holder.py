"""The engine holder: edits rebuild the engine in the background, never inside a request,
and edits that arrive together are folded into one build."""

from __future__ import annotations

import threading
import time

import pytest

from app.content.models import IntentSpec
from app.editing.sync import load_from_files
from app.engine.holder import AssistantHolder
from app.text.segment import Segmenter


@pytest.fixture(scope="module")
def content(settings):
    pack, rules, _ = load_from_files(settings)
    return pack, rules


class Source:
    """Content whose revision an 'editor' moves on; ``load`` can be held back to act slow."""

    def __init__(self, content):
        self.pack, self.rules = content
        self.revision = 1
        self.loads = 0
        self.gate = threading.Event()
        self.gate.set()
        self.fail = False

    def load(self):
        self.gate.wait(30)
        self.loads += 1
        if self.fail:
            raise OSError("store unreachable")
        return self.pack, self.rules, self.revision

    def probe(self):
        return self.revision


def test_an_edit_seen_by_the_probe_does_not_stall_the_request_that_sees_it(content):
    src = Source(content)
    holder = AssistantHolder(src.load, Segmenter(), probe=src.probe, probe_interval=0)
    first = holder.current()
    src.gate.clear()  # the rebuild will take as long as the test wants
    src.revision = 2
    # The request that notices the new revision is answered at once, with the engine it had.
    assert holder.current() is first
    assert holder.current().revision == 1
    src.gate.set()
    assert holder.wait(holder.refresh_soon(), timeout=30)
    assert holder.current().revision == 2


def test_saves_that_arrive_together_share_builds_and_each_sees_its_edit(content):
    src = Source(content)
    holder = AssistantHolder(src.load, Segmenter())
    loads_before = src.loads
    src.gate.clear()
    holder.refresh_soon()  # a build starts and is held in load()
    results: list[int] = []

    def save(i: int) -> None:
        holder.refresh(timeout=30)
        results.append(holder.current().revision)

    src.revision = 9
    savers = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for t in savers:
        t.start()
    src.gate.set()
    for t in savers:
        t.join(30)
    assert results == [9] * 8  # every save answered with its edit live
    assert src.loads - loads_before <= 2  # the held build, then one for all eight


def test_a_failed_rebuild_keeps_the_content_in_use(content):
    src = Source(content)
    holder = AssistantHolder(src.load, Segmenter())
    before = holder.current()
    src.fail, src.revision = True, 2
    # Waiters are not left hanging, and are told that their edit is not live.
    assert holder.wait(holder.refresh_soon(), timeout=30) is False
    assert holder.current() is before
    src.fail = False
    holder.refresh(timeout=30)
    assert holder.current().revision == 2


def test_an_intent_edit_retrains_a_template_edit_does_not(content):
    pack, rules = content
    src = Source(content)
    holder = AssistantHolder(src.load, Segmenter())
    engine = holder.current()
    src.pack = type(pack)(**{**pack.__dict__, "templates": dict(pack.templates)})
    src.revision = 2
    assert holder.refresh(timeout=30).matcher is engine.matcher
    intents = dict(pack.intents)
    spec = intents["color_difference"]
    intents["color_difference"] = IntentSpec(**{**spec.model_dump(), "examples": [*spec.examples, "颜色跟详情页差太多了吧"]})
    src.pack = type(pack)(**{**pack.__dict__, "intents": intents})
    src.revision = 3
    assert holder.refresh(timeout=60).matcher is not engine.matcher


class CountingSource(Source):
    def __init__(self, content):
        super().__init__(content)
        self.probes = 0

    def probe(self):
        self.probes += 1
        return self.revision


def _until(condition, patience: float = 30) -> bool:
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_requests_never_probe_the_store_the_background_poll_does(content):
    src = CountingSource(content)
    holder = AssistantHolder(src.load, Segmenter(), probe=src.probe, probe_interval=0.05)
    for _ in range(50):
        holder.current()
    assert src.probes == 0  # not one database query on a request's path
    holder.start_polling()
    try:
        src.revision = 2  # another process saved an edit; no request comes in
        assert _until(lambda: src.loads == 2)
        assert _until(lambda: holder.current().revision == 2)
    finally:
        holder.close()
    probes = src.probes
    time.sleep(0.2)
    assert src.probes == probes  # closed: the poll has stopped


def test_a_notification_rebuilds_once_and_ours_is_not_rebuilt_again(content):
    src = CountingSource(content)
    holder = AssistantHolder(src.load, Segmenter(), probe=src.probe)
    src.revision = 2
    holder.refresh(timeout=30)  # our own save: built with revision 2
    loads = src.loads
    holder.notice(2)  # …and then its notification arrives
    holder.notice(1)
    time.sleep(0.1)
    assert src.loads == loads
    src.revision = 3  # another process's save
    holder.notice(3)
    assert _until(lambda: holder.current().revision == 3)
    src.revision = 4
    holder.notice(None)  # "check now" (after the listener reconnected): the revision is probed
    assert _until(lambda: holder.current().revision == 4)
    assert src.loads == loads + 2
