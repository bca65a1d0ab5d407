"""The one owner of a running process (Telegram, WhatsApp, console chat, `outbox run`, and the
coming web server), modelled on Starlette's lifespan: what starts is stopped again, in one
documented order, however the process ends (a signal, a door that closes, an error).

Start-up (`start`):
  1. the scheduler with its jobs (housekeeping, the sender's wake-up and broadcast fan-out,
     the features' periodic jobs, any a channel added with `add_jobs`), when `scheduled`;
  2. the outbox sender's task (after it recovered rows a crash left claimed);
  3. background tasks (`add_background`: the WhatsApp worker, a web server's own work …);
  4. the doors (`add_door`): what takes updates (polling, a webhook, the console, HTTP).

Shutdown (`shutdown`), each step waiting for the one before:
  1. stop taking updates: every door is halted and its `serve` returns;
  2. finish what is in flight: each door's updates in hand, then the background tasks
     (given the stop event, they end the item in hand);
  3. stop the scheduler: no new runs, the running jobs finish;
  4. drain and stop the sender: it ends the message in flight, the rest stays pending;
  5. close the channels' clients (the sender shared them until step 4);
  6. dispose of the database: not here but by whoever opened it (`bot.runtime.open_runtime`
     around the owner), so it is last by construction.

Roles (`--role`): `all` runs every part (the default); `worker` only the doors and the
background tasks (taking updates), `sender` only the sender, `scheduler` only the jobs. Health
(`bot.process.health`): every HTTP door's application also answers /healthz, /readyz and
/metrics; with METRICS_PORT set a small door serves only those (for a process without one).

Several machines (README "Operations"): on PostgreSQL the scheduler's jobs run in the one
process that leads the "scheduler" (`bot.process.leader`; the others keep theirs paused and
take over within a minute of the leader's death). With REDIS_URL every sender sends, sharing
one rate limit in Redis; without it only the process that leads the "sender" does, since two
in-process limits would together send twice Telegram's rate. On SQLite there is one process.

The database and the runtime are the caller's: tests build an owner around the test's
database and keep it.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import partial

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.flow import JobEnv
from bot.delivery.redis_limiter import shared_limiter
from bot.delivery.sender import OutboxSender, config_from_settings
from bot.delivery.transport import Transport
from bot.process.health import Health
from bot.process.leader import Leadership
from bot.runtime import Runtime
from bot.supervise import supervise
from scheduler.factory import add_housekeeping, create_scheduler
from scheduler.jobs import JobTracker, add_delivery_jobs, add_feature_jobs

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGINT, signal.SIGTERM)
# `--role`: which parts a long-running process runs (`all`, today's default: every part).
ALL, WORKER, SENDER, SCHEDULER = "all", "worker", "sender", "scheduler"
ROLES = (ALL, WORKER, SENDER, SCHEDULER)
Step = Callable[[], Awaitable[None]]
AddJobs = Callable[[AsyncIOScheduler, JobTracker], None]


async def _nothing() -> None:
    return None


@dataclass
class Door:
    """One way updates come in. `serve` takes updates until `halt` is called, then returns;
    `finish` waits for the updates in hand; `close` closes the channel's client (after the
    sender stopped, since the sender sends through it too)."""

    name: str
    serve: Step
    halt: Step
    finish: Step = _nothing
    close: Step = _nothing
    # An HTTP door's application: the owner adds /healthz, /readyz and /metrics to it.
    app: web.Application | None = None


def http_door(
    name: str,
    app: web.Application,
    host: str,
    port: int,
    *,
    ready: Step = _nothing,
    access_log_class: type[AbstractAccessLogger] | None = None,
    finish: Step = _nothing,
    close: Step = _nothing,
) -> Door:
    """An aiohttp application served on host:port (a webhook, the web workspace). `ready` runs
    once the socket listens (e.g. telling Telegram where the webhook is). Halting stops
    accepting connections and lets the requests in hand finish."""
    halted = asyncio.Event()

    async def serve() -> None:
        extra = {"access_log_class": access_log_class} if access_log_class is not None else {}
        runner = web.AppRunner(app, **extra)  # type: ignore[arg-type]
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
            log.info("%s listening on %s:%s", name, host, port)
            await ready()
            await halted.wait()
        finally:
            await runner.cleanup()

    async def halt() -> None:
        halted.set()

    return Door(name=name, serve=serve, halt=halt, finish=finish, close=close, app=app)


class ProcessOwner:
    """Builds the sender and the scheduler of one process around a `Runtime`, runs its doors
    and background tasks, and shuts all of it down in the order of the module's doc.
    `steps` records the shutdown as it happens (in the log too), for tests and operators."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        scheduled: bool = True,
        role: str = ALL,
        health_port: bool = True,
    ) -> None:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        self.runtime = runtime
        self.role = role
        # What this process runs of its parts (`--role`): all of them by default.
        self.takes_updates = role in (ALL, WORKER)
        self.scheduled = scheduled and role in (ALL, SCHEDULER)
        self.scheduler = create_scheduler()
        self.jobs = JobTracker(runtime.metrics)
        self.health = Health(runtime.db, runtime.metrics, self.problems)
        self.health_port = health_port
        self.sender: OutboxSender | None = None
        self.run_sender = True
        self.shared_limit = False  # REDIS_URL: every sender shares one rate limit
        self.stopping = asyncio.Event()  # set by `stop()`: a signal, a door that ended …
        self.steps: list[str] = []
        self._doors: list[Door] = []
        self._served: list[Door] = []  # the doors started (by role), with METRICS_PORT's
        self._jobs_started = False
        self._background: list[tuple[str, Callable[[asyncio.Event], Awaitable[None]]]] = []
        self._extra_jobs: list[AddJobs] = []
        self._closers: list[tuple[str, Step]] = []
        self._door_tasks: list[asyncio.Task[None]] = []
        self._background_tasks: list[asyncio.Task[None]] = []
        self._background_stop = asyncio.Event()
        self._sender_stop = asyncio.Event()
        self._sender_task: asyncio.Task[None] | None = None
        # The lead of a part when several processes may run it (see the module's doc).
        self.leaders: dict[str, Leadership] = {}
        self._leader_stops: dict[str, asyncio.Event] = {}
        self._leader_tasks: dict[str, asyncio.Task[None]] = {}
        self._signals: list[signal.Signals] = []
        self._started = False
        self._shut = False

    # --- assembly -----------------------------------------------------------------------------
    def sender_for(self, *transports: Transport, run: bool = True) -> OutboxSender:
        """The process's outbox sender over these transports, woken by the engine after every
        commit that queued notices. `run=False`: the caller drains it itself (the console)."""
        assert self.sender is None, "one sender per process"
        runtime = self.runtime
        config = config_from_settings(runtime.settings)
        limiter = shared_limiter(runtime.settings, config.per_second, config.per_chat_per_second)
        if limiter is not None:
            self.add_closer("rate limit", limiter.close)
        self.sender = OutboxSender(
            runtime.db,
            runtime.catalogs,
            {transport.channel: transport for transport in transports},
            config,
            # The engine's clock: offers and reminders it dates are judged by the same time.
            clock=runtime.engine.clock,
            limiter=limiter,
            metrics=runtime.metrics,
        )
        self.shared_limit = limiter is not None
        runtime.engine.on_notified.append(self.sender.wake)
        self.run_sender = run and self.role in (ALL, SENDER)
        return self.sender

    def add_door(self, door: Door) -> None:
        if door.app is not None:
            self.health.attach(door.app)
        self._doors.append(door)

    def add_background(self, name: str, work: Callable[[asyncio.Event], Awaitable[None]]) -> None:
        """A task that runs beside the doors until the event it is given is set (supervised:
        restarted with a backoff when it crashes). The hook for a web server's own work."""
        self._background.append((name, work))

    def add_jobs(self, add: AddJobs) -> None:
        """More jobs for the scheduler (a channel's own housekeeping)."""
        self._extra_jobs.append(add)

    def add_closer(self, name: str, close: Step) -> None:
        """A client to close at step 5 that no door owns (the outbox runner's bot)."""
        self._closers.append((name, close))

    # --- running ------------------------------------------------------------------------------
    def stop(self) -> None:
        """Begin the shutdown (what SIGTERM/SIGINT do); `run` returns once it is complete."""
        self.stopping.set()

    def install_signals(self) -> None:
        """SIGTERM/SIGINT begin the shutdown instead of killing the process mid-update; the
        handlers are removed again once it is complete."""
        loop = asyncio.get_running_loop()
        for sig in SIGNALS:
            with suppress(NotImplementedError):  # not on Windows
                loop.add_signal_handler(sig, self.stop)
                self._signals.append(sig)

    def _remove_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in self._signals:
            loop.remove_signal_handler(sig)
        self._signals.clear()

    async def start(self) -> None:
        assert not self._started, "an owner starts once"
        self._started = True
        sender = self.sender
        led = not self.runtime.db.is_sqlite  # one SQLite process leads everything
        if self.scheduled and sender is not None:
            self._start_jobs(sender, paused=led)
            if led:
                await self._lead("scheduler", self._resume_jobs, self._pause_jobs)
        if sender is not None and self.run_sender:
            if led and not self.shared_limit:
                await self._lead("sender", self._start_sender, self._stop_sender)
            else:
                await self._start_sender()
        # The background tasks (the WhatsApp queue worker …) work on what the doors take.
        background = self._background if self.takes_updates else []
        for name, work in background:
            self._background_tasks.append(
                asyncio.create_task(
                    supervise(name, partial(work, self._background_stop), self._background_stop)
                )
            )
        self._served = list(self._doors) if self.takes_updates else []
        settings = self.runtime.settings
        if self.health_port and settings.metrics_port is not None:
            app = self.health.app()
            port = settings.metrics_port
            self._served.append(http_door("health", app, settings.metrics_host, port))
        for door in self._served:
            self._door_tasks.append(asyncio.create_task(self._serve(door)))

    def problems(self) -> list[str]:
        """The parts of this process that should be running and are not (for /readyz)."""
        found = [] if self._started and not self.stopping.is_set() else ["process"]
        if self._jobs_started and not self.scheduler.running:
            found.append("scheduler")
        if self._sender_task is not None and self._sender_task.done():
            found.append("outbox sender")
        for (name, _), task in zip(self._background, self._background_tasks, strict=False):
            if task.done():
                found.append(name)
        for door, task in zip(self._served, self._door_tasks, strict=False):
            if task.done():
                found.append(door.name)
        for part, task in self._leader_tasks.items():
            if task.done():
                found.append(f"{part} leadership")
        return found

    # --- leading --------------------------------------------------------------------------------
    async def _lead(self, part: str, gain: Step, loss: Step) -> None:
        """Lead `part` when no other process does: tried at once (alone, this process leads
        when `start` returns), then by a task until the shutdown."""
        settings = self.runtime.settings
        leadership = Leadership(
            self.runtime.db,
            part,
            retry=settings.leader_retry_seconds,
            metrics=self.runtime.metrics,
        )
        leadership.on_gain, leadership.on_loss = gain, loss
        self.leaders[part] = leadership
        await leadership.start()
        stop = self._leader_stops[part] = asyncio.Event()
        self._leader_tasks[part] = asyncio.create_task(
            supervise(f"{part} leadership", partial(leadership.run, stop), stop)
        )

    async def _resign(self, part: str) -> None:
        """Stop leading `part` (its `loss` runs) and hand the lock back."""
        task = self._leader_tasks.pop(part, None)
        if task is not None:
            self._leader_stops[part].set()
            await asyncio.gather(task, return_exceptions=True)

    async def _resume_jobs(self) -> None:
        if self.scheduler.running:
            self.scheduler.resume()

    async def _pause_jobs(self) -> None:
        if self.scheduler.running:
            self.scheduler.pause()

    async def _start_sender(self) -> None:
        sender = self.sender
        assert sender is not None
        stop = self._sender_stop = asyncio.Event()  # one per term of leading
        self._sender_task = asyncio.create_task(
            supervise("outbox sender", lambda: sender.run(stop), stop)
        )

    async def _stop_sender(self) -> None:
        """The message in flight is finished; the rest waits for the next sender."""
        self._sender_stop.set()
        task, self._sender_task = self._sender_task, None
        if task is not None:
            await task

    def _start_jobs(self, sender: OutboxSender, paused: bool = False) -> None:
        """Housekeeping, the sender's wake-up and broadcast fan-out, the features' periodic
        jobs, then the channel's own; each tracked, so the shutdown lets it finish."""
        runtime, scheduler, jobs = self.runtime, self.scheduler, self.jobs
        self._jobs_started = True
        add_housekeeping(scheduler, runtime.db, jobs.wrap)
        add_delivery_jobs(scheduler, runtime.db, sender, tracker=jobs)
        env = JobEnv(runtime.db, runtime.catalogs, runtime.settings)
        add_feature_jobs(scheduler, runtime.engine.app.periodic, env, sender, tracker=jobs)
        for add in self._extra_jobs:
            add(scheduler, jobs)
        # Paused until this process leads the scheduler (several processes, PostgreSQL).
        scheduler.start(paused=paused)

    async def _serve(self, door: Door) -> None:
        try:
            await door.serve()
        finally:
            # A door that ends by itself (the console at end of input) ends the process.
            self.stop()

    async def run(self, *, handle_signals: bool = True) -> None:
        """Start, wait for `stop()` (or a signal, or a door ending), shut down."""
        if handle_signals:
            self.install_signals()
        try:
            await self.start()
            await self.stopping.wait()
        except asyncio.CancelledError:
            # Interrupted (Ctrl-C in the console): a door waiting for input cannot be halted
            # politely, so it is cancelled; the rest still stops in order.
            for task in self._door_tasks:
                task.cancel()
            raise
        finally:
            await self.shutdown()

    async def shutdown(self) -> None:
        """Steps 1-5 of the module's doc; safe to call twice and after a failed start. A door
        that failed (polling refused …) is raised once everything is stopped."""
        if self._shut:
            return
        self._shut = True
        self.stopping.set()
        try:
            failures = await self._stop_in_order()
        finally:
            self._remove_signals()
        for failure in failures:
            if isinstance(failure, BaseException) and not isinstance(
                failure, asyncio.CancelledError
            ):
                raise failure

    async def _stop_in_order(self) -> list[object]:
        self._step("stop taking updates")
        for door in self._served:
            await door.halt()
        failures: list[object] = list(
            await asyncio.gather(*self._door_tasks, return_exceptions=True)
        )
        self._step("finish updates in flight")
        for door in self._served:
            await door.finish()
        self._background_stop.set()
        await asyncio.gather(*self._background_tasks, return_exceptions=True)
        self._step("stop the scheduler")
        await self.jobs.stop(self.scheduler)
        await self._resign("scheduler")  # another process's scheduler may take over now
        self._step("stop the sender")
        await self._stop_sender()
        await self._resign("sender")
        self._step("close the clients")
        # Every door's client, served or not (a sender-only process sends through it).
        for door in self._doors:
            await door.close()
        for _, close in self._closers:
            await close()
        return failures

    def _step(self, name: str) -> None:
        self.steps.append(name)
        log.debug("shutdown: %s", name)
