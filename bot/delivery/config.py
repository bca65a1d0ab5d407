"""How the outbox sender runs: its rates, batches, lease, retries and quiet hours, read from the
settings once (a value object, so tests build one directly)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.i18n import WESTERN


@dataclass(frozen=True)
class DeliveryConfig:
    per_second: float = 30.0
    per_chat_per_second: float = 1.0
    max_attempts: int = 5
    concurrency: int = 1  # >1 is faster but a crash may then re-send that many messages
    batch: int = 50
    # Accepted rows marked 'sent' together (see the module's docstring for the crash bound).
    mark_batch: int = 20
    mark_interval: float = 0.25
    # Progress (25/50/75 %, the summary) is checked at most this often while a drain runs, and
    # always at its end: counting a broadcast's rows after every claimed batch cost a fifth of
    # a paid broadcast's time.
    progress_interval: float = 1.0
    lease: timedelta = timedelta(minutes=2)
    backoff_base: float = 2.0
    backoff_cap: float = 300.0
    retry_window: timedelta = timedelta(hours=6)
    quiet_start: time = time(22, 0)
    quiet_end: time = time(8, 0)
    timezone: str = "Asia/Riyadh"
    web_base_url: str = "http://127.0.0.1:8090"  # for the link in a broadcast's summary
    arabic_digits: str = WESTERN  # the digit style of Arabic notifications (ARABIC_DIGITS)

    @property
    def crash_resend_bound(self) -> int:
        """The most messages a sender killed at any moment sends again after a restart."""
        return self.mark_batch + self.concurrency

    def in_quiet_hours(self, now: datetime) -> bool:
        local = now.astimezone(ZoneInfo(self.timezone)).time()
        if self.quiet_start == self.quiet_end:
            return False
        if self.quiet_start < self.quiet_end:
            return self.quiet_start <= local < self.quiet_end
        return local >= self.quiet_start or local < self.quiet_end


def config_from_settings(settings: Any) -> DeliveryConfig:
    start, end = settings.quiet_window()
    rate = (
        settings.paid_broadcast_rate if settings.telegram_paid_broadcast else settings.outbox_rate
    )
    return DeliveryConfig(
        per_second=rate,
        # A batch is about 0.2 s of sending at paid rates (200 rows at 1,000/s), never fewer
        # rows than at Telegram's 30/s: each batch ends in a pause of a few milliseconds (the
        # slowest send, the marking commit), a share of the rate that grows with it.
        batch=max(DeliveryConfig.batch, round(rate / 5)),
        per_chat_per_second=settings.outbox_chat_rate,
        max_attempts=settings.outbox_max_attempts,
        retry_window=timedelta(hours=settings.outbox_retry_hours),
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        concurrency=settings.outbox_concurrency,
        quiet_start=start,
        quiet_end=end,
        timezone=settings.timezone,
        web_base_url=str(settings.web_base_url),
        arabic_digits=settings.arabic_digits,
    )
