"""Secrets kept at rest, sealed: a text is encrypted and authenticated (Fernet, from cryptography) with a
key derived (HKDF-SHA256) from the service's secret key, so a copy of the database alone does not
give them away. Every node of one database shares ``CATALOG_SECRET_KEY``, and so opens what another
sealed."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "sealed:"  # what was written before sealing existed has none, and is read as it is


def _box(secret_key: str, purpose: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(text: str, secret_key: str, purpose: str) -> str:
    """``text`` sealed for ``purpose`` (a key of its own per purpose)."""
    return PREFIX + _box(secret_key, purpose).encrypt(text.encode()).decode()


def unseal(value: str, secret_key: str, purpose: str) -> str | None:
    """What ``seal`` sealed; None when it was sealed under another secret key (or altered)."""
    if not is_sealed(value):
        return value
    try:
        return _box(secret_key, purpose).decrypt(value.removeprefix(PREFIX).encode()).decode()
    except InvalidToken:
        return None


def is_sealed(value: str) -> bool:
    """Whether ``value`` was written by ``seal`` (not plain text from before sealing existed)."""
    return value.startswith(PREFIX)
