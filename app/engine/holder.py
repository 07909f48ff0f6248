"""The assistant being served, and its rebuild in the background when the content changes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from app.content.files import ContentPack
from app.engine.assistant import Assistant
from app.guard.rules import Rule
from app.matching.index_cache import IndexCache
from app.text.segment import Segmenter

log = logging.getLogger(__name__)


class AssistantHolder:
    """Holds the current engine and rebuilds it, in the background, when the content changes.

    ``load`` returns the content and its revision (read in one snapshot); ``probe``
    (optional) returns just the revision, cheaply: after ``start_polling`` a background
    thread asks it every ``probe_interval`` seconds, so that edits made by another
    process are noticed even when no notification arrives (``notice``, called by
    ``app.store.changes.ChangeListener`` on PostgreSQL).  Neither happens on a
    request's path: ``current()`` only returns the engine.  One builder thread
    rebuilds while requests go on with the engine they have, and edits that arrive
    during a build are folded into the next one (eight editors saving at once cost
    two builds, not eight).  ``refresh``
    asks for a build and waits for it, up to ``timeout`` seconds: an editor's save
    answers once the edit is live (a template edit takes milliseconds; an intent
    edit retrains the classifier, about a second).
    """

    def __init__(
        self,
        load: Callable[[], tuple[ContentPack, list[Rule], int]],
        segmenter: Segmenter,
        probe: Callable[[], int] | None = None,
        probe_interval: float = 1.0,
        index_cache: IndexCache | None = None,
    ):
        self._load = load
        self._index_cache = index_cache
        self._probe = probe
        self._probe_interval = probe_interval
        self._poller: threading.Thread | None = None
        self._stopped = threading.Event()
        #: Only its cache directory and laziness count: each build uses the segmenter of its
        #: content's words (``Segmenter.for_lexicon``), remembered by them.
        self.segmenter = segmenter
        self._cond = threading.Condition()
        self._requested = 0  # builds asked for so far
        self._built = 0  # the requests a finished build (successful or not) was for
        self._live = 0  # the requests the engine being served includes
        self._builder: threading.Thread | None = None
        pack, rules, revision = load()
        self._engine = Assistant.build(pack, rules, segmenter, revision, index_cache=index_cache)
        self._engine.matcher.segmenter.prepare()  # jieba's dictionary loads at start, not on the first request
        self._seen = revision  # the newest revision a build has loaded (or is building)

    def current(self) -> Assistant:
        return self._engine

    def notice(self, revision: int | None) -> None:
        """Another process committed ``revision`` (``None``: maybe, check); rebuild unless it is already in."""
        if revision is None:
            self.check()
            return
        with self._cond:
            if revision <= self._seen:
                return  # our own save's notification, or one a build has already loaded
        self.refresh_soon()

    def check(self) -> None:
        """Probe the revision once and ask for a rebuild if it moved (the poller's step)."""
        if self._probe is None:
            return
        with self._cond:
            if self._requested > self._built:
                return  # a build is due: it loads the newest content anyway
        try:
            # Against the newest revision loaded, not the one served: a build that fails keeps the
            # old engine, and must not be retried every poll (the next edit tries again).
            moved = self._probe() != self._seen
        except Exception:  # a busy or unreachable store: keep serving what we have
            log.warning("content revision probe failed", exc_info=True)
            return
        if moved:
            self.refresh_soon()

    def start_polling(self) -> None:
        """Probe the revision every ``probe_interval`` seconds in a background thread (until ``close``)."""
        if self._probe is None or self._poller is not None:
            return
        self._stopped.clear()
        self._poller = threading.Thread(target=self._poll_loop, name="shouhou-revision-poll", daemon=True)
        self._poller.start()

    def close(self) -> None:
        """Stop polling (the server is shutting down)."""
        self._stopped.set()
        if self._poller is not None:
            self._poller.join(5)
            self._poller = None

    def _poll_loop(self) -> None:
        while not self._stopped.wait(max(self._probe_interval, 0.05)):
            self.check()

    def refresh_soon(self) -> int:
        """Ask for a rebuild from the content source; returns a ticket for ``wait``."""
        with self._cond:
            self._requested += 1
            ticket = self._requested
            if self._builder is None:
                self._builder = threading.Thread(target=self._build_loop, name="shouhou-engine-builder", daemon=True)
                self._builder.start()
            self._cond.notify_all()
            return ticket

    def wait(self, ticket: int, timeout: float | None = None) -> bool:
        """Wait until a build for the edits made before ``ticket`` has finished: True when the
        engine now serves them, False on timeout or when that build failed."""
        with self._cond:
            return self._cond.wait_for(lambda: self._built >= ticket, timeout) and self._live >= ticket

    def refresh(self, timeout: float | None = None) -> Assistant:
        """Rebuild from the content source (after an edit) and wait up to ``timeout`` for it."""
        self.wait(self.refresh_soon(), timeout)
        return self._engine

    def _build_loop(self) -> None:
        while True:
            with self._cond:
                if not self._cond.wait_for(lambda: self._requested > self._built, timeout=60):
                    self._builder = None  # idle: the next request starts a new thread
                    return
                target = self._requested
            try:
                pack, rules, rev = self._load()
                with self._cond:
                    self._seen = max(self._seen, rev)
                engine = Assistant.build(pack, rules, self.segmenter, rev, previous=self._engine, index_cache=self._index_cache)
                engine.matcher.segmenter.prepare()  # a new word set's tokenizer: built here, not by a request
            except Exception:  # keep serving the engine we have; the next edit tries again
                log.exception("rebuilding the engine failed; the previous content stays in use")
                engine = None
            with self._cond:
                if engine is not None:
                    self._engine = engine
                    self._live = target
                self._built = target
                self._cond.notify_all()
