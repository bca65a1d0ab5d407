"""Health and metrics of a running process, for load balancers, orchestrators and Prometheus.

- `GET /healthz`: the process is alive (its event loop answers): 200 always.
- `GET /readyz`: it can do its work: the database answers, its schema is the code's (Alembic
  head), and the parts this process runs (doors, sender, scheduler, background tasks) are all
  running. 200 with the checks as JSON, or 503 with the same JSON naming what is wrong.
- `GET /metrics`: `bot.metrics` in the Prometheus text format, the database's gauges read now.

Server processes answer on their own port (the Telegram and WhatsApp webhooks, the web
workspace); a process without one (polling, sender or scheduler only) on METRICS_PORT. The
answers hold no personal data: check names and problems, counts, labels from closed sets.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web

from bot.core.failures import describe
from bot.metrics import CONTENT_TYPE, Metrics
from storage.db import Database
from storage.schema import check_current

log = logging.getLogger(__name__)

HEALTH_PATHS = ("/healthz", "/readyz", "/metrics")
CHECK_TIMEOUT = 5.0  # seconds: a database that takes longer is not ready


class Health:
    """The three endpoints over one process: its database, its metrics, and `problems`, which
    names the parts of the process that should be running and are not."""

    def __init__(self, db: Database, metrics: Metrics, problems: Callable[[], list[str]]) -> None:
        self.db = db
        self.metrics = metrics
        self.problems = problems

    async def readiness(self) -> dict[str, str]:
        """Each check's verdict: "ok", or what is wrong (never a value from the database)."""
        checks = {"database": "ok", "schema": "ok", "tasks": "ok"}
        try:
            current, head = await asyncio.wait_for(check_current(self.db.engine), CHECK_TIMEOUT)
        except Exception as exc:
            log.warning("readiness: database check failed: %s", type(exc).__name__)
            checks["database"] = f"unreachable ({type(exc).__name__})"
            checks["schema"] = "unknown"
        else:
            if current != head:
                checks["schema"] = f"at {current or 'nothing'}, the code needs {head}"
        stopped = self.problems()
        if stopped:
            checks["tasks"] = "not running: " + ", ".join(stopped)
        return checks

    async def _healthz(self, _request: web.Request) -> web.StreamResponse:
        return web.json_response({"status": "alive"})

    async def _readyz(self, _request: web.Request) -> web.StreamResponse:
        checks = await self.readiness()
        ready = all(verdict == "ok" for verdict in checks.values())
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        return web.json_response(body, status=200 if ready else 503)

    async def _metrics(self, _request: web.Request) -> web.StreamResponse:
        try:
            await asyncio.wait_for(self.metrics.refresh(self.db), CHECK_TIMEOUT)
        except Exception as exc:
            # The counters are still worth scraping; the gauges keep their last figures.
            log.warning("metrics: database gauges not refreshed: %s", describe(exc))
        response = web.Response(body=self.metrics.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE
        return response

    def attach(self, app: web.Application) -> None:
        """Add the endpoints to a server's own application (before it starts)."""
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)

    def app(self) -> web.Application:
        """The small application of METRICS_PORT: the three endpoints and nothing else."""
        app = web.Application()
        self.attach(app)
        return app
