"""How a failure is written to the log: its type and where it was raised, never its message.

An exception's message may quote what a person typed or a row's values (a database error
lists its parameters), and logs leave the database's protection; the type and the stack are
what an operator needs to find the bug."""

from __future__ import annotations

import hashlib
import traceback


def describe(exc: BaseException) -> str:
    """The exception's type and where it was raised, without its message."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    return f"{type(exc).__name__}\n{frames}".rstrip()


def update_ref(update_id: str) -> str:
    """A short stand-in for an update id in logs: WhatsApp's ids are base64 that spells the
    sender's number. The same id always gives the same reference."""
    return hashlib.sha256(update_id.encode()).hexdigest()[:12]
