"""`shuraka` command line: chat, telegram, whatsapp, web, web-link, outbox, broadcast, db, staff,
demo-data, export."""

from __future__ import annotations

import argparse
import asyncio
import gc
import html
import logging
import os
import sys
from collections.abc import Coroutine
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from bot.logs import configure_logging, level_for, mask_personal_data
from bot.settings import WEB_SECRET_MIN, ConfigError, Settings, load_settings
from storage.db import PRIVATE_FILE_MODE
from storage.schema import SchemaOutdatedError

if TYPE_CHECKING:
    from storage.db import Database


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shuraka", description="Shuraka community bot")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True)

    chat = sub.add_parser("chat", help="talk to the bot in this terminal (console channel)")
    chat.add_argument("--user", default="local", help="console user id (default: local)")
    chat.add_argument("--no-demo", action="store_true", help="do not add demo data")
    chat.add_argument(
        "--force-demo",
        action="store_true",
        help="add demo data even to a database with real (Telegram/WhatsApp) users",
    )

    tg = sub.add_parser("telegram", help="run the Telegram bot (long polling, or a webhook)")
    tg.add_argument(
        "--webhook", action="store_true", help="serve a webhook (also when WEBHOOK_URL is set)"
    )
    tg.add_argument(
        "--transport",
        choices=("aiogram", "ptb"),
        help="the client library (default: TELEGRAM_TRANSPORT, else aiogram)",
    )
    _role(tg)
    _role(sub.add_parser("whatsapp", help="serve the WhatsApp Cloud API webhook and send"))

    web = sub.add_parser("web", help="serve the staff web workspace (WEB_HOST:WEB_PORT)")
    web.add_argument(
        "--demo", action="store_true", help="add demo data and print a link for the demo admin"
    )
    link = sub.add_parser("web-link", help="print a one-time sign-in link for a staff member")
    link.add_argument("who", help="CHANNEL:ID, e.g. telegram:123456 (a bare number = telegram)")

    ob = sub.add_parser("outbox", help="the notification sender")
    ob_sub = ob.add_subparsers(dest="outbox_command", required=True)
    run = ob_sub.add_parser("run", help="send queued notifications over Telegram")
    run.add_argument("--until-empty", action="store_true", help="exit when nothing is left")

    bc = sub.add_parser("broadcast", help="send a text file to a segment (admins)")
    bc.add_argument("file", help="UTF-8 text file with the Arabic text")
    bc.add_argument("--en-file", help="optional English text for English-speaking users")
    bc.add_argument(
        "--audience",
        default="all",
        help="all | volunteers | families | district:CODE | interest:CODE | event:ID",
    )
    bc.add_argument("--at", help="send later: 'YYYY-MM-DD HH:MM' in TIMEZONE")

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply Alembic migrations up to the newest")
    db_sub.add_parser("current", help="print the schema revision and the newest one")
    db_backup = db_sub.add_parser("backup", help="back the database up to FILE (0600)")
    db_backup.add_argument("file", help="SQLite: a database file; PostgreSQL: pg_dump -Fc")
    db_restore = db_sub.add_parser("restore", help="SQLite: replace the database with FILE")
    db_restore.add_argument("file", help="a file written by 'shuraka db backup'")

    staff = sub.add_parser("staff", help="staff roles")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_sub.add_parser("add", help="make a user staff (or admin)")
    add.add_argument("who", help="CHANNEL:ID, e.g. telegram:123456 (a bare number = telegram)")
    add.add_argument("--admin", action="store_true", help="admin instead of staff")
    remove = staff_sub.add_parser("remove", help="make a staff member a plain user again")
    remove.add_argument("who")
    staff_sub.add_parser("list", help="list staff and admins")

    cert = sub.add_parser("certificate", help="certificates of volunteer hours")
    cert_sub = cert.add_subparsers(dest="certificate_command", required=True)
    revoke = cert_sub.add_parser("revoke", help="revoke a certificate: it then verifies as revoked")
    revoke.add_argument("code")
    revoke.add_argument("--reason", default="")

    demo = sub.add_parser("demo-data", help="add synthetic demo volunteers and a console admin")
    demo.add_argument(
        "--force-demo",
        action="store_true",
        help="add them even to a database with real (Telegram/WhatsApp) users",
    )

    ex = sub.add_parser("export", help="export data for staff")
    ex_sub = ex.add_subparsers(dest="export_command", required=True)
    exr = ex_sub.add_parser("requests", help="a site's stall requests (Arabic headers)")
    exr.add_argument("--site", type=int, required=True, help="site id")
    exr.add_argument("--format", choices=("xlsx", "csv"), default="xlsx", help="default xlsx")
    exr.add_argument("--out", help="file to write (default site-ID-requests.FORMAT)")
    exr.add_argument(
        "--lang",
        choices=("en", "ar"),
        default="en",
        help="language of the summary line (default en; the file's headers are Arabic)",
    )
    return parser


