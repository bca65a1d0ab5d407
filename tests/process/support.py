"""Running `shuraka` as a real process: start it on a command, stop it with SIGTERM and check
that it ended cleanly, and a port nobody listens on."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp


def closed_port() -> int:
    """A port free at this moment (nothing listens on it; a server started next may take it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def shuraka(
    tmp_path: Path, env: dict[str, str], *args: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`shuraka ARGS` running in `tmp_path`; killed on the way out if it is still running."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def stops_cleanly(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM ends the process within 20 s with exit code 0 and no traceback."""
    proc.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(proc.wait(), 20)
    _, stderr = await proc.communicate()
    assert code == 0, stderr.decode()
    assert "Traceback" not in stderr.decode()


async def healthy(port: int, timeout: float = 240) -> None:
    """Wait until a `shuraka` process answers /healthz on `port` (a cold start on a busy
    machine takes tens of seconds)."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing answers on port {port}")
            await asyncio.sleep(0.2)
