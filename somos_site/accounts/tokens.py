"""API tokens as text: how one is made and recognised. Only its SHA-256 is ever stored.

A token reads `somos_<prefix>_<secret>`: the prefix (8 hex digits) is kept in clear so that
its owner can tell their tokens apart; the secret (256 random bits) never leaves the answer
that shows it once.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_START = "somos_"  # noqa: S105 (not a secret: how every token starts)


def token_generate() -> tuple[str, str]:
    """Return a new token and its prefix, the part shown to identify it."""
    prefix = TOKEN_START + secrets.token_hex(4)
    return f"{prefix}_{secrets.token_urlsafe(32)}", prefix


def token_hash(raw: str) -> str:
    """Return what is stored of a token: its SHA-256, in hex."""
    return hashlib.sha256(raw.encode()).hexdigest()
