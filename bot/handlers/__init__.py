"""Feature packages, each written against the core only, assembled into one `BotApp`.

One package per feature: `account` (start, language, privacy, menu, my data), `volunteers`
(the sign-up form), `families` (productive families), `events` (events and shifts),
`broadcasts` (staff broadcasts, announcements) and `staff` (the staff panel); `common` holds
what several of them share.
"""

from __future__ import annotations

from bot.core.flow import BotApp
from bot.handlers import agreements
from bot.handlers.account import menu, my_data, start
from bot.handlers.broadcasts import announcements, broadcast
from bot.handlers.certificates import chat as certificates
from bot.handlers.checkin import register as register_checkin
from bot.handlers.events import wiring as events
from bot.handlers.families import wiring as families
from bot.handlers.initiatives import wiring as initiatives
from bot.handlers.partners import wiring as partners
from bot.handlers.staff import dashboard
from bot.handlers.staff import notices as staff_notices
from bot.handlers.staff import panel as staff
from bot.handlers.volunteers import guardian
from bot.handlers.volunteers import signup as volunteer_signup


def build_app() -> BotApp:
    app = BotApp(home=menu.MENU)
    start.register(app)
    menu.register(app)
    form = volunteer_signup.VolunteerForm()
    volunteer_signup.register(app, form)
    guardian.register(app)
    my_data.register(app, form)
    staff.register(app)
    dashboard.register(app)
    broadcast.register(app)
    announcements.register(app)
    families.register(app)
    events.register(app)
    certificates.register(app)
    register_checkin(app)
    initiatives.register(app)
    partners.register(app)
    staff_notices.register(app)
    agreements.register(app)
    return app
