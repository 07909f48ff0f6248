"""Random tokens and their stored form: the sha256 of a token, never the token itself.

API keys, session tokens and setup tokens are 32 random bytes, so a fast hash
is enough to make a stolen database useless for logging in (unlike passwords,
which need argon2).
"""

from __future__ import annotations

import hashlib
import secrets

#: Every API key starts with this, so a leaked key is recognisable (e.g. by secret scanners).
API_KEY_PREFIX = "shk_"
#: How much of an API key listings show: the prefix plus 8 random characters.
API_KEY_SHOWN = len(API_KEY_PREFIX) + 8

TOKEN_BYTES = 32


def new_token(prefix: str = "") -> str:
    """A new URL-safe random token (``TOKEN_BYTES`` of randomness) with ``prefix`` in front."""
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The hex sha256 of ``token``: what the database keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
