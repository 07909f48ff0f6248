"""The engine holder: edits rebuild the engine in the background, never inside a request,
and edits that arrive together are folded into one build."""

from __future__ import annotations

import threading
import time

import pytest

from app.content.models import IntentSpec
from app.editing.sync import load_from_files
from app.engine.assistant import Assistant
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
    asked = threading.Semaphore(0)

    def save() -> None:
        ticket = holder.refresh_soon()  # the editor's save asks for a build…
        asked.release()
        assert holder.wait(ticket, timeout=30)  # …and answers once its edit is live
        results.append(holder.current().revision)

    src.revision = 9
    savers = [threading.Thread(target=save) for _ in range(8)]
    for t in savers:
        t.start()
    for _ in savers:
        assert asked.acquire(timeout=30)  # all eight have asked while the first build is held
    src.gate.set()
    for t in savers:
        t.join(30)
    assert results == [9] * 8  # every save answered with its edit live
    assert src.loads - loads_before == 2  # the held build, then one for all eight


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


def _edit_template(pack, template_id: str, body: str):
    templates = dict(pack.templates)
    templates[template_id] = templates[template_id].model_copy(update={"body": body})
    return type(pack)(**{**pack.__dict__, "templates": templates})


def test_a_template_edit_is_served_with_the_trained_classifier_and_the_compiled_rules(content):
    pack, rules = content
    src = Source(content)
    holder = AssistantHolder(src.load, Segmenter())
    engine = holder.current()
    new_text = "亲，实在抱歉让您看到色差了，麻烦您在自然光下拍张照片，我们马上帮您核对处理。"
    src.pack = _edit_template(pack, "color_difference/standard", new_text)
    src.revision = 2
    edited = holder.refresh(timeout=30)
    assert edited.revision == 2
    assert edited.matcher is engine.matcher  # not retrained: the intents did not change
    assert edited.guard is engine.guard  # the rules are not compiled again
    texts = [s.text for s in edited.suggest("收到的颜色和图片差好多", top_k=5).suggestions]
    assert new_text in texts  # …and the edit is what agents get
    assert new_text not in [s.text for s in engine.suggest("收到的颜色和图片差好多", top_k=5).suggestions]


def test_a_rule_edit_compiles_the_rules_and_keeps_the_classifier(content):
    pack, rules = content
    src = Source(content)
    holder = AssistantHolder(src.load, Segmenter())
    engine = holder.current()
    assert engine.guard.check("加个微信吧") != []
    src.rules = [r for r in rules if r.id != "off_platform"]
    src.revision = 2
    edited = holder.refresh(timeout=30)
    assert edited.matcher is engine.matcher
    assert edited.guard is not engine.guard
    assert "off_platform" not in {f.rule for f in edited.guard.check("加个微信吧")}


def test_a_failed_build_keeps_serving_the_old_assistant_and_is_not_retried_by_every_poll(content, monkeypatch):
    pack, rules = content
    src = CountingSource(content)
    holder = AssistantHolder(src.load, Segmenter(), probe=src.probe)
    before = holder.current()
    real_build = Assistant.build

    def build(pack, rules, segmenter, revision=0, **kw):
        if revision == 2:
            raise ValueError("a template that cannot be compiled")
        return real_build(pack, rules, segmenter, revision, **kw)

    monkeypatch.setattr(Assistant, "build", staticmethod(build))
    src.pack = _edit_template(pack, "color_difference/standard", "亲，这一版建不起来")
    src.revision = 2
    assert holder.wait(holder.refresh_soon(), timeout=30) is False  # the save is told: not live
    assert holder.current() is before  # requests go on with the old assistant…
    texts = [s.text for s in holder.current().suggest("收到的颜色和图片差好多").suggestions]
    assert texts and "亲，这一版建不起来" not in texts  # …which still answers, with the old content
    loads = src.loads
    for _ in range(5):
        holder.check()  # the poll sees revision 2 again: that build already failed
    time.sleep(0.1)
    assert src.loads == loads
    src.revision = 3  # the next edit tries again
    holder.notice(3)
    assert _until(lambda: holder.current().revision == 3)
    assert src.loads == loads + 1


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
