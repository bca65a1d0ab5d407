"""What a partner's confirmed representatives are told about its initiatives (issue 15 item 4):
staff's decisions (approved, rejected with a note, a question to answer) and volunteers joining
the events opened for an initiative. Every representative hears it, in their own language: the
organisation proposed the initiative, whoever of its people pressed the button.

A volunteer joining is told without the volunteer's personal data: the event and how many
volunteers now hold a place, nothing else."""

from __future__ import annotations

from typing import Any

from bot.core.choice_ids import choice_id
from bot.core.unit import Unit
from bot.services import staff_notices
from bot.services.event_notices import title_for
from storage import initiatives as store
from storage.models_events import Event, ShiftRegistration
from storage.models_partners import APPROVED, INFO, REJECTED, Initiative

# The global choice of the question notice, pressed whatever step the representative is on:
# ii:<INFO_ANSWER_STEP>:<initiative id>
INFO_PREFIX = "ii"
INFO_ANSWER_STEP = "a"
# The staff notice's button, opening the initiative in the chat's review: iro:o:<initiative id>
STAFF_PREFIX = "iro"
STAFF_OPEN_STEP = "o"

DECISION_KEYS = {
    APPROVED: "ini.n.approved",
    REJECTED: "ini.n.rejected",
    INFO: "ini.n.needs_info",
}


def info_button(initiative_id: int) -> dict[str, Any]:
    return {
        "id": choice_id(INFO_PREFIX, INFO_ANSWER_STEP, str(initiative_id)),
        "label": "ini.info.answer",
        "params": {},
    }


async def tell_decision(unit: Unit, initiative: Initiative) -> int:
    """Tell every confirmed representative of the initiative's partner what staff decided
    (its current status); returns how many notices were queued."""
    key = DECISION_KEYS.get(initiative.status)
    if key is None:
        return 0
    params: dict[str, Any] = {"id": initiative.id, "title": initiative.title}
    choices = None
    if initiative.status == REJECTED:
        params["note"] = initiative.reject_note or "—"
    elif initiative.status == INFO:
        params["question"] = initiative.info_request or ""
        choices = [info_button(initiative.id)]
    # The decision's moment names it: asking twice is two notices, a retried request one.
    stamp = int(unit.now.timestamp())
    queued = 0
    for user in await store.representatives(unit.session, initiative.partner_id):
        queued += await unit.notifier.send(
            user.id,
            key,
            idempotency_key=f"ini{initiative.id}:{initiative.status}:{stamp}:u{user.id}",
            params=params,
            choices=choices,
        )
    return queued


async def tell_volunteer_joined(unit: Unit, event: Event, registration: ShiftRegistration) -> int:
    """A volunteer took a confirmed place in a shift of an event opened for an initiative:
    its partner's representatives learn the event and the number of volunteers registered
    now (no name, no contact). Returns how many notices were queued."""
    if event.initiative_id is None:
        return 0
    initiative = await store.get_initiative(unit.session, event.initiative_id)
    if initiative is None:
        return 0
    count = await store.confirmed_volunteers(unit.session, event.id)
    queued = 0
    for user in await store.representatives(unit.session, initiative.partner_id):
        queued += await unit.notifier.send(
            user.id,
            "ini.n.volunteer_joined",
            idempotency_key=f"ini:ev{event.id}:r{registration.id}:u{user.id}",
            params={"event": title_for(user.locale or "ar", event)},
            count=count,
        )
    return queued


async def tell_staff(unit: Unit, initiative: Initiative, *, answered: bool) -> int:
    """Staff learn that an initiative waits for review (new, or the partner answered their
    question), as they do of a new stall request: all who want notices as they happen, but
    the one who acted, with a button to open it in chat and the link to its web page."""
    key = "ini.stn.answered" if answered else "ini.stn.proposed"
    base = str(unit.settings.web_base_url).rstrip("/")
    # What happened and when names the notice: a second answer is a second notice.
    what = f"{'ans' if answered else 'new'}{int(unit.now.timestamp())}"
    button = {
        "id": choice_id(STAFF_PREFIX, STAFF_OPEN_STEP, str(initiative.id)),
        "label": "ini.stn.open",
        "params": {},
    }
    queued = 0
    for user in await staff_notices.staff_members(unit):
        if user.id == unit.actor.user_id:
            continue
        if staff_notices.notice_preference(user) != staff_notices.EACH:
            continue
        queued += await unit.notifier.send(
            user.id,
            key,
            idempotency_key=f"{staff_notices.KEY_PREFIX}ini{initiative.id}:{what}:u{user.id}",
            params={
                "id": initiative.id,
                "title": initiative.title,
                "link": f"{base}/initiatives/{initiative.id}",
            },
            choices=[button],
        )
    return queued
