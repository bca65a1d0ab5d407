"""The ORM session of a unit of work, made only when something asks for it.

A chat update's transaction is a plain connection (storage/update_rows.py); most updates never
need the ORM. Yet every service takes a unit of work, and a unit used to carry a session made
up front: a sign-up's national ID check and its final save each paid for a session and for the
person's ORM instance only to run statements on the connection under them (issue 18: 14 % of
the final save). `SessionOnDemand` makes the session on first use of `session`; a service that
only runs statements asks for `connection()` instead, which opens nothing.

What the session holds counts for those statements, as an ORM query's autoflush would make it
count: `connection()` flushes a session that has been made. A row written without the ORM
(`storage.direct_writes`) is `adopt`ed: it joins the session at once, or when the session is
made, so a later change to it is flushed like any loaded row's.

Two kinds: `SessionOnDemand(conn, on_open)` inside a transaction already begun on `conn` (the
session joins it, storage.db.joined_session); `SessionOnDemand.of(session)` for a session the
caller has made already (the web, the CLI, jobs and tests), where nothing is lazy.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.db import joined_session


def _nothing(_session: AsyncSession) -> None:
    return None


class SessionOnDemand:
    """One transaction's ORM session, made on first use."""

    def __init__(
        self,
        connection: AsyncConnection | None,
        on_open: Callable[[AsyncSession], object] = _nothing,
        *,
        session: AsyncSession | None = None,
    ) -> None:
        if (connection is None) == (session is None):
            raise ValueError("give the transaction's connection or a session, not both")
        self._connection = connection
        self._session = session
        self._on_open = on_open
        self._adopted: list[object] = []

    @classmethod
    def of(cls, session: AsyncSession) -> SessionOnDemand:
        """A session the caller has made already."""
        return cls(None, session=session)

    @property
    def session(self) -> AsyncSession:
        """The session, made now if it was not (then `on_open` runs, and adopted rows join)."""
        if self._session is None:
            assert self._connection is not None
            self._session = joined_session(self._connection)
            self._on_open(self._session)
            self._session.add_all(self._adopted)
            self._adopted.clear()
        return self._session

    @property
    def opened(self) -> AsyncSession | None:
        """The session if it has been made, else None (nothing to flush or close)."""
        return self._session

    async def connection(self) -> AsyncConnection:
        """The transaction's connection, for statements; what a session made earlier holds is
        flushed first. Opens no session."""
        if self._session is None:
            assert self._connection is not None
            return self._connection
        await self._session.flush()
        if self._connection is not None:
            return self._connection
        # The caller's own session: its connection may change after each commit, so it is
        # asked every time.
        return await self._session.connection()

    def adopt(self, instance: object) -> None:
        """A row written without the session (it is persistent in the database and detached
        here) becomes the session's, now or when the session is made."""
        if self._session is not None:
            self._session.add(instance)
        else:
            self._adopted.append(instance)
