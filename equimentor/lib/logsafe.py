"""Log records without the secrets that travel in link addresses, or email addresses.

Every single-use link the product sends (registration, rejoining, an imported participant's
invitation, a staff invitation, the sign-in link, a calendar feed) carries its secret in the
path: ``secrets.token_urlsafe(32)``, 43 characters of ``A-Z a-z 0-9 _ -`` (``lib.tokens``).
Django logs the path of every response of status 400 and above, so a registration form sent
back with an error would write its still-working link to the log, and the development server
logs every request line. :class:`HideSecretsAndAddresses`, on the handler that writes the log,
replaces any run of 40 or more of those characters that follows a ``/`` or an ``=`` (an
address's segment or a query's value) and holds a capital letter or a ``_`` (a long slug has
neither; a token lacks both once in some 17 billion) before the record is written; the rest
of the line stays as it was.

Our own log lines name no person (ids and counts only), but a traceback's last line is the
exception's message, and a database's can quote the row (PostgreSQL's "Key (email)=(…) already
exists"); the same filter writes ``[email]`` for anything shaped like an email address.
"""

from __future__ import annotations

import logging
import re

_RUN = re.compile(r"(?<=[/=])[A-Za-z0-9_-]{40,}")
_NOT_A_SLUG = re.compile(r"[A-Z_]")  # (a slug is lower case; a token has capitals or "_")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
SHOWN = "[link token]"


def _shown(run: re.Match) -> str:
    return SHOWN if _NOT_A_SLUG.search(run.group()) else run.group()


def hide(text: str) -> str:
    """``text`` with every link secret in it replaced by ``[link token]`` and every email
    address by ``[email]``."""
    return _EMAIL.sub("[email]", _RUN.sub(_shown, text))


class HideSecretsAndAddresses(logging.Filter):
    """A handler's filter: the record's message (and its traceback, if any) with the link
    secrets and email addresses hidden. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # (arguments that do not fit the message: the handler reports it)
            return True
        hidden = hide(message)
        if hidden != message:
            record.msg, record.args = hidden, None
        if record.exc_info and not record.exc_text:
            record.exc_text = hide(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = hide(record.exc_text)
        return True