def _role(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--role",
        choices=("all", "worker", "sender", "scheduler"),
        default="all",
        help="run only the worker (updates), the sender or the scheduler (default: all)",
    )


def _split_who(who: str) -> tuple[str, str]:
    channel, _, external = who.partition(":") if ":" in who else ("telegram", "", who)
    if not channel or not external:
        raise ConfigError(f"expected CHANNEL:ID, got {who!r}")
    return channel, external


async def _load_demo(db: Database, force: bool) -> int:
    from bot.demo import load_demo_data, real_users_present

    if not force and await real_users_present(db):
        raise ConfigError(
            "this database has real users (Telegram/WhatsApp): no demo data added; "
            "use --no-demo, or --force-demo to add it anyway"
        )
    return await load_demo_data(db)


async def _chat(settings: Settings, user: str, demo: bool, force_demo: bool = False) -> None:
    from bot.channels.console import ConsoleChannel, ConsoleTransport
    from bot.core.flow import JobEnv
    from bot.delivery.sender import fan_out_due
    from bot.process.owner import Door, ProcessOwner
    from bot.runtime import open_runtime

    async with open_runtime(settings) as runtime:
        if demo:
            await _load_demo(runtime.db, force_demo)
        console = ConsoleChannel(runtime.engine.handle, user=user)
        # No scheduler and no sender task: after each line the jobs run and the sender drains
        # here, so notices print before the next prompt instead of in the middle of typing.
        owner = ProcessOwner(runtime, scheduled=False, health_port=False)
        sender = owner.sender_for(ConsoleTransport(console), run=False)
        await sender.recover()

        async def deliver_notifications() -> None:
            env = JobEnv(runtime.db, runtime.catalogs, settings)
            for job in runtime.engine.app.periodic:
                await job.run(env, runtime.engine.clock())
            await fan_out_due(runtime.db)
            await sender.drain()

        async def nothing() -> None:
            return None  # the console ends at the end of its input

        console.after_each = deliver_notifications
        owner.add_door(Door("console", serve=console.run, halt=nothing))
        await owner.run(handle_signals=False)  # Ctrl-C is the terminal's KeyboardInterrupt


async def _telegram(
    settings: Settings, webhook: bool, role: str = "all", transport: str | None = None
) -> None:
    from bot.process.telegram import TelegramService
    from bot.runtime import open_runtime

    if settings.bot_token is None:
        raise ConfigError("configuration error: BOT_TOKEN: required for telegram")
    async with open_runtime(settings) as runtime:
        # Everything loaded so far lives as long as the process: keep the collector off it.
        gc.collect()
        gc.freeze()
        service = TelegramService(runtime, role=role, transport=transport)
        if webhook or settings.webhook_url:
            await service.run_webhook()
        else:
            await service.run_polling()


def _audience(spec: str) -> dict[str, str]:
    from bot.services.broadcasts import check_audience
    from bot.services.errors import ServiceError

    kind, _, value = spec.partition(":")
    audience = {"kind": kind, "value": value} if value else {"kind": kind}
    try:
        check_audience(audience)
    except ServiceError:
        raise ConfigError(f"unknown audience {spec!r}") from None
    return audience


def _explain(err: Exception) -> str:
    """A service's refusal in English, as the operator reads it."""
    from bot.core.i18n import load_catalogs

    params = getattr(err, "params", {})
    return load_catalogs().translator("en").t(getattr(err, "msgid", "err.internal"), **params)


