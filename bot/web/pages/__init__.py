"""The workspace's page modules. Each defines `pages = Pages()` and its handlers; add a new
module to MODULES and it is served (bot/web/README.md)."""

from __future__ import annotations

from types import ModuleType

from bot.web.pages import (
    agreements,
    agreements_reports,
    audit,
    auth,
    broadcasts,
    certificates,
    checkin,
    events,
    initiatives,
    overview,
    partners,
    requests,
    shifts,
    sites,
    staff,
    volunteers,
)

MODULES: tuple[ModuleType, ...] = (
    auth,
    overview,
    requests,
    sites,
    events,
    shifts,
    volunteers,
    broadcasts,
    audit,
    staff,
    certificates,
    checkin,
    initiatives,
    partners,
    agreements,
    agreements_reports,
)
