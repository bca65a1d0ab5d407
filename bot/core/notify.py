"""The one way a message to someone that is not a direct reply gets queued: a row in the outbox,
written in the transaction of its cause, due on the caller's clock (the update's, the job's,
the service's), so the sender, which shares that clock, sends it. Handlers, services and jobs
all queue through a `Notifier`; it counts what it queued so the caller can wake the sender after
the commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox
from storage.lazy_session import SessionOnDemand


class Notifier:
    """Queues notices in one transaction, at `now` unless told otherwise."""

    def __init__(self, session: AsyncSession | SessionOnDemand, now: datetime) -> None:
        # A unit's session may not be made yet; it is asked for when a notice is queued.
        self._session = session
        self.now = now
        self.queued = 0
        # Something else that the sender must act on (a broadcast to fan out or settle)
        # without a row queued here.
        self.wake_requested = False

    @property
    def session(self) -> AsyncSession:
        session = self._session
        return session if isinstance(session, AsyncSession) else session.session

    @property
    def should_wake(self) -> bool:
        return self.queued > 0 or self.wake_requested

    async def send(
        self,
        user_id: int,
        key: str,
        *,
        idempotency_key: str,
        params: dict[str, Any] | None = None,
        kind: str = "notice",
        quiet: bool = False,
        announcement: bool = False,
        due_at: datetime | None = None,
        expires_at: datetime | None = None,
        choices: list[dict[str, Any]] | None = None,
        location: tuple[float, float] | None = None,
        count: int | None = None,
        address: tuple[str, str] | None = None,
        secret: tuple[str, ...] = (),
    ) -> bool:
        """Queue message `key` (a catalog id, rendered at send time in the recipient's language)
        to a person. `idempotency_key` makes a second queueing of the same notice a no-op;
        `expires_at`: if it cannot go out before then (the process was down), it is skipped.
        `count`: the message has plural forms, chosen by this number. `address`: (channel,
        chat id) of someone else on the person's behalf (their guardian), in the person's
        language. `secret`: params removed from the row once it is sent (or will not be). Returns
        whether a row was created."""
        payload = outbox.notice_payload(
            key,
            params or {},
            expires_at=expires_at,
            choices=choices,
            location=location,
            count=count,
        )
        if secret:
            payload[outbox.SECRET_PARAMS] = list(secret)
        created = await outbox.enqueue(
            self.session,
            user_id,
            kind=kind,
            key=idempotency_key,
            payload=payload,
            due_at=due_at or self.now,
            quiet=quiet,
            announcement=announcement,
            address=address,
        )
        self.queued += int(created)
        return created
