"""Events, volunteer shifts, registrations with waitlists, attendance and ratings.

As with stalls, the last place is protected by the database: a confirmed registration holds a
seat number in 1..capacity, unique per shift, so concurrent registrations cannot overfill it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, JSONType, UTCDateTime, utcnow

EVENT_TYPES = (
    "national",
    "cleaning",
    "afforestation",
    "awareness",
    "exhibition",
    "ramadan",
    "disability",  # supporting people with disabilities
    "other",
)

# Registration statuses
PENDING = "pending"  # waiting for staff approval
CONFIRMED = "confirmed"
WAITLISTED = "waitlisted"
CANCELLED = "cancelled"
_LIVE_SQL = "status IN ('pending','confirmed','waitlisted')"
_SEATED_SQL = "status = 'confirmed'"


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title_ar: Mapped[str] = mapped_column(String(150))
    title_en: Mapped[str | None] = mapped_column(String(150))
    description_ar: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(16), index=True)
    place_name: Mapped[str] = mapped_column(String(150))  # Arabic, or as staff typed it
    # The place in English; None: English readers see `place_name`.
    place_name_en: Mapped[str | None] = mapped_column(String(150))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default="published")  # or "cancelled"
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The partner initiative this event was opened for (volunteers see the partner's name).
    initiative_id: Mapped[int | None] = mapped_column(
        ForeignKey("initiatives.id", ondelete="SET NULL"), index=True
    )
    # Accessibility features (storage.models_access.ACCESS_FEATURES); NULL: none stated.
    access: Mapped[list[str] | None] = mapped_column(JSONType)


class Shift(Base):
    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer)
    gender: Mapped[str | None] = mapped_column(String(1))  # "m", "f" or None for anyone
    skills: Mapped[list[str]] = mapped_column(JSONType, default=list)
    auto_confirm: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(12), default="active")  # or "cancelled"
    # Bumped whenever the time or the place changes: reminder keys carry it, so the reminders
    # queued for an earlier time or place can be withdrawn and new ones queued (even when a
    # change is undone later).
    revision: Mapped[int] = mapped_column(Integer, default=0)
    # Features this shift offers beyond its event's (a volunteer sees both together).
    access: Mapped[list[str] | None] = mapped_column(JSONType)


class ShiftRegistration(Base):
    __tablename__ = "shift_registrations"
    __table_args__ = (
        Index(
            "uq_registration_live",
            "shift_id",
            "volunteer_id",
            unique=True,
            sqlite_where=text(_LIVE_SQL),
            postgresql_where=text(_LIVE_SQL),
        ),
        Index(
            "uq_registration_seat",
            "shift_id",
            "seat",
            unique=True,
            sqlite_where=text(_SEATED_SQL),
            postgresql_where=text(_SEATED_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(12))
    seat: Mapped[int | None] = mapped_column(Integer)  # 1..capacity while confirmed
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # waitlist order
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rating: Mapped[int | None] = mapped_column(Integer)  # 1..5 after the shift
    thanked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # thank-you queued
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
