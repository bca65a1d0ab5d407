"""QR self check-in in chat (issue 15 item 7): the Telegram deep link (/start ci_<code>),
/checkin <code>, and the check-in word and code as WhatsApp prefills it or anyone types it
(the Arabic word for "attendance" then "K7M2-QX9P", or "checkin k7m2qx9p"; Arabic-Indic digits
too; the words are the catalog key `ci.words.checkin`).

From any state: the engine routes a command before the current step, so a form in progress
is neither answered with it nor lost — after the reply the step is asked again. The rules are
`bot.services.checkin`."""

from __future__ import annotations

from datetime import datetime

from bot.core.dates import fmt_range
from bot.core.flow import BotApp, Command, Context
from bot.services import checkin as service
from bot.services.certificates import CODE_ALPHABET, normalize_code
from bot.services.errors import ServiceError
from bot.services.event_notices import title_for

CHECKIN = "checkin"  # the command


def looks_like_code(text: str) -> bool:
    """Whether typed words after the check-in word are a code: only then is "<word> <text>"
    a check-in, so a free-text answer that starts with that word stays an answer."""
    code = normalize_code(text)
    return len(code) == service.CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


async def check_in(ctx: Context) -> None:
    """/checkin CODE, the typed word and code, or the deep link's payload (via /start)."""
    code = ctx.inbound.args.strip()
    if not code:
        ctx.say("ci.q.code")
    else:
        await _check_in(ctx, code)
    # Back where the person was: a form resumes at its step; before the language and privacy
    # questions are answered, those come first.
    await ctx.home() if any(g.pending(ctx) for g in ctx.app.gates) else await ctx.show_current()


async def _check_in(ctx: Context, code: str) -> None:
    tr, tz = ctx.tr, ctx.settings.timezone
    try:
        done = await service.self_check_in(ctx.unit, code)
    except service.Refused as err:
        params: dict[str, object] = {
            k: ctx.fmt_datetime(v) if isinstance(v, datetime) else v for k, v in err.params.items()
        }
        params["title"] = title_for(tr.locale, err.event)
        params["when_shift"] = fmt_range(tr, err.shift.starts_at, err.shift.ends_at, tz)
        ctx.say(err.msgid, **params)
        return
    except ServiceError as err:
        ctx.say(err.msgid, **err.params)
        return
    ctx.say(
        "ci.already" if done.already else "ci.done",
        title=title_for(tr.locale, done.event),
        when_shift=fmt_range(tr, done.shift.starts_at, done.shift.ends_at, tz),
        at=ctx.fmt_datetime(done.at),
    )


async def start_payload(ctx: Context, payload: str) -> bool:
    """/start with a deep-link payload: a check-in one is handled here (True)."""
    code = service.code_from_payload(payload)
    if code is None:
        return False
    await _check_in(ctx, code)
    return True


def register(app: BotApp) -> None:
    app.add_command(Command(CHECKIN, check_in, "cmd.checkin", before_gates=True))
    app.typed_commands["ci.words.checkin"] = CHECKIN
    app.typed_command_args[CHECKIN] = looks_like_code
    app.start_payloads.append(start_payload)
