"""Feature modules, each written against the core only, assembled into one `BotApp`."""

from __future__ import annotations

from bot.core.flow import BotApp
from bot.handlers import (
    announcements,
    broadcast,
    events,
    families,
    menu,
    my_data,
    staff,
    start,
    volunteer_signup,
)


def build_app() -> BotApp:
    app = BotApp(home=menu.MENU)
    start.register(app)
    menu.register(app)
    form = volunteer_signup.VolunteerForm()
    volunteer_signup.register(app, form)
    my_data.register(app, form)
    staff.register(app)
    broadcast.register(app)
    announcements.register(app)
    families.register(app)
    events.register(app)
    return app
