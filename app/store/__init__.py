"""The store: versioned content documents and accounts/credentials in one SQL database.

``db`` opens the database (SQLite file or PostgreSQL), ``models`` declares the
tables, ``content`` keeps the versioned documents and ``accounts`` the users,
API keys, login sessions and the first-start setup token; ``phrases`` keeps each
agent's phrase library (personal phrases, favourites, recently used).
"""

from app.store.accounts import AccountStore, ApiKeyInfo, SessionInfo, User
from app.store.content import KINDS, ContentStore, DocumentInfo, Version
from app.store.db import create_engine_from_url, create_tables, open_engine
from app.store.errors import AlreadyExists, Conflict, InvalidOperation, NotFound, StoreError
from app.store.roles import ROLES, Role, role_allows

__all__ = [
    "KINDS",
    "ROLES",
    "AccountStore",
    "AlreadyExists",
    "ApiKeyInfo",
    "Conflict",
    "ContentStore",
    "DocumentInfo",
    "InvalidOperation",
    "NotFound",
    "Role",
    "SessionInfo",
    "StoreError",
    "User",
    "Version",
    "create_engine_from_url",
    "create_tables",
    "open_engine",
    "role_allows",
]
