"""Every sender test runs on both Telegram client libraries (TELEGRAM_TRANSPORT): the rate
limits, the 429 pause, 403 unreachable and paid broadcasts must not depend on the library."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.delivery import support


@pytest.fixture(autouse=True)
def _telegram_library(transport: str) -> Iterator[None]:
    support.LIBRARY[0] = transport
    yield
    support.LIBRARY[0] = "aiogram"
