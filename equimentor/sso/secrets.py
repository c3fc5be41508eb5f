"""Client secrets at rest, sealed by ``core.sealed`` (Fernet under a key derived with HKDF from
``SECRET_KEY``). Older keys in ``SECRET_KEY_FALLBACKS`` still decrypt, so a key rotation keeps
secrets readable; re-saving a provider re-encrypts it under the current key.
"""

from __future__ import annotations

from equimentor.core import sealed

PURPOSE = {"salt": b"equimentor.sso", "info": b"client-secret"}


class SecretUnreadable(Exception):
    """The stored secret was encrypted under a key this site no longer has."""


def encrypt(plain: str) -> str:
    return sealed.seal(plain.encode(), **PURPOSE)


def decrypt(token: str) -> str:
    try:
        return sealed.unseal(token, **PURPOSE).decode()
    except sealed.Unreadable as exc:
        raise SecretUnreadable("The client secret cannot be read; enter it again.") from exc
