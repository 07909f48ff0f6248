"""Versioned content documents: save with optimistic concurrency, history, rollback, seed, import/export.

A document is one intent, template or rule; its body is exactly the file text
(``intents/<id>.yaml``, ``templates/replies/<id>.j2``, ``rules/<id>.yaml``).
The store does not validate bodies — callers parse them first — but it
guarantees that versions are numbered 1, 2, 3… per document, that history is
complete (a deletion is a version too) and that a save based on a stale version
raises ``Conflict`` instead of overwriting someone else's edit.

Every write bumps a global content revision (``revision()``) in the same
transaction, so other processes can notice edits with one cheap query; on
PostgreSQL the same transaction also sends ``NOTIFY shouhou_content, '<schema>:<revision>'``
(delivered on commit, see ``app.store.changes``).  ``snapshot()`` reads the
documents and the revision they belong to in one snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Engine, and_, delete, func, select, update
from sqlalchemy.orm import Session

from app.content.kinds import KINDS, Kind
from app.store.changes import CHANNEL
from app.store.db import insert_ignore, reader, snapshot_reader, transaction
from app.store.diff import line_diff, unified_diff
from app.store.errors import Conflict, InvalidOperation, NotFound
from app.store.models import (
    CONTENT_REVISION,
    KEY_LEN,
    Document,
    DocumentDraft,
    DocumentVersion,
    Meta,
)

__all__ = [
    "KINDS",
    "Conflict",
    "ContentStore",
    "DocumentInfo",
    "Draft",
    "InvalidOperation",
    "Kind",
    "NotFound",
    "Version",
    "unified_diff",
]

SEED_COMMENT = "随程序附带的初始内容"
IMPORT_COMMENT = "导入"


@dataclass(frozen=True)
class Version:
    """One version of a document. A deletion has ``deleted=True`` and an empty body."""

    kind: str
    key: str
    version: int
    body: str
    author: str
    created_at: datetime
    comment: str
    deleted: bool = False


@dataclass(frozen=True)
class DocumentInfo:
    """A document as listed: its current version and who saved it when."""

    kind: str
    key: str
    current_version: int
    updated_at: datetime
    author: str
    deleted: bool = False


@dataclass(frozen=True)
class Draft:
    """An unpublished edit: not served, not a version; ``base_version`` ``None`` for a new document."""

    kind: str
    key: str
    body: str
    base_version: int | None
    author: str
    saved_at: datetime


def _draft(row: DocumentDraft) -> Draft:
    return Draft(kind=row.kind, key=row.key, body=row.body, base_version=row.base_version,
                 author=row.author, saved_at=row.saved_at)


def _now() -> datetime:
    return datetime.now(UTC)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"未知的内容类型：{kind!r}（可选 {', '.join(KINDS)}）")


def _check_key(key: str) -> None:
    if not key or key != key.strip() or len(key) > KEY_LEN:
        raise ValueError(f"内容标识无效：{key!r}")


def _version(row: DocumentVersion) -> Version:
    return Version(
        kind=row.kind,
        key=row.key,
        version=row.version,
        body=row.body,
        author=row.author,
        created_at=row.created_at,
        comment=row.comment,
        deleted=row.deleted,
    )


class ContentStore:
    """Versioned documents in the database behind ``engine`` (tables from ``db.create_tables``)."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = _now):
        self._engine = engine
        self._reader = reader(engine)
        self._snapshot_reader = snapshot_reader(engine)
        self._clock = clock

    # -- reading -------------------------------------------------------------------------

    def list(self, kind: str, *, include_deleted: bool = False) -> list[DocumentInfo]:
        """Every document of ``kind`` sorted by key; deleted ones only if ``include_deleted``."""
        _check_kind(kind)
        query = (
            select(Document, DocumentVersion.author)
            .join(DocumentVersion, _current_join())
            .where(Document.kind == kind)
            .order_by(Document.key)
        )
        if not include_deleted:
            query = query.where(Document.deleted.is_(False))
        with transaction(self._reader) as s:
            return [
                DocumentInfo(
                    kind=doc.kind,
                    key=doc.key,
                    current_version=doc.current_version,
                    updated_at=doc.updated_at,
                    author=author,
                    deleted=doc.deleted,
                )
                for doc, author in s.execute(query)
            ]

    def get(self, kind: str, key: str, version: int | None = None) -> Version | None:
        """The current version (``None`` if missing or deleted), or the given version (tombstones too)."""
        _check_kind(kind)
        with transaction(self._reader) as s:
            if version is None:
                doc = s.get(Document, (kind, key))
                if doc is None or doc.deleted:
                    return None
                version = doc.current_version
            row = _version_row(s, kind, key, version)
            return _version(row) if row is not None else None

    def history(self, kind: str, key: str) -> list[Version]:
        """Every version of the document, newest first (empty if it never existed)."""
        _check_kind(kind)
        query = (
            select(DocumentVersion)
            .where(DocumentVersion.kind == kind, DocumentVersion.key == key)
            .order_by(DocumentVersion.version.desc())
        )
        with transaction(self._reader) as s:
            return [_version(row) for row in s.scalars(query)]

    def _two_bodies(self, kind: str, key: str, from_version: int, to_version: int) -> tuple[str, str]:
        """The bodies of two versions; ``NotFound`` naming the first one missing."""
        _check_kind(kind)
        with transaction(self._reader) as s:
            old = _version_row(s, kind, key, from_version)
            new = _version_row(s, kind, key, to_version)
        for number, row in ((from_version, old), (to_version, new)):
            if row is None:
                raise NotFound(kind, key, number)
        assert old is not None and new is not None
        return old.body, new.body

    def diff(self, kind: str, key: str, from_version: int, to_version: int) -> str:
        """Unified diff of two versions' bodies; ``NotFound`` if either version is missing."""
        old, new = self._two_bodies(kind, key, from_version, to_version)
        return unified_diff(old, new, old_label=f"{key} 第{from_version}版", new_label=f"{key} 第{to_version}版")

    def diff_lines(self, kind: str, key: str, from_version: int, to_version: int) -> list[dict[str, object]]:
        """``diff.line_diff`` of two versions' bodies (changed characters marked); ``NotFound`` as ``diff``."""
        return line_diff(*self._two_bodies(kind, key, from_version, to_version))

    def revision(self) -> int:
        """The global content revision: it grows by one with every committed content write."""
        with transaction(self._reader) as s:
            return s.scalar(select(Meta.value).where(Meta.name == CONTENT_REVISION)) or 0

    def export_all(self) -> dict[str, dict[str, str]]:
        """``{kind: {key: body}}`` of every live document, every kind present."""
        with transaction(self._reader) as s:
            return _live_documents(s)

    def snapshot(self) -> tuple[int, dict[str, dict[str, str]]]:
        """``(revision, export_all())`` read in one snapshot: the documents are exactly that revision's.

        Two separate reads could pair new documents with an old revision (or the
        reverse) when an edit commits in between; an engine built from such a pair
        would never notice the edit, or would rebuild needlessly.
        """
        with transaction(self._snapshot_reader) as s:
            revision = s.scalar(select(Meta.value).where(Meta.name == CONTENT_REVISION)) or 0
            return revision, _live_documents(s)

    # -- writing -------------------------------------------------------------------------

    def save(
        self,
        kind: str,
        key: str,
        body: str,
        *,
        author: str,
        comment: str = "",
        base_version: int | None,
        discard_draft: bool = False,
    ) -> Version:
        """Save ``body`` as the next version of the document and return that version.

        ``base_version`` is the version the editor started from: ``None`` creates a
        new document (allowed when the key is unused or deleted), otherwise it must
        equal the current version.  Raises ``Conflict`` naming the current version
        when it does not, ``NotFound`` when a base is given for a key never seen.
        Saving a body equal to the current one writes nothing and returns the current
        version.  ``discard_draft`` (publishing a draft): the document's draft is removed
        in the same transaction, only if the save is accepted.
        """
        _check_kind(kind)
        _check_key(key)
        with transaction(self._engine) as s:
            doc = _lock(s, kind, key)
            if doc is None:
                if base_version is not None:
                    raise NotFound(kind, key)
                doc = self._create(s, kind, key)
            _check_base(doc, base_version)
            if discard_draft:
                _remove_draft(s, kind, key)
            if not doc.deleted:
                current = _version_row(s, kind, key, doc.current_version)
                if current is not None and current.body == body:
                    return _version(current)
            row = self._append(s, doc, body, author=author, comment=comment)
            _bump_revision(s)
            return _version(row)

    def delete(
        self, kind: str, key: str, *, author: str, base_version: int, comment: str = ""
    ) -> Version:
        """Delete the document by adding a tombstone version (history is kept); returns the tombstone.

        Its draft, if any, is discarded with it.  ``NotFound`` if it does not exist or is
        already deleted, ``Conflict`` if ``base_version`` is not the current version.
        """
        _check_kind(kind)
        with transaction(self._engine) as s:
            doc = _lock(s, kind, key)
            if doc is None:
                raise NotFound(kind, key)
            _check_base(doc, base_version)
            if doc.deleted:
                raise NotFound(kind, key)
            row = self._append(s, doc, "", author=author, comment=comment, deleted=True)
            _remove_draft(s, kind, key)
            _bump_revision(s)
            return _version(row)

    def rollback(
        self, kind: str, key: str, to_version: int, *, author: str, base_version: int | None
    ) -> Version:
        """Save the body of ``to_version`` as a new version (comment "回滚到第N版"); also restores a deleted document.

        ``NotFound`` if the version does not exist, ``InvalidOperation`` if it is a
        deletion, ``Conflict`` if ``base_version`` is not current (as in ``save``,
        ``None`` is only accepted while the document is deleted).  Rolling back to a
        body equal to the current one writes nothing.
        """
        _check_kind(kind)
        with transaction(self._engine) as s:
            doc = _lock(s, kind, key)
            if doc is None:
                raise NotFound(kind, key)
            _check_base(doc, base_version)
            target = _version_row(s, kind, key, to_version)
            if target is None:
                raise NotFound(kind, key, to_version)
            if target.deleted:
                raise InvalidOperation(f"第{to_version}版是删除记录，不能回滚到它")
            if not doc.deleted:
                current = _version_row(s, kind, key, doc.current_version)
                if current is not None and current.body == target.body:
                    return _version(current)
            row = self._append(
                s, doc, target.body, author=author, comment=f"回滚到第{to_version}版"
            )
            _bump_revision(s)
            return _version(row)

    def seed(
        self,
        kind: str,
        docs: Mapping[str, str],
        author: str = "bundled",
        comment: str = SEED_COMMENT,
    ) -> list[str]:
        """Store bundled content for keys the store has never seen; return the keys stored.

        A key that exists — edited, or even deleted — is left alone, so restarting
        the server never overwrites an editor's work or resurrects a deletion.
        """
        _check_kind(kind)
        for key in docs:
            _check_key(key)
        with transaction(self._reader) as s:
            known = set(s.scalars(select(Document.key).where(Document.kind == kind)))
        if not set(docs) - known:
            return []  # the usual restart: no write lock taken
        seeded: list[str] = []
        with transaction(self._engine) as s:
            for key in sorted(docs):
                if not insert_ignore(s, Document.__table__, _placeholder(kind, key, self._clock())):
                    continue
                doc = _lock(s, kind, key)
                assert doc is not None
                self._append(s, doc, docs[key], author=author, comment=comment)
                seeded.append(key)
            if seeded:
                _bump_revision(s)
        return seeded

    def import_docs(
        self, kind: str, docs: Mapping[str, str], *, author: str, comment: str = IMPORT_COMMENT
    ) -> list[str]:
        """``import_all`` for one kind; returns the keys written."""
        return [key for _, key in self.import_all({kind: docs}, author=author, comment=comment)]

    def import_all(
        self,
        docs: Mapping[str, Mapping[str, str]],
        *,
        author: str,
        comment: str = IMPORT_COMMENT,
    ) -> list[tuple[str, str]]:
        """Make each given document's current body equal the given one: every kind, one transaction.

        ``docs`` is ``{kind: {key: body}}`` (what ``export_all`` returns).  A new version
        is written only where the body differs (or the key is new or deleted); documents
        not mentioned are left alone.  Either every change is committed or none is: a
        key the store refuses or a failed write part-way leaves the store as it was.
        Returns the ``(kind, key)`` pairs written.
        """
        for kind, kind_docs in docs.items():
            _check_kind(kind)
            for key in kind_docs:
                _check_key(key)
        changed: list[tuple[str, str]] = []
        with transaction(self._engine) as s:
            # A fixed lock order (kind, then key), so two imports cannot deadlock.
            for kind in sorted(docs):
                for key in sorted(docs[kind]):
                    body = docs[kind][key]
                    doc = _lock(s, kind, key) or self._create(s, kind, key)
                    if not doc.deleted:
                        current = _version_row(s, kind, key, doc.current_version)
                        if current is not None and current.body == body:
                            continue
                    self._append(s, doc, body, author=author, comment=comment)
                    changed.append((kind, key))
            if changed:
                _bump_revision(s)
        return changed

    # -- drafts: unpublished edits, one per document; never served, no revision bump -----------

    def get_draft(self, kind: str, key: str) -> Draft | None:
        _check_kind(kind)
        with transaction(self._reader) as s:
            row = s.get(DocumentDraft, (kind, key))
            return _draft(row) if row is not None else None

    def drafts(self, kind: str) -> list[Draft]:
        """Every draft of ``kind`` sorted by key (of published documents and of new ones)."""
        _check_kind(kind)
        query = select(DocumentDraft).where(DocumentDraft.kind == kind).order_by(DocumentDraft.key)
        with transaction(self._reader) as s:
            return [_draft(row) for row in s.scalars(query)]

    def save_draft(
        self, kind: str, key: str, body: str, *, author: str, base_version: int | None
    ) -> Draft:
        """Keep ``body`` as the document's draft (replacing any earlier draft); returns it.

        ``base_version`` is the version the editor started from, ``None`` for a document
        not yet published (or deleted).  ``NotFound`` if a base is given for a key never
        saved, or a version it does not have.  The content revision is not bumped: nothing
        served changes.
        """
        _check_kind(kind)
        _check_key(key)
        now = self._clock()
        with transaction(self._engine) as s:
            if base_version is not None:
                doc = s.get(Document, (kind, key))
                if doc is None or doc.current_version == 0:
                    raise NotFound(kind, key)
                if not 1 <= base_version <= doc.current_version:
                    raise NotFound(kind, key, base_version)
            values = {"kind": kind, "key": key, "body": body, "base_version": base_version,
                      "author": author, "saved_at": now}
            if not insert_ignore(s, DocumentDraft.__table__, values):
                s.execute(
                    update(DocumentDraft)
                    .where(DocumentDraft.kind == kind, DocumentDraft.key == key)
                    .values(body=body, base_version=base_version, author=author, saved_at=now)
                )
            return Draft(kind=kind, key=key, body=body, base_version=base_version, author=author, saved_at=now)

    def discard_draft(self, kind: str, key: str) -> bool:
        """Remove the document's draft; False if it had none."""
        _check_kind(kind)
        with transaction(self._engine) as s:
            return _remove_draft(s, kind, key)

    # -- helpers -------------------------------------------------------------------------

    def _create(self, s: Session, kind: str, key: str) -> Document:
        """Insert the document row (version 0, "deleted") unless a concurrent writer did; lock it."""
        insert_ignore(s, Document.__table__, _placeholder(kind, key, self._clock()))
        doc = _lock(s, kind, key)
        assert doc is not None
        return doc

    def _append(
        self,
        s: Session,
        doc: Document,
        body: str,
        *,
        author: str,
        comment: str,
        deleted: bool = False,
    ) -> DocumentVersion:
        now = self._clock()
        row = DocumentVersion(
            kind=doc.kind,
            key=doc.key,
            version=doc.current_version + 1,
            body=body,
            author=author,
            created_at=now,
            comment=comment,
            deleted=deleted,
        )
        s.add(row)
        doc.current_version = row.version
        doc.deleted = deleted
        doc.updated_at = now
        s.flush()
        return row


