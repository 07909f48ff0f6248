"""The editors' learning inbox: what the engine could not handle, grouped, and the edits that teach it.

* ``build_groups`` turns the recorded messages (``app.store.inbox``) into groups of
  similar messages (``app.matching.grouping``, over the engine's features and trained
  idf), each with how often it came, why it is in the inbox, example texts (masked)
  and the best intents the engine gives now.  A group whose every message is already
  an example of some intent or of out-of-scope has been dealt with and is left out.
* ``propose`` turns an editor's choice — add the messages as examples of an intent,
  as out-of-scope examples, or as the examples of a new intent — into the new text
  of one intent document, to be saved as a new version like any other edit (the
  examples are appended to the YAML as written, comments kept).
* ``preview`` trains a candidate matcher on the content with that change (about a
  second) and says, for each message, what it matches now and what it would match
  after saving.

Blocking: call these from a worker thread (the routes are plain ``def``).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import yaml

from app.content.files import dump_intent, parse_intent
from app.content.models import IntentSpec, OutOfScope
from app.engine.assistant import Assistant
from app.matching.features import Featurizer
from app.matching.grouping import DEFAULT_THRESHOLD, group_texts
from app.matching.index_cache import IndexCache
from app.matching.matcher import IntentMatcher, MatchResult
from app.store.content import ContentStore
from app.store.inbox import InboxMessage
from app.text.normalize import normalize

Action = Literal["add_example", "out_of_scope", "new_intent"]
OUT_OF_SCOPE = "_out_of_scope"
#: The longest example an intent may have (``IntentSpec``).
MAX_EXAMPLE = 500
#: Texts of one group sent to the page (what an action may add), texts shown, texts asked about now.
MAX_GROUP_TEXTS = 100
SHOWN_TEXTS = 5
CHECKED_TEXTS = 5
#: Groups one listing returns.
MAX_GROUPS = 100
#: Candidate matchers trained at once (each is about a second of CPU and some memory).
_TRAINING = threading.BoundedSemaphore(2)
TRAINING_WAIT_S = 30.0


class InboxError(Exception):
    """A refused inbox request: the HTTP status, the message (Chinese) and the field at fault."""

    def __init__(self, status: int, detail: str, field: str | None = None, **extra: object):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field = field
        self.extra = extra


# -- what the engine knows already -------------------------------------------------------------

_known_lock = threading.Lock()
_known: tuple[object, dict[str, str]] | None = None


def known_examples(engine: Assistant) -> dict[str, str]:
    """``{normalised example: intent id or "_out_of_scope"}`` for the engine's content (cached per pack)."""
    global _known
    with _known_lock:
        if _known is not None and _known[0] is engine.pack:
            return _known[1]
    out: dict[str, str] = {}
    for e in engine.pack.out_of_scope:
        out.setdefault(normalize(e).text, OUT_OF_SCOPE)
    for spec in engine.pack.intents.values():
        for e in spec.examples:
            out.setdefault(normalize(e).text, spec.id)
    with _known_lock:
        _known = (engine.pack, out)
    return out


def clean_text(text: str) -> str:
    """A message as an example: one line, whitespace collapsed."""
    return " ".join(text.split())


# -- groups ------------------------------------------------------------------------------------


@dataclass
class Group:
    key: str
    count: int = 0
    texts: list[str] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    shops: Counter[str] = field(default_factory=Counter)
    first_at: str = ""
    last_at: str = ""
    now: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "count": self.count,
            "distinct": len(self.texts),
            "examples": self.texts[:SHOWN_TEXTS],
            "texts": self.texts[:MAX_GROUP_TEXTS],
            "kinds": dict(self.kinds),
            "reasons": [{"reason": r, "count": n} for r, n in self.reasons.most_common()],
            "shops": [s for s, _ in self.shops.most_common()],
            "first_at": self.first_at,
            "last_at": self.last_at,
            "now": self.now,
        }


def trained_idf(engine: Assistant):
    """A feature's idf in the engine's training examples; unseen features weigh as the rarest."""
    clf = engine.matcher.classifier
    rarest = float(np.log(1.0 + len(clf.rows)) + 1.0)

    def idf(name: str) -> float:
        j = clf.vocab.get(name)
        return float(clf.idf[j]) if j is not None else rarest

    return idf


def _now(engine: Assistant, texts: Sequence[str]) -> dict:
    """What the engine makes of up to ``CHECKED_TEXTS`` of the texts now: the intents and how many match each."""
    counts: Counter[str] = Counter()
    best: dict[str, float] = {}
    no_match = 0
    closest: tuple[str, float] | None = None
    checked = list(texts[:CHECKED_TEXTS])
    for t in checked:
        result = engine.matcher.match(t)
        if not result.intents:
            no_match += 1
            r = result.best_rejected
            if r is not None and (closest is None or r.score > closest[1]):
                closest = (r.id, r.score)
        for m in result.intents:
            counts[m.id] += 1
            best[m.id] = max(best.get(m.id, 0.0), m.score)
    label = _labeller(engine)
    intents = [{"id": i, "label": label(i), "count": n, "score": round(best[i], 4)} for i, n in counts.most_common()]
    return {
        "checked": len(checked),
        "no_match": no_match,
        "intents": intents,
        "closest": None if closest is None else {"id": closest[0], "label": label(closest[0]), "score": round(closest[1], 4)},
    }


