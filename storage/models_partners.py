"""Partner organisations, their representatives, their initiatives and the agreements staff
record with them (issue 15 items 1-4).

A partner is an organisation, not a person: people act for it as representatives, each one
confirmed by staff, so a partner outlives any one contact. Statuses are plain strings kept in
the constants below; the services own every transition between them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, JSONType, UTCDateTime, utcnow

PARTNER_TYPES = ("government", "company", "nonprofit", "centre", "other")
# What the registration number is (../shared/reference/domain.md, "Organisation identifiers"):
# the unified establishment number (10 digits, leading 7), an older commercial-register number
# (10 digits, kept while the unified one is asked for), or none (government bodies).
ID_UNIFIED = "unified"
ID_OLD_CR = "old_cr"
ID_NONE = "none"

# Review statuses shared by partners and initiatives, like a stall request's.
SUBMITTED = "submitted"
INFO = "info"  # staff asked a question; waiting for the partner's answer
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"

# A representative's standing with the organisation.
MEMBER_PENDING = "pending"
MEMBER_CONFIRMED = "confirmed"
MEMBER_REJECTED = "rejected"

INITIATIVE_CATEGORIES = (
    "beautification",
    "environment",
    "social",
    "health",
    "education",
    "national",
    "exhibition",
    "disability",
)

AGREEMENT_STATUSES = ("draft", "signed", "active", "expired")


# A registration that still holds its number: rejected and withdrawn ones free it (the
# organisation may register again). Organisations without a number (ID_NONE) are not limited.
HOLDS_NUMBER_SQL = "reg_number IS NOT NULL AND status NOT IN ('rejected','withdrawn')"


class Partner(Base):
    __tablename__ = "partners"
    __table_args__ = (
        # One standing registration per number, even when two people register at once.
        Index(
            "uq_partners_reg_number",
            "reg_number",
            unique=True,
            sqlite_where=text(HOLDS_NUMBER_SQL),
            postgresql_where=text(HOLDS_NUMBER_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_ar: Mapped[str] = mapped_column(String(150))
    name_en: Mapped[str | None] = mapped_column(String(150))
    type: Mapped[str] = mapped_column(String(16), index=True)
    id_kind: Mapped[str] = mapped_column(String(8), default=ID_NONE)
    # Normalised to ASCII digits; None for a government body.
    reg_number: Mapped[str | None] = mapped_column(String(10), index=True)
    # A government body's sending department (it has no unified number).
    department: Mapped[str | None] = mapped_column(String(150))
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_mobile: Mapped[str] = mapped_column(String(16))
    areas: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(12), default=SUBMITTED, index=True)
    info_request: Mapped[str | None] = mapped_column(String(500))
    info_reply: Mapped[str | None] = mapped_column(String(1000))
    reject_note: Mapped[str | None] = mapped_column(String(500))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class PartnerMember(Base):
    """A person who acts for a partner. The one who registered the organisation is its first
    representative; others ask to join. Staff confirm each one."""

    __tablename__ = "partner_members"
    __table_args__ = (UniqueConstraint("partner_id", "user_id", name="uq_partner_member"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The name staff and other representatives see (the registrant's is the contact name).
    name: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(12), default=MEMBER_PENDING)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Initiative(Base):
    __tablename__ = "initiatives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(150))
    category: Mapped[str] = mapped_column(String(16))
    district: Mapped[str] = mapped_column(String(48))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    volunteers_wanted: Mapped[int] = mapped_column(Integer, default=0)
    partner_provides: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=SUBMITTED, index=True)
    info_request: Mapped[str | None] = mapped_column(String(500))
    info_reply: Mapped[str | None] = mapped_column(String(1000))
    reject_note: Mapped[str | None] = mapped_column(String(500))
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Agreement(Base):
    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(8), default="draft")
    # Targets; None: no target of that kind.
    target_volunteers: Mapped[int | None] = mapped_column(Integer)
    target_hours: Mapped[float | None] = mapped_column(Float)
    target_events: Mapped[int | None] = mapped_column(Integer)
    target_families: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(1000))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
