"""Drafts and conflicts around a save: which document a draft belongs to, and what changed meanwhile.

``draft_key`` reads the id a draft of a new document will be published under (a draft
need not be valid yet, so only its ``id:`` line is read).  ``conflict_report`` is what an
editor whose save was refused as stale is shown: the versions saved since their base
(who, when, why), the character diff from their base to the current version, and the
three-way merge of base / theirs / theirs-and-yours (``merge.merge``).  ``editor_state``
is what the editor page opens: the published version, the draft, or a deleted document's
last version to restore.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.editing.merge import merge
from app.store.content import ContentStore, Draft, Version
from app.store.diff import line_diff
from app.store.errors import NotFound

#: ``id: thanks/new_reply`` at the start of a line (a template's front matter, an intent's or rule's YAML).
_ID_LINE = re.compile(r"^id:[ \t]*['\"]?([^'\"\s#]*)['\"]?[ \t]*(?:#.*)?$", re.M)
#: What a new document's id may look like: letters, digits and _ - in parts joined by /.
_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*(?:/[A-Za-z0-9_][A-Za-z0-9_\-]*)*$")
MAX_ID = 120


def draft_key(source: str) -> str | None:
    """The document id a draft declares (its first ``id:`` line), ``None`` if it has none that is usable."""
    match = _ID_LINE.search(source)
    if match is None:
        return None
    key = match.group(1)
    return key if len(key) <= MAX_ID and _ID.match(key) else None


def version_dict(v: Version) -> dict[str, object]:
    return {
        "version": v.version,
        "author": v.author,
        "created_at": v.created_at.isoformat(),
        "comment": v.comment,
        "deleted": v.deleted,
    }


@dataclass(frozen=True)
class ConflictReport:
    base_version: int
    current_version: int
    deleted: bool
    newer: list[Version]
    theirs_diff: list[dict[str, object]]
    chunks: list[dict[str, object]]
    conflicts: int
    merged: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "base_version": self.base_version,
            "current_version": self.current_version,
            "deleted": self.deleted,
            "newer": [version_dict(v) for v in self.newer],
            "theirs_diff": self.theirs_diff,
            "chunks": self.chunks,
            "conflicts": self.conflicts,
            "merged": self.merged,
        }


def conflict_report(store: ContentStore, kind: str, key: str, base_version: int, yours: str) -> ConflictReport:
    """What changed since ``base_version`` and the merge of ``yours`` onto the current version.

    ``NotFound`` if the document or that version does not exist (or the base is a deletion).
    """
    history = store.history(kind, key)
    if not history:
        raise NotFound(kind, key)
    by_number = {v.version: v for v in history}
    base = by_number.get(base_version)
    if base is None or base.deleted:
        raise NotFound(kind, key, base_version)
    current = history[0]
    newer = [v for v in history if v.version > base_version]
    theirs = "" if current.deleted else current.body
    result = merge(base.body, theirs, yours)
    return ConflictReport(
        base_version=base_version,
        current_version=current.version,
        deleted=current.deleted,
        newer=newer,
        theirs_diff=line_diff(base.body, theirs),
        chunks=[c.as_dict() for c in result.chunks],
        conflicts=result.conflicts,
        merged=result.text,
    )


@dataclass(frozen=True)
class EditorState:
    """What the editor page opens with: the text, the version an edit is based on, and the document's state."""

    source: str
    #: The version a save is based on (a draft's own base); 0 for a document not yet published.
    version: int
    published: bool = False
    current_version: int | None = None
    deleted: bool = False
    #: For a deleted document: its last version, the one 恢复 restores.
    restore_version: int | None = None
    draft: Draft | None = None


def editor_state(store: ContentStore, kind: str, key: str, *, with_draft: bool) -> EditorState | None:
    """The document as the editor opens it, ``None`` if it was never saved (nor drafted).

    A published document opens as its draft if it has one (based on the draft's base,
    so publishing it is checked against what was saved since), else its current version;
    a document only drafted opens as the draft; a deleted one as its last version, to
    restore.  ``with_draft`` False (someone who may not edit): drafts are not shown.
    """
    live = store.get(kind, key)
    draft = store.get_draft(kind, key) if with_draft else None
    if live is not None:
        if draft is None:
            return EditorState(live.body, live.version, published=True, current_version=live.version)
        base = draft.base_version if draft.base_version is not None else live.version
        return EditorState(draft.body, base, published=True, current_version=live.version, draft=draft)
    if draft is not None:
        return EditorState(draft.body, 0, draft=draft)
    history = store.history(kind, key)
    last = next((v for v in history if not v.deleted), None)
    if last is None:
        return None
    return EditorState(last.body, history[0].version, deleted=True, restore_version=last.version)
