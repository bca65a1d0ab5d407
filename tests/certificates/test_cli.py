"""`shuraka certificate revoke CODE`: an operator revokes a certificate; a second time, or an
unknown code, is a one-line error."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.i18n import load_catalogs
from bot.core.unit import Actor, Unit
from bot.services.certificates import REVOKED, verify_certificate
from bot.settings import load_settings
from storage.db import open_database
from tests.certificates.support import certified

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def _issue(url: str) -> str:
    settings = load_settings(database_url=url)
    async with open_database(settings) as db:
        return (await certified(db, load_catalogs(), settings, NOW))[1]


async def _status(url: str, code: str) -> str:
    settings = load_settings(database_url=url)
    async with open_database(settings) as db, db.transaction() as session:
        unit = Unit(session, Actor("test", None, "user"), NOW, load_catalogs(), settings)
        return (await verify_certificate(unit, code)).status


def test_revoke_from_the_command_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("ADMIN_IDS", raising=False)
    code = asyncio.run(_issue(url))
    assert main(["certificate", "revoke", code.lower(), "--reason", "خطأ"]) == 0
    assert f"certificate {code[:5]}-{code[5:]} revoked" in capsys.readouterr().out
    assert asyncio.run(_status(url, code)) == REVOKED
    assert main(["certificate", "revoke", code]) != 0
    assert "already revoked" in capsys.readouterr().err
    assert main(["certificate", "revoke", "NOSUCHCODE"]) != 0
    assert "No certificate has this code" in capsys.readouterr().err