def _labeller(engine: Assistant):
    def label(intent_id: str) -> str:
        spec = engine.pack.intents.get(intent_id)
        return spec.label if spec is not None else intent_id

    return label


def build_groups(
    messages: Sequence[InboxMessage],
    engine: Assistant,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    max_groups: int = MAX_GROUPS,
) -> tuple[list[dict], int]:
    """The groups of ``messages`` (newest first as read), heaviest first; and how many groups were
    left out because every message of theirs is already an example."""
    # Equal texts (after masking and collapsing whitespace) are one entry with a count.
    distinct: dict[str, list[InboxMessage]] = {}
    for m in messages:
        text = clean_text(m.message)
        if text:
            distinct.setdefault(text, []).append(m)
    texts = list(distinct)
    normalized = [normalize(t).text for t in texts]
    featurizer = engine.matcher.featurizer
    groups = group_texts(
        normalized, featurizer.features, [len(distinct[t]) for t in texts], threshold=threshold, idf=trained_idf(engine)
    )
    known = known_examples(engine)
    out: list[dict] = []
    handled = 0
    for members in groups:
        if all(normalized[i] in known for i in members):
            handled += 1
            continue
        if len(out) >= max_groups:
            continue
        lead = texts[members[0]]
        g = Group(key=hashlib.sha256(lead.encode("utf-8")).hexdigest()[:16])
        times = []
        for i in members:
            if normalized[i] in known:
                continue  # already an example: nothing left to teach with it
            g.texts.append(texts[i])
            for m in distinct[texts[i]]:
                g.count += 1
                g.kinds.update(m.kinds)
                g.reasons.update(r or "未说明原因" for r in m.dismissed)
                g.shops[m.shop] += 1
                times.append(m.at)
        g.first_at, g.last_at = min(times).isoformat(), max(times).isoformat()
        g.now = _now(engine, g.texts)
        out.append(g.as_dict())
    return out, handled


# -- changes -----------------------------------------------------------------------------------


@dataclass
class Change:
    """The new text of one intent document, and what it adds."""

    action: Action
    key: str
    label: str
    #: The version the change is based on (None: a new intent).
    base_version: int | None
    source: str
    spec: IntentSpec | OutOfScope
    added: list[str]
    skipped: list[dict]


_SCALAR_LINE = re.compile(r"^- (.*)\n$", re.S)


def _item(text: str) -> str:
    """``text`` as one YAML list item's scalar (quoted when it must be)."""
    dumped = yaml.safe_dump([text], allow_unicode=True, width=10**9, default_flow_style=False)
    m = _SCALAR_LINE.match(dumped)
    if m and "\n" not in m.group(1):
        return m.group(1)
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def append_examples(source: str, texts: Sequence[str], key: str = "examples") -> str:
    """``source`` (an intent's YAML) with ``texts`` appended to its ``key`` list.

    The lines are inserted after the list's last item, with its indentation, so that
    comments and the rest of the file stay as the editor wrote them.  A list written
    another way (flow style ``[a, b]``) is rewritten with the whole document (comments lost).
    """
    lines = source.split("\n")
    start = next((i for i, line in enumerate(lines) if re.match(rf"^{re.escape(key)}\s*:\s*(#.*)?$", line)), None)
    last = indent = None
    if start is not None:
        j = start + 1
        while j < len(lines):
            line = lines[j]
            stripped = line.lstrip(" ")
            if not stripped or stripped.startswith("#"):
                j += 1
                continue
            if line.startswith((" ", "-")):
                if stripped.startswith("-") and indent is None:
                    indent = line[: len(line) - len(stripped)]
                last = j
                j += 1
                continue
            break
    if last is not None and indent is not None:
        new = [f"{indent}- {_item(t)}" for t in texts]
        candidate = "\n".join([*lines[: last + 1], *new, *lines[last + 1 :]])
        parsed, _ = parse_intent(candidate)
        before, _ = parse_intent(source)
        if parsed is not None and before is not None and getattr(parsed, key) == [*getattr(before, key), *texts]:
            return candidate
    data = yaml.safe_load(source) or {}
    data[key] = [*(data.get(key) or []), *texts]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def propose(
    engine: Assistant,
    store: ContentStore,
    action: Action,
    messages: Sequence[str],
    intent: str | None = None,
    new_intent: dict | None = None,
) -> Change:
    """The change ``action`` makes with ``messages``; ``InboxError`` (404, 409, 422) when it cannot be made."""
    known = known_examples(engine)
    label = _labeller(engine)
    if action == "add_example":
        if not intent:
            raise InboxError(422, "intent：请选择要加入例句的意图", "intent")
        key = intent
        if key.startswith("_") or key not in engine.pack.intents:
            raise InboxError(404, f"没有这个意图：{key}", "intent")
    elif action == "out_of_scope":
        key = OUT_OF_SCOPE
    else:
        if not new_intent:
            raise InboxError(422, "new_intent：请填写新意图的 id、名称和分类", "new_intent")
        key = new_intent["id"]
    current = store.get("intent", key)
    if action == "new_intent":
        if current is not None and not current.deleted:
            raise InboxError(409, f"意图 {key} 已存在，请换一个 id，或把消息加为它的例句", "new_intent.id")
        base_version = current.version if current is not None else None
    else:
        if current is None or current.deleted:
            raise InboxError(404, f"没有这个意图：{key}", "intent")
        base_version = current.version

    added: list[str] = []
    skipped: list[dict] = []
    for raw in messages:
        text = clean_text(raw)
        if not text or text in added:
            continue
        if len(text) > MAX_EXAMPLE:
            skipped.append({"text": text[:60] + "…", "reason": f"超过 {MAX_EXAMPLE} 字，不能作为例句"})
            continue
        owner = known.get(normalize(text).text)
        if owner == key:
            skipped.append({"text": text, "reason": "已经是这个意图的例句"})
        elif owner is not None:
            where = "无关消息" if owner == OUT_OF_SCOPE else f"意图「{label(owner)}」"
            skipped.append({"text": text, "reason": f"已经是{where}的例句"})
        else:
            added.append(text)
    if not added:
        raise InboxError(422, "messages：这些消息都已是例句或不能作为例句，没有可添加的", "messages", skipped=skipped)

    if action == "new_intent":
        assert new_intent is not None
        spec_data = {k: v for k, v in new_intent.items() if v not in (None, "")}
        spec = IntentSpec.model_validate({**spec_data, "examples": added, "keywords": []})
        source = dump_intent(spec)
        name = spec.label
    else:
        assert current is not None
        source = append_examples(current.body, added)
        parsed, problems = parse_intent(source)
        if parsed is None:
            raise InboxError(422, f"意图 {key} 加入例句后无法解析：{problems[0].message if problems else ''}", "messages")
        spec = parsed
        name = "无关消息" if key == OUT_OF_SCOPE else label(key)
    return Change(action, key, name, base_version, source, spec, added, skipped)


