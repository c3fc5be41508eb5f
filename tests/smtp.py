"""A real SMTP server on loopback for tests (aiosmtpd), whose answers a test can script."""

from __future__ import annotations

import os
from contextlib import contextmanager
from email import message_from_bytes

from aiosmtpd.controller import Controller


class ScriptedHandler:
    """Answers DATA with the next scripted reply ("250 OK" once the script runs out)."""

    def __init__(self, replies=()):
        self.replies = list(replies)
        self.received = []  # email.message.Message for every message accepted

    async def handle_DATA(self, server, session, envelope):
        reply = self.replies.pop(0) if self.replies else "250 OK"
        if reply.startswith("250"):
            self.received.append(message_from_bytes(envelope.content))
        return reply


def port() -> int:
    """A port of this worktree's range, one per xdist worker."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    return 8138 + int(worker or 0) % 2


@contextmanager
def server(replies=()):
    handler = ScriptedHandler(replies)
    controller = Controller(handler, hostname="127.0.0.1", port=port())
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


def settings_for(handler_port: int) -> dict:
    """Settings that send through the test server."""
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": handler_port,
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_TIMEOUT": 5,
    }
