# Shuraka: one image for every process; the command picks what runs (compose.yaml):
#   docker run --env-file .env shuraka telegram --webhook --role worker
# The entry point is `shuraka`, so a container's command is a `shuraka` sub-command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# pg_dump for `shuraka db backup` on PostgreSQL (Debian 12's client is PostgreSQL 15, as the
# compose file's server; a newer server needs a client of its own major version).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md alembic.ini ./
COPY bot ./bot
COPY storage ./storage
COPY scheduler ./scheduler
# With the ptb extra: TELEGRAM_TRANSPORT can pick either Telegram client library.
RUN pip install ".[ptb]"

# Not root; /data holds a SQLite database and backups when no PostgreSQL is used.
RUN useradd --system --uid 10001 --home-dir /data --create-home shuraka
USER shuraka
WORKDIR /data

# Webhooks and the workspace (8080 Telegram, 8081 WhatsApp, 8090 web); 9100 METRICS_PORT.
EXPOSE 8080 8081 8090 9100
# SIGTERM: the update in hand is finished and the sender stops between messages.
STOPSIGNAL SIGTERM
ENTRYPOINT ["shuraka"]
CMD ["--help"]
