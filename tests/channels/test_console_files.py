"""The console saves a file the bot sends (a certificate's PDF) readable by its owner only,
and prints where it is."""

from __future__ import annotations

import io
import stat
from pathlib import Path

from bot.channels.console import ConsoleChannel
from bot.core.messages import Attachment, Inbound, Outbound


async def test_a_sent_document_is_saved_0600_and_its_path_printed(tmp_path: Path) -> None:
    async def handle(_: Inbound) -> list[Outbound]:
        pdf = Attachment("document", filename="../certificate-ABC.pdf", data=b"%PDF-1.4 x")
        return [Outbound(text="هذه إفادتك", attachment=pdf)]

    stdout = io.StringIO()
    channel = ConsoleChannel(handle, stdin=io.StringIO(""), stdout=stdout, files_dir=tmp_path)
    await channel.run()
    saved = tmp_path / "certificate-ABC.pdf"  # the name only: no way out of the folder
    assert saved.read_bytes() == b"%PDF-1.4 x"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert f"[document: ../certificate-ABC.pdf -> {saved}]" in stdout.getvalue()
