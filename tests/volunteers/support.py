"""Helpers for the volunteer tests: a minor's sign-up, answer by answer."""

from __future__ import annotations

from typing import Any

from tests.support import ADULT_ANSWERS

GUARDIAN = "عبدالله محمد الغامدي"
GUARDIAN_MOBILE = "0555123456"
BIRTH_AT = 4  # ADULT_ANSWERS[BIRTH_AT] answers the birth date; the guardian's questions follow


def minor_answers(
    born: str, guardian_mobile: str = GUARDIAN_MOBILE, national_id: str | None = None
) -> list[tuple[str, Any]]:
    """A complete sign-up of someone born on `born` (under 18), with their guardian."""
    answers = list(ADULT_ANSWERS)
    if national_id is not None:
        answers[1] = ("text", national_id)
    guardian = [("text", GUARDIAN), ("text", guardian_mobile), ("press", "yes")]
    return [*answers[:BIRTH_AT], ("text", born), *guardian, *answers[BIRTH_AT + 1 :]]
