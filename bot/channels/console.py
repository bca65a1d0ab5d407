"""The console channel: the whole bot in a terminal, or driven by piped standard input.

Thin like every adapter: lines become `Inbound`, replies are printed with numbered choices.
Typed numbers and labels are matched to choices by the engine, not here.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from bot.core.messages import Inbound, InboundKind, Outbound
from bot.delivery.transport import Delivery, Skip

CHANNEL = "console"
NOTIFICATION_MARK = "\U0001f514 "  # a bell: this came through the outbox, not as a reply
_TAG = re.compile(r"<[^>]+>")
_COMMAND = re.compile(r"^/([A-Za-z_]+)(?:@\S+)?(?:\s+(.*))?$", re.DOTALL)

Handler = Callable[[Inbound], Awaitable[list[Outbound]]]


def html_to_text(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


def render(outbound: Outbound, saved: Path | None = None) -> str:
    lines = [html_to_text(outbound.text)]
    for number, choice in enumerate(outbound.choices, start=1):
        lines.append(f"  {number}) {choice.label}")
    if outbound.attachment is not None:
        where = f" -> {saved}" if saved is not None else ""
        lines.append(f"  [{outbound.attachment.kind}: {outbound.attachment.filename}{where}]")
    return "\n".join(lines)


def save_file(folder: Path, filename: str, data: bytes) -> Path:
    """A file the bot sent (a certificate, an export), written where the person at this
    terminal can open it: readable by its owner only (0600), since it holds personal data."""
    path = folder / (Path(filename).name or "file")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(path, 0o600)  # an older file of the same name keeps no wider mode
    return path


class ConsoleChannel:
    def __init__(
        self,
        handle: Handler,
        user: str = "local",
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        echo: bool | None = None,
        after_each: Callable[[], Awaitable[None]] | None = None,
        files_dir: Path | None = None,
    ) -> None:
        import sys

        self.handle = handle
        self.user = user
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        # Piped input is not shown by the terminal; echo it so a transcript reads as a dialogue.
        self.echo = (not self.stdin.isatty()) if echo is None else echo
        self._session = uuid.uuid4().hex[:8]
        self._counter = 0
        # Runs after every reply: in the chat command, the outbox sender's turn, so
        # notifications show up right after the message that caused them.
        self.after_each = after_each
        self.files_dir = files_dir

    def to_inbound(self, line: str) -> Inbound:
        self._counter += 1
        text = line.rstrip("\r\n")
        kind, args = InboundKind.TEXT, ""
        if match := _COMMAND.match(text.strip()):
            kind, text, args = InboundKind.COMMAND, match.group(1).lower(), match.group(2) or ""
        return Inbound(
            channel=CHANNEL,
            external_user_id=self.user,
            chat_id=self.user,
            update_id=f"{self._session}:{self._counter}",
            kind=kind,
            text=text,
            args=args,
        )

    def _print(self, replies: list[Outbound], prefix: str = "") -> None:
        for outbound in replies:
            self.stdout.write(prefix + render(outbound, self._save(outbound)) + "\n\n")
        self.stdout.flush()

    def _save(self, outbound: Outbound) -> Path | None:
        item = outbound.attachment
        if item is None or not item.data:
            return None
        if self.files_dir is None:
            # A private folder of this session's own (mkdtemp makes it 0700).
            self.files_dir = Path(tempfile.mkdtemp(prefix="shuraka-files-"))
        return save_file(self.files_dir, item.filename, item.data)

    def notify(self, outbound: Outbound) -> None:
        self._print([outbound], prefix=NOTIFICATION_MARK)

    async def _turn(self, line: str) -> None:
        self._print(await self.handle(self.to_inbound(line)))
        if self.after_each is not None:
            await self.after_each()

    async def run(self, first: str | None = "/start") -> None:
        loop = asyncio.get_running_loop()
        if first:
            await self._turn(first)
        while True:
            if self.stdin.isatty():
                self.stdout.write("> ")
                self.stdout.flush()
            line = await loop.run_in_executor(None, self.stdin.readline)
            if not line:
                break
            if not line.strip():
                continue
            if self.echo:
                self.stdout.write(f"> {line.rstrip()}\n")
            await self._turn(line)


class ConsoleTransport:
    """The outbox's way to the console: the person at this terminal sees notifications; other
    console users (demo data) are not connected, so theirs are skipped with that reason."""

    channel = CHANNEL

    def __init__(self, console: ConsoleChannel) -> None:
        self.console = console

    async def send(self, chat_id: str, message: Outbound, delivery: Delivery) -> None:
        if chat_id != self.console.user:
            raise Skip("console user not connected")
        self.console.notify(message)
