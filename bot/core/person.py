"""The person an update comes from, as steps read them.

The engine loads the person as a plain row (storage/update_rows.py). Until a step opens the
session, reads come from that row; from then on they come from the ORM instance the row became
(`attach`), so what a service changed through the session in this update is what the next read
sees. Writes always go through the instance (`Context.orm_user`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from storage.update_rows import attach_user

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.models import User


class Person:
    __slots__ = ("_orm", "_row")

    def __init__(self, row: dict[str, Any]) -> None:
        self._row = row
        self._orm: User | None = None

    def attach(self, session: AsyncSession) -> User:
        """This person as an ORM instance of `session` (made once, without a query)."""
        if self._orm is None:
            self._orm = attach_user(session, self._row)
        return self._orm

    def _read(self, name: str) -> Any:
        return getattr(self._orm, name) if self._orm is not None else self._row[name]

    @property
    def id(self) -> int:
        return int(self._row["id"])

    @property
    def locale(self) -> str | None:
        value: str | None = self._read("locale")
        return value

    @property
    def role(self) -> str:
        return str(self._read("role"))

    @property
    def consent_version(self) -> str | None:
        value: str | None = self._read("consent_version")
        return value

    @property
    def consent_at(self) -> datetime | None:
        value: datetime | None = self._read("consent_at")
        return value

    @property
    def opted_out_announcements(self) -> bool:
        return bool(self._read("opted_out_announcements"))

    @property
    def staff_notices(self) -> str | None:
        value: str | None = self._read("staff_notices")
        return value
