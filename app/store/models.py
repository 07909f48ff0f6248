"""The store's tables (SQLAlchemy declarative): documents, their versions and drafts, accounts, counters,
each agent's phrase library (personal phrases, favourites, recently used), and the events
(suggestions shown, agents' feedback, flagged checks).

Every timestamp is stored and returned as an aware UTC ``datetime`` on both
SQLite and PostgreSQL (``UTCDateTime``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

#: ``meta`` row counting content writes; other processes poll it to notice edits.
CONTENT_REVISION = "content_revision"

KEY_LEN = 200


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out (SQLite itself keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("store timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Document(Base):
    """One editable document (an intent, a template, a rule) and which version is current."""

    __tablename__ = "documents"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LEN), primary_key=True)
    #: 0 only inside the transaction that creates the document.
    current_version: Mapped[int] = mapped_column(Integer)
    #: True when the current version is a deletion (a tombstone).
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DocumentVersion(Base):
    """One saved version of a document; a deletion is a version too, so history is complete."""

    __tablename__ = "document_versions"
    __table_args__ = (
        UniqueConstraint("kind", "key", "version", name="uq_document_version"),
        ForeignKeyConstraint(
            ["kind", "key"], ["documents.kind", "documents.key"], ondelete="CASCADE"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(KEY_LEN))
    version: Mapped[int] = mapped_column(Integer)
    #: The file text; empty for a deletion.
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    comment: Mapped[str] = mapped_column(Text, default="")
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class DocumentDraft(Base):
    """An unpublished edit of a document (one per document, also for one never published).

    Not served and not a version: saving or discarding one leaves the content revision alone.
    ``base_version`` is the version the draft was started from (``None``: a new document), so
    publishing it is checked like a save.  A table of its own, so that databases created
    before it get it from ``create_tables``.
    """

    __tablename__ = "document_drafts"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LEN), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    base_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    author: Mapped[str] = mapped_column(String(100))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Meta(Base):
    """Named global counters (``content_revision``)."""

    __tablename__ = "meta"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    #: An argon2id PHC string; never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    #: The first characters of the key, shown in listings so people can tell keys apart.
    prefix: Mapped[str] = mapped_column(String(20), index=True)
    #: sha256 hex of the whole key; the key itself is never stored.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SessionRow(Base):
    """A web login session, found by the sha256 of its cookie token."""

    __tablename__ = "sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(
        String(64), ForeignKey("users.username", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SetupTokenRow(Base):
    """A one-time token that lets the first admin be created when there is none."""

    __tablename__ = "setup_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginFailureRow(Base):
    """Wrong passwords in a row for one user (throttling and lockout, see ``lockout``); no row: none.

    A table of its own, so that databases created before it get it from ``create_tables``.
    """

    __tablename__ = "login_failures"

    username: Mapped[str] = mapped_column(
        String(64), ForeignKey("users.username", ondelete="CASCADE"), primary_key=True
    )
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class UserProfileRow(Base):
    """What a user sets about themselves (the nickname that fills 【客服昵称】); no row: nothing set.

    A table of its own, so that databases created before it get it from ``create_tables``.
    """

    __tablename__ = "user_profiles"

    username: Mapped[str] = mapped_column(
        String(64), ForeignKey("users.username", ondelete="CASCADE"), primary_key=True
    )
    nickname: Mapped[str | None] = mapped_column(String(20), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


#: ``tpl:<template id>`` or ``my:<personal phrase id>``.
PHRASE_ID_LEN = 120


class PersonalPhraseRow(Base):
    """A phrase an agent wrote for themselves (the phrase library's "my phrases")."""

    __tablename__ = "personal_phrases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(
        String(64), ForeignKey("users.username", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    shortcode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FavouritePhraseRow(Base):
    """A phrase (template or personal) an agent starred."""

    __tablename__ = "favourite_phrases"

    username: Mapped[str] = mapped_column(
        String(64), ForeignKey("users.username", ondelete="CASCADE"), primary_key=True
    )
    phrase_id: Mapped[str] = mapped_column(String(PHRASE_ID_LEN), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RecentPhraseRow(Base):
    """When an agent last used a phrase; only the newest ``phrases.MAX_RECENT`` are kept."""

    __tablename__ = "recent_phrases"

    username: Mapped[str] = mapped_column(
        String(64), ForeignKey("users.username", ondelete="CASCADE"), primary_key=True
    )
    phrase_id: Mapped[str] = mapped_column(String(PHRASE_ID_LEN), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


# -- events (``app.store.events``): what agents were shown and what they did with it -------------

#: ``secrets.token_urlsafe(12)``: 16 characters; the column leaves room.
SUGGESTION_ID_LEN = 32
#: Event ids: 64-bit on PostgreSQL (a busy shop's events outgrow 32 bits in time); SQLite's rowid.
EventId = BigInteger().with_variant(Integer, "sqlite")


class SuggestEventRow(Base):
    """One answered ``/v1/suggest``: when, for which shop, asked by whom, what matched.

    ``principal`` is a user name, ``key:<name>`` for an API key (never the key) or
    ``local``/``anonymous``; ``principal_kind`` says which (``session``, ``key``, ``local``,
    ``open``).  ``message`` is the buyer's text with phone, order and tracking numbers
    masked; ``message_hash`` the sha256 of that masked text (equal messages, one group).
    """

    __tablename__ = "suggest_events"
    __table_args__ = (Index("ix_suggest_events_shop_at", "shop", "at"),)

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    shop: Mapped[str] = mapped_column(String(64))
    principal: Mapped[str] = mapped_column(String(120))
    principal_kind: Mapped[str] = mapped_column(String(10))
    #: ``[{"id": "color_difference", "score": 0.91}, …]``, best first; empty for no match.
    intents: Mapped[list[Any]] = mapped_column(JSON)
    no_match: Mapped[bool] = mapped_column(Boolean)
    #: The rule ids of the situation alerts.
    alerts: Mapped[list[Any]] = mapped_column(JSON)
    message: Mapped[str] = mapped_column(Text)
    message_hash: Mapped[str] = mapped_column(String(64), index=True)


class ShownSuggestionRow(Base):
    """One suggestion shown in a suggest answer; ``rank`` 1, 2… in the answer, 0 for the combined reply."""

    __tablename__ = "shown_suggestions"

    suggestion_id: Mapped[str] = mapped_column(String(SUGGESTION_ID_LEN), primary_key=True)
    event_id: Mapped[int] = mapped_column(
        EventId, ForeignKey("suggest_events.id", ondelete="CASCADE"), index=True
    )
    #: ``intent/name``; the combined reply's is its parts' ids joined with ``+``.
    template_id: Mapped[str] = mapped_column(Text)
    intent: Mapped[str] = mapped_column(String(64))
    rank: Mapped[int] = mapped_column(Integer)
    combined: Mapped[bool] = mapped_column(Boolean, default=False)
    #: sha256 of the text shown (whitespace collapsed): a final text that differs is an edit.
    text_hash: Mapped[str] = mapped_column(String(64))


class FeedbackRow(Base):
    """What an agent did with a suggestion; one row per (suggestion, action): a repeat counts once."""

    __tablename__ = "suggestion_feedback"
    __table_args__ = (UniqueConstraint("suggestion_id", "action", name="uq_feedback_action"),)

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    suggestion_id: Mapped[str] = mapped_column(
        String(SUGGESTION_ID_LEN), ForeignKey("shown_suggestions.suggestion_id", ondelete="CASCADE")
    )
    #: copied | inserted | sent | dismissed
    action: Mapped[str] = mapped_column(String(10))
    #: What was finally sent, masked like the messages.
    final_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CheckEventRow(Base):
    """A ``/v1/check`` that flagged something: the rules, and whether a block flag stopped the send."""

    __tablename__ = "check_events"
    __table_args__ = (Index("ix_check_events_shop_at", "shop", "at"),)

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    shop: Mapped[str] = mapped_column(String(64))
    principal: Mapped[str] = mapped_column(String(120))
    principal_kind: Mapped[str] = mapped_column(String(10))
    rules: Mapped[list[Any]] = mapped_column(JSON)
    blocked: Mapped[bool] = mapped_column(Boolean)
