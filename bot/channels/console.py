"""The console channel: the whole bot in a terminal, or driven by piped standard input.

Thin like every adapter: lines become `Inbound`, replies are printed with numbered choices.
Typed numbers and labels are matched to choices by the engine, not here.
"""

from __future__ import annotations

import asyncio
import html
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.core.messages import Inbound, InboundKind, Outbound

CHANNEL = "console"
_TAG = re.compile(r"<[^>]+>")
_COMMAND = re.compile(r"^/([A-Za-z_]+)(?:@\S+)?(?:\s+(.*))?$", re.DOTALL)

Handler = Callable[[Inbound], Awaitable[list[Outbound]]]


def html_to_text(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


def render(outbound: Outbound) -> str:
    lines = [html_to_text(outbound.text)]
    for number, choice in enumerate(outbound.choices, start=1):
        lines.append(f"  {number}) {choice.label}")
    if outbound.attachment is not None:
        lines.append(f"  [{outbound.attachment.kind}: {outbound.attachment.filename}]")
    return "\n".join(lines)


class ConsoleChannel:
    def __init__(
        self,
        handle: Handler,
        user: str = "local",
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        echo: bool | None = None,
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

    def _print(self, replies: list[Outbound]) -> None:
        for outbound in replies:
            self.stdout.write(render(outbound) + "\n\n")
        self.stdout.flush()

    async def run(self, first: str | None = "/start") -> None:
        loop = asyncio.get_running_loop()
        if first:
            self._print(await self.handle(self.to_inbound(first)))
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
            self._print(await self.handle(self.to_inbound(line)))
