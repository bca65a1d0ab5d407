"""Certificates of volunteer hours (issue 15 item 6): what was certified, for whom, and its
verification code. The hours are a snapshot taken when it was issued, so a later correction
of attendance does not change what a printed certificate says it certified."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, JSONType, UTCDateTime, utcnow


class Certificate(Base):
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A volunteer's data deleted (PDPL) takes their certificates with it: verifying one then
    # says "not found".
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(16), unique=True)
    # The period certified (local days): the one asked for, or for "all my hours" the first
    # and last day attended.
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    # [{"event_id", "title_ar", "title_en", "hours", "first", "last"}] as certified
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    total_hours: Mapped[float] = mapped_column(Float)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str | None] = mapped_column(String(300))
