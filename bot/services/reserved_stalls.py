"""Stalls reserved for families in which a person with a disability works (issue 15 §5).

A site keeps `reserved_stalls` of each stall type (the highest numbers, see
`storage.families.free_numbers`, the one place the capacity rule lives). A family asking for a
stall may say a person with a disability works in it: health data, so only after its own
consent, and only a short reference of the proof staff need (e.g. the disability card number
from the Ministry of Human Resources) is kept, never a document. Staff see it in the review;
their decision on the request (an offer, or the waiting list) records that they verified it,
and only a verified request can be given a reserved stall.
"""

from __future__ import annotations

import re

from bot.core.text import clean_input
from bot.core.unit import Unit
from bot.services.errors import ServiceError, require_staff
from storage import families as fam
from storage.models_families import Site, StallRequest

PROOF_MAX = 40
_PROOF = re.compile(r"[\w][\w /.\-]{2,39}")


def clean_proof(typed: str) -> str:
    """A short reference as typed (a card number, a file number): letters, digits, spaces,
    "/", "." and "-"; 3 to 40 characters."""
    text = clean_input(typed)
    if not _PROOF.fullmatch(text) or not any(ch.isalnum() for ch in text):
        raise ServiceError("fam.err.disability_proof", max=PROOF_MAX)
    return text


def declared(request: StallRequest) -> bool:
    """The family said a person with a disability works in it, with consent and a proof."""
    return request.disability_consent_at is not None and bool(request.disability_proof)


async def declare(unit: Unit, request: StallRequest, proof: str) -> None:
    """The family's own statement on its new request (the consent is this statement)."""
    if unit.actor.user_id is None:
        raise ServiceError("fam.rev.gone")
    request.disability_consent_at = unit.now
    request.disability_proof = clean_proof(proof)
    # Recorded that it was stated, never the reference itself (health data stays out of the log).
    await unit.audit("stall_request.disability_stated", f"stall_request:{request.id}")


async def verify_on_decision(unit: Unit, request: StallRequest) -> None:
    """Staff offering a stall to (or waitlisting) a request that states the proof have
    checked it: recorded once, so a reserved stall may go to this family."""
    require_staff(unit.actor)
    if declared(request) and request.disability_verified_at is None:
        request.disability_verified_at = unit.now
        await unit.audit("stall_request.disability_verified", f"stall_request:{request.id}")


async def free_for(unit: Unit, site: Site, request: StallRequest) -> list[int]:
    """The stall numbers staff may give this request: the reserved ones only to a family
    that stated the proof (deciding on it verifies it)."""
    return await fam.free_numbers(unit.session, site, request.stall_type, declared(request))


async def next_in_line(unit: Unit, site: Site, stall_type: str) -> StallRequest | None:
    """Who a free stall is offered to. A free reserved stall goes to the first waiting family
    that may take one (stated and verified), ahead of families waiting longer; the others wait
    for an unreserved stall, and a reserved one stays free while no such family waits."""
    free = await fam.free_numbers(unit.session, site, stall_type)
    kept = set(fam.reserved_numbers(site, stall_type))
    if any(n in kept for n in free):
        first = await fam.oldest_waitlisted(unit.session, site.id, stall_type, reserved_ok=True)
        if first is not None:
            return first
    if all(n in kept for n in free):  # nothing left for everyone else (or nothing at all)
        return None
    return await fam.oldest_waitlisted(unit.session, site.id, stall_type)
