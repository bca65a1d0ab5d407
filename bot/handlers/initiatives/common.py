"""What the initiatives' chat screens share: flow names, the categories, how an initiative is
shown and how a refusal is said."""

from __future__ import annotations

from datetime import date

from bot.core.flow import Context
from bot.core.forms import Option
from bot.core.i18n import Translator
from bot.handlers.common import show_district
from bot.services.errors import ServiceError
from storage.models_partners import INITIATIVE_CATEGORIES, Initiative

# Flow names (short: they are part of every button id).
PROPOSE_FORM = "inf"
MY_INITIATIVES = "inm"
INFO_ANSWER = "ina"
STAFF_REVIEW = "inr"
EVENT_FORM = "ine"  # staff: an event for an approved initiative

BACK = "_bk"
CATEGORY_OPTIONS = tuple(Option(c, f"ini.cat.{c}") for c in INITIATIVE_CATEGORIES)


def category_label(tr: Translator, category: str) -> str:
    return tr.label(f"ini.cat.{category}")


def status_label(tr: Translator, status: str) -> str:
    return tr.label(f"ini.status.{status}")


def say_error(ctx: Context, err: ServiceError) -> None:
    params = {k: ctx.fmt_date(v) if isinstance(v, date) else v for k, v in err.params.items()}
    status = getattr(err, "status", None)
    if isinstance(status, str):
        params["status"] = status_label(ctx.tr, status)
    ctx.say(err.msgid, **params)


def initiative_lines(ctx: Context, initiative: Initiative) -> list[str]:
    """An initiative as its partner and staff read it in the chat."""
    tr = ctx.tr
    lines = [
        tr.t(
            "ini.line",
            id=initiative.id,
            title=initiative.title,
            status=status_label(tr, initiative.status),
            category=category_label(tr, initiative.category),
            district=show_district(ctx, initiative.district),
            start=ctx.fmt_date(initiative.start_date),
            end=ctx.fmt_date(initiative.end_date),
            volunteers=initiative.volunteers_wanted,
        )
    ]
    if initiative.info_request:
        lines.append(tr.t("ini.question_line", question=initiative.info_request))
    if initiative.info_reply:
        lines.append(tr.t("ini.answer_line", answer=initiative.info_reply))
    if initiative.reject_note and initiative.status == "rejected":
        lines.append(tr.t("ini.note_line", note=initiative.reject_note))
    return lines
