"""The console channel end to end: a whole sign-up typed as lines of text, as piped stdin would."""

from __future__ import annotations

import io
import re
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.channels.console import ConsoleChannel, html_to_text
from bot.cli import main
from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.core.text import strip_invisible
from bot.handlers.volunteers.signup import AVAILABILITY
from storage.db import Database
from storage.models import Volunteer

# Every answer typed, none pressed: numbers (Latin and Arabic-Indic), free text, label text.
SCRIPT = [
    "1",  # language: العربية (first choice)
    "1",  # privacy notice: accept
    "1",  # main menu: sign up as a volunteer
    "محمد عبدالله الغامدي",  # full name
    "1234567897",  # national ID
    "0512345678",  # mobile (the console cannot share a contact)
    "\u0661",  # gender: "١" = 1 = male
    "15/03/1420",  # birth date (Hijri)
    "الحويه",  # district typed, with heh for the final teh marbuta
    "1 2",  # interests: the first two, by number in one message
    "1",  # skills: the first choice offered is "skip"
    "1",  # availability: toggle the first option ...
    str(len(AVAILABILITY) + 1),  # ... then "done", the choice after the options
    "1",  # email: the first choice offered is "skip"
    "2",  # access needs: no consent to keep them (the second choice)
    "أقبل الميثاق",  # charter, by the label text (without its emoji)
    "1",  # summary: confirm
]
HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def visible(text: str) -> str:
    """Transcript text without bidi/zero-width marks, for comparing with catalog text."""
    return strip_invisible(text)


def expected_lines(catalogs: Catalogs, key: str) -> list[str]:
    text = html_to_text(catalogs.translator("ar").t(key))
    return [visible(line).strip() for line in text.splitlines() if line.strip()]


async def test_scripted_signup_through_the_console(
    make_engine: Callable[..., Engine], db: Database, catalogs: Catalogs
) -> None:
    stdin = io.StringIO("\n".join(SCRIPT) + "\n")
    stdout = io.StringIO()
    channel = ConsoleChannel(make_engine().handle, user="c1", stdin=stdin, stdout=stdout)
    await channel.run()
    transcript = stdout.getvalue()
    plain = visible(transcript)

    # numbered choices, the typed lines echoed, no markup
    assert re.search(r"^  1\) \S", transcript, re.MULTILINE)
    assert re.search(r"^  2\) \S", transcript, re.MULTILINE)
    assert "> \u0661\n" in transcript
    assert "> الحويه\n" in transcript
    assert not HTML_TAG.search(transcript), HTML_TAG.findall(transcript)
    assert "&lt;" not in transcript and "&amp;" not in transcript
    # no error message along the way, and the saved message at the end
    for key in (
        "form.err.choose",
        "form.err.multi",
        "vol.err.district_unknown",
        "err.internal",
        "menu.not_understood",
        "form.err.use_choices",
    ):
        for line in expected_lines(catalogs, key):
            assert line not in plain, f"{key} shown: {line}"
    for line in expected_lines(catalogs, "vol.saved"):
        assert line in plain

    async with db.sessions() as session:
        volunteers = (await session.execute(select(Volunteer))).scalars().all()
    assert len(volunteers) == 1
    v = volunteers[0]
    assert v.full_name == "محمد عبدالله الغامدي"
    assert v.national_id == "1234567897"
    assert v.mobile == "+966512345678"
    assert v.gender == "m"
    assert v.birth_calendar == "hijri"
    assert v.district == "hawiya"
    assert v.interests == ["environment", "cleaning"]
    assert v.availability == [AVAILABILITY[0].value]
    assert v.email is None
    assert v.charter_accepted_at is not None


def test_cli_chat_with_piped_stdin(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    catalogs: Catalogs,
) -> None:
    db_file = tmp_path / "chat.db"
    for name in ("ADMIN_IDS", "TIMEZONE", "DEFAULT_LOCALE", "PRIVACY_NOTICE_VERSION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{db_file}")
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(SCRIPT) + "\n"))

    assert main(["chat", "--no-demo"]) == 0

    captured = capsys.readouterr()
    plain = visible(captured.out)
    assert re.search(r"^  1\) \S", captured.out, re.MULTILINE)
    assert not HTML_TAG.search(captured.out)
    for line in expected_lines(catalogs, "vol.saved"):
        assert line in plain
    conn = sqlite3.connect(db_file)
    try:
        rows = conn.execute("SELECT national_id, district FROM volunteers").fetchall()
    finally:
        conn.close()
    assert rows == [("1234567897", "hawiya")]  # --no-demo: only the scripted volunteer