def _remove_draft(s: Session, kind: str, key: str) -> bool:
    statement = delete(DocumentDraft).where(DocumentDraft.kind == kind, DocumentDraft.key == key)
    return s.execute(statement, execution_options={"preserve_rowcount": True}).rowcount > 0


def _live_documents(s: Session) -> dict[str, dict[str, str]]:
    query = (
        select(Document.kind, Document.key, DocumentVersion.body)
        .join(DocumentVersion, _current_join())
        .where(Document.deleted.is_(False))
        .order_by(Document.kind, Document.key)
    )
    out: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
    for kind, key, body in s.execute(query):
        out.setdefault(kind, {})[key] = body
    return out


def _current_join() -> ColumnElement[bool]:
    """Join condition: a document with its current version."""
    return and_(
        DocumentVersion.kind == Document.kind,
        DocumentVersion.key == Document.key,
        DocumentVersion.version == Document.current_version,
    )


def _placeholder(kind: str, key: str, now: datetime) -> dict[str, object]:
    return {"kind": kind, "key": key, "current_version": 0, "deleted": True, "updated_at": now}


def _lock(s: Session, kind: str, key: str) -> Document | None:
    """The document row, locked until commit (``FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE`` already serialises)."""
    query = select(Document).where(Document.kind == kind, Document.key == key).with_for_update()
    return s.scalars(query).one_or_none()


