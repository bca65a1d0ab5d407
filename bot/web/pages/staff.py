"""Staff management on the web, for admins (issue 13 §3): the staff list, adding someone by
"channel:id", changing a role and removing it — all through `bot.services.staff`, which
checks the admin role again and writes the audit rows."""

from __future__ import annotations

from aiohttp import web

from bot.services import staff
from bot.web.page import Pages, View

pages = Pages()


@pages.get("/staff", admin=True)
async def staff_list(view: View) -> web.StreamResponse:
    members = await staff.list_staff(view.work)
    return view.render(
        "staff_list.html",
        members=members,
        admin_ids=view.env.settings.admin_ids,
        roles=(staff.STAFF, staff.ADMIN),
        role_names={r: view.tr.label(f"web.role.{r}") for r in staff.ROLES},
    )


@pages.post("/staff", admin=True)
async def staff_set(view: View) -> web.StreamResponse:
    form = await view.form()
    role = form.get("role", staff.STAFF)
    change = await staff.set_staff_role(view.work, form.get("who", ""), role)
    view.flash("web.staff.changed", who=change.who, role=view.tr.label(f"web.role.{change.role}"))
    return view.redirect("/staff")
