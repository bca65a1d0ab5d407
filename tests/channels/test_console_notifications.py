"""In the console chat the outbox sender runs after every turn: a staff member's broadcast
reaches them (they are in the audience) and the summary follows, marked as notifications."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot import cli


def test_console_broadcast_delivers_and_summarises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    monkeypatch.setenv("ADMIN_IDS", "console:boss")
    monkeypatch.setenv("QUIET_HOURS", "")
    script = "\n".join(
        ["1", "1", "/broadcast", "1", "اجتماع المتطوعين غدًا <مهم>", "1", "1", "1", "1"]
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(script + "\n"))
    assert cli.main(["chat", "--user", "boss", "--no-demo"]) == 0
    out = capsys.readouterr().out
    assert "\U0001f514 اجتماع المتطوعين غدًا <مهم>" in out  # the broadcast itself, unescaped
    assert "\U0001f514 \u200f📣 اكتمل الإعلان رقم 1" in out  # then the staff summary
