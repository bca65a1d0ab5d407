"""Choice ids: "<flow>:<step>:<value>", short ASCII that says where a choice was offered, so
a press on an old message can be recognised as stale."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.messages import Inbound, InboundKind

CHOICE_SEP = ":"
MAX_CHOICE_ID_BYTES = 64


def choice_id(flow: str, step: str, value: str) -> str:
    cid = f"{flow}{CHOICE_SEP}{step}{CHOICE_SEP}{value}"
    if len(cid.encode()) > MAX_CHOICE_ID_BYTES:
        raise ValueError(f"choice id too long: {cid!r}")
    return cid


@dataclass(frozen=True, slots=True)
class ChoiceRef:
    flow: str
    step: str
    value: str


def parse_choice_id(cid: str) -> ChoiceRef | None:
    parts = cid.split(CHOICE_SEP, 2)
    if len(parts) != 3:
        return None
    return ChoiceRef(*parts)


def pressed_value(inbound: Inbound) -> str:
    """The value of the button pressed ("" for typed text and anything else)."""
    ref = parse_choice_id(inbound.text) if inbound.kind is InboundKind.CHOICE else None
    return ref.value if ref else ""


def number_after(value: str, prefix: str) -> int | None:
    """The id in a choice value such as "e12" (prefix "e"), or None."""
    rest = value[len(prefix) :]
    return int(rest) if value.startswith(prefix) and rest.isdigit() else None


def choice_prefix(cid: str) -> str:
    """ "<flow>:<step>", where a choice was offered."""
    return cid.rsplit(CHOICE_SEP, 1)[0]


def choice_value(cid: str) -> str:
    return cid.rsplit(CHOICE_SEP, 1)[-1]


def is_navigation(cid: str) -> bool:
    """Back, cancel, done …: values starting with "_" (bot.core.forms), not options."""
    return choice_value(cid).startswith("_")
