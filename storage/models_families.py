"""Productive families (al-usar al-muntija), sites with stalls, and stall requests.

Capacity is enforced by the database, not by counting: an allocated request holds a stall
number in 1..capacity, and a partial unique index allows each number once per site and type.
Two staff approving the last stall at once therefore end with exactly one allocation.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, JSONType, UTCDateTime, utcnow

# Request statuses (issue 5 §4). "confirmed" follows an accepted offer.
SUBMITTED = "submitted"
UNDER_REVIEW = "under_review"
NEEDS_INFO = "needs_info"
WAITLISTED = "waitlisted"
APPROVED = "approved"  # a stall is offered and held until offer_expires_at
CONFIRMED = "confirmed"
REJECTED = "rejected"
CANCELLED = "cancelled"
EXPIRED = "expired"

ACTIVE_STATUSES = (SUBMITTED, UNDER_REVIEW, NEEDS_INFO, WAITLISTED, APPROVED, CONFIRMED)
HOLDS_STALL = (APPROVED, CONFIRMED)
_ACTIVE_SQL = (
    "status IN ('submitted','under_review','needs_info','waitlisted','approved','confirmed')"
)
_HOLDS_SQL = "status IN ('approved','confirmed')"


class Family(Base):
    __tablename__ = "families"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    family_name: Mapped[str] = mapped_column(String(100))  # family or brand name
    applicant_name: Mapped[str] = mapped_column(String(100))
    applicant_gender: Mapped[str] = mapped_column(String(1))  # "f" | "m" (women-only sites)
    national_id: Mapped[str] = mapped_column(String(10), unique=True)
    mobile: Mapped[str] = mapped_column(String(16))
    district: Mapped[str] = mapped_column(String(48))
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    other_category: Mapped[str | None] = mapped_column(String(100))
    freelance_doc_number: Mapped[str] = mapped_column(String(32))
    freelance_doc_expiry: Mapped[date] = mapped_column(Date)
    health_cert_number: Mapped[str | None] = mapped_column(String(32))
    health_cert_expiry: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    # [{"file_id": ..., "channel": ...}]: product photos only, never identity documents
    photos: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    needs: Mapped[list[str]] = mapped_column(JSONType, default=list)  # "electricity", "water"
    # When the applicant was found to be 18 or older (from the birth date they gave, which is
    # not kept, or their volunteer profile); NULL for families registered before it was asked.
    adult_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Site(Base):
    """A market, exhibition or national-occasion venue with stalls for families."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_ar: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120))
    district: Mapped[str] = mapped_column(String(48))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    food_stalls: Mapped[int] = mapped_column(Integer, default=0)
    nonfood_stalls: Mapped[int] = mapped_column(Integer, default=0)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())  # applications close
    fee: Mapped[str] = mapped_column(String(12), default="free")  # free | symbolic | rent
    fee_note: Mapped[str | None] = mapped_column(String(200))  # e.g. how the fee is paid
    setup_note: Mapped[str | None] = mapped_column(String(200))  # when stalls may be set up
    saudi_only: Mapped[bool] = mapped_column(Boolean, default=True)
    women_only: Mapped[bool] = mapped_column(Boolean, default=False)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The exhibition or national-occasion event this market is part of, if any: families can
    # apply for a stall from that event.
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )

    # Accessibility features of the site (storage.models_access.ACCESS_FEATURES); NULL: none.
    access: Mapped[list[str] | None] = mapped_column(JSONType)
    # Stalls of each type kept for families in which a person with a disability works: the
    # highest numbers of each type (storage.families.free_numbers). NULL: none reserved.
    reserved_stalls: Mapped[int | None] = mapped_column(Integer)

    def capacity(self, stall_type: str) -> int:
        return self.food_stalls if stall_type == "food" else self.nonfood_stalls


class StallRequest(Base):
    __tablename__ = "stall_requests"
    __table_args__ = (
        # One active request per family per site.
        Index(
            "uq_stall_request_active",
            "family_id",
            "site_id",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
        # Each stall number of a site and type is held by one request at most.
        Index(
            "uq_stall_allocated",
            "site_id",
            "stall_type",
            "stall_number",
            unique=True,
            sqlite_where=text(_HOLDS_SQL),
            postgresql_where=text(_HOLDS_SQL),
        ),
        Index("ix_stall_requests_queue", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    stall_type: Mapped[str] = mapped_column(String(8))  # food | nonfood
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=SUBMITTED)
    stall_number: Mapped[int | None] = mapped_column(Integer)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reject_reason: Mapped[str | None] = mapped_column(String(32))
    reject_note: Mapped[str | None] = mapped_column(String(500))
    info_request: Mapped[str | None] = mapped_column(String(500))  # staff's question
    info_reply: Mapped[str | None] = mapped_column(String(1000))  # the family's answer
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A person with a disability works in the family (health data: asked only after its own
    # consent). Only the proof's short reference is kept (e.g. the disability card number),
    # never a document; staff record when they verified it.
    disability_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disability_proof: Mapped[str | None] = mapped_column(String(40))
    disability_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class StallRequestChange(Base):
    """Every status change of a request, kept as history (issue 5 §4)."""

    __tablename__ = "stall_request_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("stall_requests.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(80))  # "user:12", "system"
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