# -- preview -----------------------------------------------------------------------------------


def _featurizer_copy(live: Featurizer) -> Featurizer:
    """A featurizer with the live one's cached training features: the candidate featurizes only
    the new examples, and never changes the cache a rebuild of the served engine may be using."""
    copy = Featurizer(live.segmenter, live.ngrams)
    copy._cache = dict(live._cache)  # one C-level copy: safe while another thread adds entries
    return copy


def candidate_matcher(engine: Assistant, change: Change, index_cache: IndexCache | None = None) -> IntentMatcher:
    """The matcher the engine would have after saving ``change`` (trained now: about a second)."""
    pack = engine.pack
    intents = dict(pack.intents)
    out_of_scope, fragments = pack.out_of_scope, pack.fragments
    if isinstance(change.spec, OutOfScope):
        out_of_scope, fragments = change.spec.examples, change.spec.fragments
    else:
        intents[change.spec.id] = change.spec
    if not _TRAINING.acquire(timeout=TRAINING_WAIT_S):
        raise InboxError(503, "正在为其他编辑生成预览，请稍后再试")
    try:
        return IntentMatcher(
            intents, out_of_scope, engine.matcher.segmenter, policy=engine.matcher.policy,
            featurizer=_featurizer_copy(engine.matcher.featurizer), fragments=fragments, index_cache=index_cache,
        )
    finally:
        _TRAINING.release()


def _answer(result: MatchResult) -> dict:
    return {"no_match": not result.intents, "intents": [{"id": m.id, "label": m.label, "score": m.score} for m in result.intents]}


def preview(
    engine: Assistant, change: Change, messages: Sequence[str], index_cache: IndexCache | None = None
) -> dict:
    """For each message (up to ``MAX_GROUP_TEXTS``): what it matches now and after saving ``change``."""
    t0 = time.perf_counter()
    matcher = candidate_matcher(engine, change, index_cache)
    build_ms = (time.perf_counter() - t0) * 1000
    texts = list(dict.fromkeys(clean_text(m) for m in messages if clean_text(m)))[:MAX_GROUP_TEXTS]
    rows = []
    for text in texts:
        after = matcher.match(text)
        ids = [m.id for m in after.intents]
        fixed = (not ids) if change.action == "out_of_scope" else (change.key in ids)
        rows.append({"text": text, "before": _answer(engine.matcher.match(text)), "after": _answer(after), "fixed": fixed})
    fixed = sum(r["fixed"] for r in rows)
    if change.action == "out_of_scope":
        summary = f"保存后 {fixed}/{len(rows)} 条消息会被当作无关消息（不给建议）"
    else:
        summary = f"保存后 {fixed}/{len(rows)} 条消息会匹配到「{change.label}」"
    return {
        "action": change.action,
        "intent": change.key,
        "label": change.label,
        "base_version": change.base_version,
        "added": change.added,
        "skipped": change.skipped,
        "messages": rows,
        "fixed": fixed,
        "summary": summary,
        "source": change.source,
        "build_ms": round(build_ms),
    }
