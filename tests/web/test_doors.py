"""The ways to a login link and to the server: `/dashboard` in chat, `shuraka web-link`,
`shuraka web`'s settings; and the templates' message ids are in both catalogs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.cli import main
from bot.core.engine import Engine
from bot.core.i18n import DEFAULT_LOCALES_DIR as LOCALES_DIR
from bot.core.i18n import Catalogs, po_path
from storage import repositories as repo
from storage.db import Database
from tests.support import Chat

TEMPLATES = Path(__file__).resolve().parents[2] / "bot" / "web" / "templates"
_KEY = re.compile(r"""\btn?\(\s*["']([a-z0-9_.]+)["']""")


async def test_dashboard_gives_staff_a_link_and_refuses_others(
    engine: Engine, db: Database, catalogs: Catalogs
) -> None:
    plain = Chat(engine, user="u1")
    await plain.onboard()
    await plain.send("/dashboard")
    assert "/login/" not in plain.text
    async with db.transaction() as s:
        await repo.set_role(s, "console", "u1", "staff")
    await plain.send("/dashboard")
    assert "http://127.0.0.1:8090/login/" in plain.text
    boss = Chat(engine, user="boss")  # an admin from ADMIN_IDS
    await boss.onboard()
    await boss.send("/dashboard")
    assert "/login/" in boss.text


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("ADMIN_IDS", "WEB_SESSION_SECRET", "WEB_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "web.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path


def test_web_link_prints_a_link_for_staff_only(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["staff", "add", "telegram:42"]) == 0
    capsys.readouterr()
    assert main(["web-link", "telegram:42"]) == 0
    assert re.fullmatch(r"http://127\.0\.0\.1:8090/login/[\w-]{40,}\n", capsys.readouterr().out)
    assert main(["staff", "remove", "telegram:42"]) == 0
    capsys.readouterr()
    assert main(["web-link", "telegram:42"]) == 2
    assert "staff" in capsys.readouterr().err
    assert main(["web-link", "telegram:7"]) == 2
    assert "no user telegram:7" in capsys.readouterr().err


def test_web_needs_a_long_enough_secret_and_never_prints_it(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["web"]) == 2
    err = capsys.readouterr().err
    assert "WEB_SESSION_SECRET" in err and len(err.strip().splitlines()) == 1
    monkeypatch.setenv("WEB_SESSION_SECRET", "short-secret-value")
    assert main(["web"]) == 2
    err = capsys.readouterr().err
    assert "WEB_SESSION_SECRET" in err and "short-secret-value" not in err
    assert len(err.strip().splitlines()) == 1


def test_every_template_message_id_is_in_both_catalogs() -> None:
    used = {key for path in TEMPLATES.glob("*.html") for key in _KEY.findall(path.read_text())}
    assert "web.nav.overview" in used
    for locale in ("ar", "en"):
        with po_path(LOCALES_DIR, locale).open("rb") as fh:
            known = {m.id for m in read_po(fh) if m.id}
        assert not used - known, f"{locale}: {sorted(used - known)}"
