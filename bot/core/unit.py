"""A unit of work: the transaction a business action runs in, who acts, and when.

Services (`bot.services`) take a `Unit` and do their work in its session: a chat update passes
the engine's (`Context.unit`), the web and the CLI open one around a call, a periodic job one per
run. The audit row and the notices of an action are written in the same transaction as the
action itself, so either all of it happens or none of it does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.core.notify import Notifier
from storage import repositories as repo
from storage.lazy_session import SessionOnDemand

if TYPE_CHECKING:
    from bot.core.i18n import Catalogs
    from bot.settings import Settings

SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, as the audit log and status histories name them ("user:12", "system",
    "cli:staff"). `role` is what the action's door established (the engine for chat, a route
    guard for the web); services that need a role check it again."""

    label: str
    user_id: int | None = None
    role: str = "user"

    @classmethod
    def person(cls, user_id: int, role: str = "user") -> Actor:
        return cls(f"user:{user_id}", user_id, role)

    @classmethod
    def system(cls) -> Actor:
        """The process itself: periodic jobs (expiry, reminders, promotions)."""
        return cls(SYSTEM, None, "admin")

    @classmethod
    def operator(cls, command: str) -> Actor:
        """Someone at the server's shell, running a CLI command (trusted as an admin)."""
        return cls(f"cli:{command}", None, "admin")

    @property
    def is_staff(self) -> bool:
        return self.role in repo.STAFF_ROLES


class ActingPerson(Protocol):
    """The acting person as a chat update loaded them (`bot.core.person.Person`): a column
    written through `write` is what both the loaded row and an ORM instance of them read next,
    with no session needed for it."""

    @property
    def id(self) -> int: ...

    async def write(self, conn: AsyncConnection, **values: Any) -> None: ...


class Unit:
    """One transaction's worth of business: the session, the actor, the clock, the notices,
    and the process's catalogs and settings (notices carry parameters such as dates rendered in
    the recipient's language; rules read their limits from the settings).

    `session` is a session made already, or a `SessionOnDemand` (a chat update's, made on first
    use): a service that only runs statements takes `await unit.connection()` and opens none.
    Notices are queued through the session, so the notifier too is made on first use."""

    def __init__(
        self,
        session: AsyncSession | SessionOnDemand,
        actor: Actor,
        now: datetime,
        catalogs: Catalogs,
        settings: Settings,
        *,
        person: ActingPerson | None = None,
    ) -> None:
        self.transaction = (
            session if isinstance(session, SessionOnDemand) else SessionOnDemand.of(session)
        )
        self.actor = actor
        self.now = now
        self.catalogs = catalogs
        self.settings = settings
        self.person = person  # a chat update's: its own columns are written without a session
        self._notifier: Notifier | None = None

    @property
    def session(self) -> AsyncSession:
        return self.transaction.session

    async def connection(self) -> AsyncConnection:
        """The transaction's connection for statements, with the session (if one was made)
        flushed first; makes no session."""
        return await self.transaction.connection()

    def adopt(self, instance: object) -> None:
        """A row written on `connection()` without the ORM joins this unit's session."""
        self.transaction.adopt(instance)

    @property
    def notifier(self) -> Notifier:
        if self._notifier is None:
            self._notifier = Notifier(self.transaction, self.now)
        return self._notifier

    @property
    def wakes_sender(self) -> bool:
        """Whether the sender must be woken after the commit (something was queued, or asked
        for); False when the notifier was never used."""
        return self._notifier is not None and self._notifier.should_wake

    @property
    def timezone(self) -> str:
        return self.settings.timezone

    async def audit(self, action: str, target: str, **details: Any) -> None:
        """Write what the actor did to the audit log, in this unit's transaction."""
        await repo.add_audit(self.session, self.actor.label, action, target, details, at=self.now)


# What a feature does before a person's data is deleted, to release what they hold (a shift
# place goes to the waitlist, a stall to the next family): `release(unit, user_id)`.
PersonRelease = Callable[[Unit, int], Awaitable[None]]