def _version_row(s: Session, kind: str, key: str, version: int) -> DocumentVersion | None:
    query = select(DocumentVersion).where(
        DocumentVersion.kind == kind, DocumentVersion.key == key, DocumentVersion.version == version
    )
    return s.scalars(query).one_or_none()


def _check_base(doc: Document, base_version: int | None) -> None:
    """Raise ``Conflict`` unless the editor's base is what is stored now."""
    if base_version is None:
        if not doc.deleted:
            raise Conflict(doc.kind, doc.key, doc.current_version)
    elif base_version != doc.current_version:
        raise Conflict(doc.kind, doc.key, doc.current_version or None, deleted=doc.deleted)


def _bump_revision(s: Session) -> int:
    """Add one to the content revision and return it; on PostgreSQL, tell the listeners on commit."""
    bump = (
        update(Meta).where(Meta.name == CONTENT_REVISION).values(value=Meta.value + 1).returning(Meta.value)
    )
    revision = s.connection().execute(bump).scalar()
    if revision is None:
        insert_ignore(s, Meta.__table__, {"name": CONTENT_REVISION, "value": 0})
        revision = s.connection().execute(bump).scalar_one()
    if s.get_bind().dialect.name == "postgresql":
        # Queued by the transaction: sent when (and only if) it commits.  The schema tells apart
        # the instances that share one database (each in its own schema).
        s.execute(select(func.pg_notify(CHANNEL, func.concat(func.current_schema(), ":", str(revision)))))
    return revision
