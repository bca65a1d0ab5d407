"""The real `shuraka web` process: with a WEB_SESSION_SECRET of 32 characters or more it serves
the sign-in help page and its own static files with the security headers on WEB_HOST:WEB_PORT,
and exits cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import aiohttp

from bot.web.security import HEADERS
from tests.process.support import closed_port, shuraka, stops_cleanly


async def _get(url: str, deadline: float) -> tuple[int, dict[str, str], str]:
    """GET `url`, retrying while the server is still starting (until `deadline`)."""
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url, allow_redirects=False) as response:
                    return response.status, dict(response.headers), await response.text()
            except aiohttp.ClientConnectionError:
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.2)


async def test_shuraka_web_serves_with_security_headers_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    port = closed_port()  # free now; the server takes it
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'web.db'}",
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "WEB_SESSION_SECRET": "s" * 32,
    }
    async with shuraka(tmp_path, env, "web") as proc:
        deadline = asyncio.get_running_loop().time() + 30
        base = f"http://127.0.0.1:{port}"
        # Without a session, /signin is the sign-in help page (401 by design: not signed in).
        status, headers, html = await _get(f"{base}/signin", deadline)
        assert status == 401 and '<html lang="ar" dir="rtl">' in html
        for name, value in HEADERS.items():
            assert headers[name] == value
        css, css_headers, _ = await _get(f"{base}/static/app.css", deadline)
        assert css == 200 and css_headers["X-Frame-Options"] == HEADERS["X-Frame-Options"]
        await stops_cleanly(proc)
