"""Feature modules, each written against the core only, assembled into one `BotApp`."""

from __future__ import annotations

from bot.core.flow import BotApp
from bot.handlers import announcements, broadcast, menu, my_data, start, volunteer_signup


def build_app() -> BotApp:
    app = BotApp(home=menu.MENU)
    start.register(app)
    menu.register(app)
    form = volunteer_signup.VolunteerForm()
    app.add_flow(form)
    my_data.register(app, form)
    broadcast.register(app)
    announcements.register(app)
    return app
