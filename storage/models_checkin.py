"""QR self check-in (issue 15 item 7): each shift's check-in code, the payload of its Telegram
deep link and WhatsApp prefilled text. One row per shift; rotating replaces the code in place,
so the old one stops working at once (nothing keeps it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime, utcnow


class ShiftCheckinCode(Base):
    __tablename__ = "shift_checkin_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), unique=True)
    # Unique across shifts: a code names its shift, nothing else is needed to find it.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Who last rotated it (NULL: made when the shift's code was first shown).
    rotated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
