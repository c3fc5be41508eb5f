"""Values sealed at rest: Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under a key
derived with HKDF from ``SECRET_KEY`` for one purpose. Keys from ``SECRET_KEY_FALLBACKS`` still
open what they sealed, so a key rotation keeps sealed values readable. Someone who can read the
database but not the site's settings (a DBA, a backup) cannot read them.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class Unreadable(Exception):
    """Sealed under a key this site no longer has (or not sealed by it at all)."""


def _fernet(secret_key: str, salt: bytes, info: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _keys(salt: bytes, info: bytes) -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(k, salt, info) for k in keys])


def seal(plain: bytes, *, salt: bytes, info: bytes) -> str:
    return _keys(salt, info).encrypt(plain).decode()


def unseal(token: str, *, salt: bytes, info: bytes) -> bytes:
    try:
        return _keys(salt, info).decrypt(token.encode())
    except InvalidToken as exc:
        raise Unreadable from exc
