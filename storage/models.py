"""SQLAlchemy models. Alembic (storage/migrations) owns the schema; these mirror it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; SQLite forgets the zone, so reads are made aware again."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")
# Python None stored as SQL NULL (not JSON null), so "IS NULL" finds the empty ones.
NullableJSON = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    role: Mapped[str] = mapped_column(String(16), default="user")
    consent_version: Mapped[str | None] = mapped_column(String(32))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opted_out_announcements: Mapped[bool] = mapped_column(Boolean, default=False)
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Staff only: how they hear of new work, "each" (None: the default) or "digest".
    staff_notices: Mapped[str | None] = mapped_column(String(8))

    identities: Mapped[list[ChannelIdentity]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class ChannelIdentity(Base):
    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_identity_channel_ext"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="identities")


class Conversation(Base):
    __tablename__ = "conversations"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # The replies of the person's latest update, saved in its transaction until they have
    # surely gone out: a worker killed between the commit and the send leaves them here, and
    # the platform's re-delivery of that update (deduplicated, so not handled again) sends
    # them instead of nothing. {"u": the update's dedupe key, "o": [replies]}; cleared after
    # PENDING_REPLIES_KEPT. Deferred: the engine writes it on every update but reads it only
    # for a re-delivery.
    pending_replies: Mapped[dict[str, Any] | None] = mapped_column(
        NullableJSON, nullable=True, deferred=True
    )
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProcessedUpdate(Base):
    """Seen update ids: a re-delivered update is dropped at this unique key."""

    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class Volunteer(Base):
    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    full_name: Mapped[str] = mapped_column(String(100))
    national_id: Mapped[str] = mapped_column(String(10), unique=True)
    mobile: Mapped[str] = mapped_column(String(16))
    gender: Mapped[str] = mapped_column(String(8))
    birth_date: Mapped[date] = mapped_column(Date)
    birth_calendar: Mapped[str] = mapped_column(String(10))
    guardian_name: Mapped[str | None] = mapped_column(String(100))
    guardian_mobile: Mapped[str | None] = mapped_column(String(16))
    guardian_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A minor's guardian confirmed: by the code sent to the guardian's own number ("code") or
    # by staff ("staff"). NULL for a minor: not confirmed yet (no check-in until it is).
    guardian_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    guardian_confirmed_by: Mapped[str | None] = mapped_column(String(8))
    district: Mapped[str] = mapped_column(String(48))
    interests: Mapped[list[str]] = mapped_column(JSONType, default=list)
    availability: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # What the volunteer can do, as they typed it (shown); `skills_key` is the same text folded
    # for search (hamza, taa marbuta, diacritics...), written by the service beside it.
    skills: Mapped[str | None] = mapped_column(String(300))
    skills_key: Mapped[str | None] = mapped_column(Text)  # NFKC may lengthen it
    email: Mapped[str | None] = mapped_column(String(254))
    charter_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The volunteer's own access needs (health data under PDPL): kept only with the separate
    # consent's time and version; withdrawing the consent deletes all three.
    access_needs: Mapped[str | None] = mapped_column(String(300))
    access_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    access_consent_version: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class GuardianCode(Base):
    """The code sent to a minor's guardian, kept only as a salted hash until it is typed,
    expires or is locked by wrong tries; at most one per volunteer."""

    __tablename__ = "guardian_codes"

    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))  # hex of pbkdf2_hmac-sha256
    salt: Mapped[str] = mapped_column(String(32))  # hex
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    tries: Mapped[int] = mapped_column(Integer, default=0)  # wrong codes typed
    sends: Mapped[int] = mapped_column(Integer, default=0)  # codes sent (the first and resends)


class Broadcast(Base):
    """A staff announcement to a segment; its deliveries are outbox rows."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    audience: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    text_ar: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    # {"kind": "photo"|"document", "file_id": ..., "channel": ...}: sent by reference
    attachment: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # scheduled → sending (fanned out) → done | cancelled
    status: Mapped[str] = mapped_column(String(16), default="scheduled", index=True)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """One notification to one person: the truth the sender works from (DESIGN.md §4)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))  # "broadcast", "notice", …
    # {"key": msgid, "params": {...}} or {"broadcast_id": n}; rendered at send time in the
    # recipient's language
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True
    )
    announcement: Mapped[bool] = mapped_column(Boolean, default=False)  # opt-out applies
    quiet: Mapped[bool] = mapped_column(Boolean, default=False)  # held in quiet hours
    # pending → sending → sent | failed | blocked | skipped
    status: Mapped[str] = mapped_column(String(12), default="pending")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(80))  # "user:12", "cli", "system"
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str | None] = mapped_column(String(80))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


__all__ = [
    "AuditLog",
    "Base",
    "Broadcast",
    "ChannelIdentity",
    "Conversation",
    "OutboxMessage",
    "ProcessedUpdate",
    "User",
    "Volunteer",
    "utcnow",
]


def load_all_models() -> None:
    """Import every `storage/models_*.py` so `Base.metadata` knows all tables (Alembic needs
    them all; features keep their models in modules of their own)."""
    import importlib
    import pkgutil

    import storage

    for module in pkgutil.iter_modules(storage.__path__):
        if module.name.startswith("models_"):
            importlib.import_module(f"storage.{module.name}")