async def _broadcast(settings: Settings, args: argparse.Namespace) -> None:
    from datetime import datetime
    from pathlib import Path
    from zoneinfo import ZoneInfo

    from bot.core.text import strip_controls
    from bot.process.outbox_runner import broadcast_from_cli
    from bot.services.broadcasts import check_text
    from bot.services.errors import ServiceError

    def read(name: str) -> str:
        # A file is free text like any other: a NUL in it would fail on PostgreSQL.
        return strip_controls(Path(name).read_text(encoding="utf-8")).strip()

    text_ar = read(args.file)
    text_en = read(args.en_file) if args.en_file else None
    if not text_ar:
        raise ConfigError(f"{args.file} is empty")
    at = None
    if args.at:
        try:
            at = datetime.fromisoformat(args.at).replace(tzinfo=ZoneInfo(settings.timezone))
        except ValueError:
            raise ConfigError(f"--at: expected 'YYYY-MM-DD HH:MM', got {args.at!r}") from None
    audience = _audience(args.audience)
    try:
        # Refused before the database is opened; the service checks again when it creates it.
        check_text(text_ar)
        check_text(text_en, required=False)
        await broadcast_from_cli(settings, text_ar, text_en, audience, at)
    except ServiceError as err:
        raise ConfigError(_explain(err)) from None


async def _whatsapp(settings: Settings, role: str = "all") -> None:
    from bot.process.whatsapp import WhatsAppService
    from bot.runtime import open_runtime

    async with open_runtime(settings) as runtime:
        gc.collect()
        gc.freeze()
        await WhatsAppService(runtime, role=role).run()


def _web_secret(settings: Settings) -> None:
    if settings.web_session_secret is None:
        raise ConfigError(
            "configuration error: WEB_SESSION_SECRET: required for web "
            f"(at least {WEB_SECRET_MIN} random characters)"
        )


async def _web_link_for(settings: Settings, db: Database, who: str) -> str:
    from bot.core.i18n import load_catalogs
    from bot.core.unit import Actor, Unit
    from bot.services import web_access
    from bot.services.errors import ServiceError
    from storage import repositories as repo
    from storage.models import utcnow

    channel, external = _split_who(who)
    async with db.transaction() as session:
        found = await repo.find_identity(session, channel, external)
        if found is None:
            raise ConfigError(f"no user {channel}:{external}")
        unit = Unit(session, Actor.operator("web-link"), utcnow(), load_catalogs(), settings)
        try:
            return await web_access.issue_link(unit, found[1].id)
        except ServiceError as err:
            raise ConfigError(_explain(err)) from None


async def _web_link(settings: Settings, who: str) -> None:
    from storage.db import open_database

    async with open_database(settings) as db:
        print(await _web_link_for(settings, db, who))


async def _web(settings: Settings, demo: bool) -> None:
    from bot.process.owner import ProcessOwner, http_door
    from bot.runtime import open_runtime
    from bot.web.app import AccessLog, create_app, housekeeping

    _web_secret(settings)
    async with open_runtime(settings) as runtime:
        if demo:
            from bot.demo import DEMO_CHANNEL, STAFF_USER

            await _load_demo(runtime.db, force=False)
            link = await _web_link_for(settings, runtime.db, f"{DEMO_CHANNEL}:{STAFF_USER}")
            print(f"demo admin sign-in link (once, 10 minutes): {link}", flush=True)
        # No sender here: pages queue outbox rows and the bot's process sends them.
        owner = ProcessOwner(runtime, scheduled=False)
        app = create_app(runtime.db, runtime.catalogs, settings)
        owner.add_door(
            http_door("web", app, settings.web_host, settings.web_port, access_log_class=AccessLog)
        )
        owner.add_background("web housekeeping", partial(housekeeping, app))
        await owner.run()


async def _staff(settings: Settings, action: str, who: str | None, admin: bool) -> None:
    from bot.core.i18n import load_catalogs
    from bot.core.unit import Actor, Unit
    from bot.services import staff
    from bot.services.errors import ServiceError
    from storage.db import open_database
    from storage.models import utcnow

    async with open_database(settings) as db, db.transaction() as session:
        # The audit log has always named this door plain "cli".
        actor = Actor("cli", None, staff.ADMIN)
        unit = Unit(session, actor, utcnow(), load_catalogs(), settings)
        if action == "list":
            for member in await staff.list_staff(unit):
                print(f"{member.role}\t{', '.join(member.identities)}")
            for entry in settings.admin_ids:
                print(f"admin\t{entry}\t(ADMIN_IDS)")
            return
        assert who is not None
        channel, external = _split_who(who)
        try:
            if action == "remove":
                change = await staff.remove_role(unit, channel, external)
            else:
                change = await staff.grant_role(unit, channel, external, admin=admin)
        except ServiceError as err:
            raise ConfigError(_explain(err)) from None
        print(f"{change.who} is now {change.role}")


