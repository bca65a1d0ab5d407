"""What the main menu asks about a person, in one statement on the hot path.

Several entries of the main menu depend on the person: volunteers see their profile and
certificate, a partner's representatives their organisation and initiatives. The main menu is
shown after most updates, so the two questions are one `HotStatement` on the update's own
connection rather than ORM queries through a session that most updates never open.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.hot_statements import HotStatement
from storage.models import Volunteer
from storage.models_partners import Partner, PartnerMember
from storage.partners import acts_for


@dataclass(frozen=True, slots=True)
class PersonFacts:
    is_volunteer: bool  # has a volunteer profile
    represents_partner: bool  # acts for at least one partner (`storage.partners.acts_for`)


_FACTS = HotStatement(
    select(
        exists().where(Volunteer.user_id == bindparam("b_user")),
        exists(select(Partner.id).join(PartnerMember, acts_for(bindparam("b_user")))),
    )
)


async def person_facts(conn: AsyncConnection, user_id: int) -> PersonFacts:
    """The facts as the transaction on `conn` sees them: a caller holding an ORM session
    flushes it first (a profile added in this update counts)."""
    is_volunteer, represents = (await _FACTS.execute(conn, {"b_user": user_id})).one()
    return PersonFacts(bool(is_volunteer), bool(represents))
