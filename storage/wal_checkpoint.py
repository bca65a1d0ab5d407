"""SQLite's WAL checkpoints in a thread of their own, off the updates' path.

In WAL mode every commit appends to the -wal file, and by default the commit that takes it past
1,000 pages copies it back into the database and syncs it to disk, inside that update. Issue
18's sign-up bench at eight conversations in flight: that inline checkpoint is most of the
storage floor's own p99 (11–13 ms with it, 9 ms without), and it lands on whichever update
happens to cross the line while the others queue behind SQLite's single writer.

So connections checkpoint inline only as a safety net, past `INLINE_CHECKPOINT_PAGES` (about
16 MB of WAL: a process that runs no checkpointer, or a thread that cannot keep up), and a
`WalCheckpointer`
thread per database runs a PASSIVE checkpoint every `INTERVAL_S` on a connection of its own.
PASSIVE waits for no reader or writer; the sqlite3 module lets go of the GIL while SQLite copies
and syncs, so the event loop goes on answering. A checkpoint of an empty WAL costs a few
microseconds.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

INLINE_CHECKPOINT_PAGES = 4_000
# After a checkpoint that grew past the safety net, the WAL file is cut back to this size.
WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024
INTERVAL_S = 0.1
WARN_EVERY_S = 60.0  # a failure that repeats is logged once a minute, not ten times a second

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """What `PRAGMA wal_checkpoint` answered: whether it could not finish (busy), the WAL's
    frames and how many of them are now in the database."""

    busy: bool
    wal_frames: int
    checkpointed: int


def checkpoint(conn: sqlite3.Connection) -> Checkpoint:
    busy, frames, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return Checkpoint(bool(busy), int(frames), int(done))


class WalCheckpointer:
    """A daemon thread checkpointing one database file until `stop()`."""

    def __init__(self, path: Path, interval: float = INTERVAL_S) -> None:
        self.path = path
        self.interval = interval
        self.last: Checkpoint | None = None  # the latest answer (tests and benches read it)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._run, name=f"wal-checkpoint:{self.path.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread after the checkpoint in hand, if any (waits at most `timeout`)."""
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def stop_soon(self) -> None:
        """Let the thread end on its own (for a database that was never disposed)."""
        self._stopping.set()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        warned_at: float | None = None
        try:
            while not self._stopping.wait(self.interval):
                try:
                    if not self.path.exists():
                        return  # the database was removed (a test's temporary file)
                    if conn is None:
                        # mode=rw: never create the file (a database already gone stays gone).
                        conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=rw", uri=True)
                    self.last = checkpoint(conn)
                except Exception as exc:  # the thread must outlive any one failure
                    now = time.monotonic()
                    if warned_at is None or now - warned_at >= WARN_EVERY_S:
                        warned_at = now
                        # Only the exception's type and SQLite's message: no personal data.
                        log.warning("WAL checkpoint failed: %s: %s", type(exc).__name__, exc)
                    if conn is not None:
                        conn.close()
                        conn = None
        finally:
            if conn is not None:
                conn.close()