async def _revoke_certificate(settings: Settings, code: str, reason: str) -> None:
    from bot.core.i18n import load_catalogs
    from bot.core.unit import Actor, Unit
    from bot.services import certificates
    from bot.services.errors import ServiceError
    from storage.db import open_database
    from storage.models import utcnow

    async with open_database(settings) as db, db.transaction() as session:
        unit = Unit(session, Actor.operator("certificate"), utcnow(), load_catalogs(), settings)
        try:
            done = await certificates.revoke_certificate(unit, code, reason)
        except ServiceError as err:
            raise ConfigError(_explain(err)) from None
        print(f"certificate {certificates.display_code(done.code)} revoked")


async def _demo(settings: Settings, force: bool = False) -> None:
    from storage.db import open_database

    async with open_database(settings) as db:
        added = await _load_demo(db, force)
        print(f"demo data: {added} volunteers added; console admin user: 'staff'")


async def _export_requests(settings: Settings, args: argparse.Namespace) -> None:
    from datetime import UTC, datetime
    from pathlib import Path

    from bot.core.i18n import load_catalogs
    from bot.core.unit import Actor, Unit
    from bot.services.errors import ServiceError
    from bot.services.family_reports import export_requests
    from storage.db import open_database

    catalogs = load_catalogs()
    async with open_database(settings) as db:
        async with db.transaction() as session:
            unit = Unit(session, Actor.operator("export"), datetime.now(UTC), catalogs, settings)
            try:
                # A file written here stays on this machine: national IDs in full.
                export = await export_requests(unit, args.site, args.format, full_ids=True)
            except ServiceError as err:
                raise ConfigError(f"no site with id {args.site}") from err
        out = Path(args.out or export.filename)
        write_private(out, export.data)
        # "1 request", "2 requests"; in Arabic the six plural forms. The catalog text is HTML
        # for the chat; a terminal wants it plain.
        summary = catalogs.translator(args.lang).tn("cli.exported", export.rows, path=str(out))
        print(html.unescape(summary))


def write_private(path: Path, data: bytes) -> None:
    """Write a file with personal data readable by its owner only, whatever the umask, also
    when it replaces an older file that others could read."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "wb") as file:
        os.fchmod(fd, PRIVATE_FILE_MODE)  # before any data is written
        file.write(data)


def _run(coro: Coroutine[Any, Any, None]) -> int:
    try:
        asyncio.run(coro)
    except KeyboardInterrupt:
        return 130
    except (ConfigError, SchemaOutdatedError) as exc:
        print(f"shuraka: {exc}", file=sys.stderr)
        return 2
    except (OSError, SQLAlchemyError) as exc:
        # The database (or the network) is not there: one line, the traceback only with -v.
        logging.getLogger(__name__).debug("failed", exc_info=True)
        first_line = mask_personal_data((str(exc).strip().splitlines() or [""])[0])
        print(f"shuraka: {type(exc).__name__}: {first_line}", file=sys.stderr)
        return 1
    return 0


SERVICES = ("telegram", "whatsapp", "web", "outbox")  # long-running: INFO logs by default


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"shuraka: {exc}", file=sys.stderr)
        return 2
    level = level_for(settings.log_level, args.command in SERVICES, args.verbose)
    configure_logging(args.verbose, level=level, fmt=settings.log_format)
    if args.command == "chat":
        return _run(_chat(settings, args.user, not args.no_demo, args.force_demo))
    if args.command == "telegram":
        return _run(_telegram(settings, args.webhook, args.role, args.transport))
    if args.command == "whatsapp":
        return _run(_whatsapp(settings, args.role))
    if args.command == "web":
        return _run(_web(settings, args.demo))
    if args.command == "web-link":
        return _run(_web_link(settings, args.who))
    if args.command == "outbox":
        from bot.process.outbox_runner import run_sender

        return _run(run_sender(settings, args.until_empty))
    if args.command == "broadcast":
        return _run(_broadcast(settings, args))
    if args.command == "db":
        from bot.dbtools import run_db

        return _run(run_db(settings, args.db_command, getattr(args, "file", None)))
    if args.command == "staff":
        who = getattr(args, "who", None)
        return _run(_staff(settings, args.staff_command, who, getattr(args, "admin", False)))
    if args.command == "certificate":
        return _run(_revoke_certificate(settings, args.code, args.reason))
    if args.command == "demo-data":
        return _run(_demo(settings, args.force_demo))
    if args.command == "export":
        return _run(_export_requests(settings, args))
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
