"""Work that channels accept quickly and process afterwards (WhatsApp's webhook must answer
fast; the payload is stored first, so a crash between the two loses nothing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, JSONType, UTCDateTime, utcnow


class InboundWork(Base):
    __tablename__ = "inbound_work"
    __table_args__ = (
        Index("ix_inbound_work_pending", "status", "id"),
        Index("ix_inbound_work_lane", "channel", "lane", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(8), default="pending")  # pending | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The worker processing the body and until when its claim holds (storage/inbound.py
    # `claim`): another worker takes the body over once the lease has run out.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A hash of the sender (not their number): their bodies are handled in id order, whichever
    # worker holds them.
    lane: Mapped[str | None] = mapped_column(String(32))
