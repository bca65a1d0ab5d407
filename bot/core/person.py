"""The person an update comes from, as steps read them.

The engine loads the person as a plain row (storage/update_rows.py). Until a step opens the
session, reads come from that row; from then on they come from the ORM instance the row became
(`attach`), so what a service changed through the session in this update is what the next read
sees. Writes go through the instance (`Context.orm_user`), or, for a column a step sets itself,
`write` (one UPDATE, and both the row and the instance hold the new value).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from storage.direct_writes import keep_written
from storage.update_rows import USER_WRITES, attach_user

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

    from storage.models import User

T = TypeVar("T")


class _Read(Generic[T]):
    """A column of `users` as `Person` reads it: from the ORM instance once there is one,
    else from the loaded row."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, person: Person, owner: type | None = None) -> T:
        orm = person._orm
        return cast(T, getattr(orm, self.name) if orm is not None else person._row[self.name])


class Person:
    __slots__ = ("_orm", "_row")

    locale: _Read[str | None] = _Read()
    role: _Read[str] = _Read()
    consent_version: _Read[str | None] = _Read()
    consent_at: _Read[datetime | None] = _Read()
    opted_out_announcements: _Read[bool] = _Read()

    def __init__(self, row: dict[str, Any]) -> None:
        self._row = row
        self._orm: User | None = None

    def attach(self, session: AsyncSession) -> User:
        """This person as an ORM instance of `session` (made once, without a query)."""
        if self._orm is None:
            self._orm = attach_user(session, self._row)
        return self._orm

    async def write(self, conn: AsyncConnection, **values: Any) -> None:
        """Write these columns of the person now, in the update's transaction `conn`."""
        written = await USER_WRITES.update(conn, self.id, values)
        self._row.update(written)
        if self._orm is not None:
            keep_written(self._orm, written)

    @property
    def id(self) -> int:
        return int(self._row["id"])
