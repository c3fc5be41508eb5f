"""Client secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under a key
derived with HKDF from ``SECRET_KEY``. Older keys in ``SECRET_KEY_FALLBACKS`` still decrypt, so a
key rotation keeps secrets readable; re-saving a provider re-encrypts it under the current key.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SecretUnreadable(Exception):
    """The stored secret was encrypted under a key this site no longer has."""


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"equimentor.sso", info=b"client-secret"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _keys() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(k) for k in keys])


def encrypt(plain: str) -> str:
    return _keys().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _keys().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("The client secret cannot be read; enter it again.") from exc
