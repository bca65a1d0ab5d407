"""The deployment kit stays true to the code: `.env.example` lists every setting and nothing
else (and loads as it is), plain `alembic upgrade head` works from the repository's root, and
every command the compose file and the systemd units run is a real `shuraka` sub-command with
real options, every variable they set a real setting, every health check on the port the
service listens on."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from alembic.script import ScriptDirectory

from bot.cli import _parser
from bot.settings import Settings, load_settings
from storage.schema import alembic_config

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {name.upper() for name in Settings.model_fields}
ASSIGNMENT = re.compile(r"^(?:# )?([A-Z][A-Z0-9_]*)=(.*)$")
HEALTH_URL = re.compile(r"http://127\.0\.0\.1:(\d+)/readyz")


def _env_example() -> list[tuple[str, str, bool]]:
    """(name, value, commented out) for each setting line of .env.example."""
    found = []
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            found.append((match[1], match[2], line.startswith("#")))
    return found


def test_env_example_lists_every_setting_once_and_nothing_else() -> None:
    names = [name for name, _, _ in _env_example()]
    assert len(names) == len(set(names)), "a setting is listed twice"
    assert set(names) == SETTINGS


def test_env_example_loads_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {name: value for name, value, commented in _env_example() if not commented}
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(**{name.lower(): value for name, value in values.items()})
    defaults = load_settings()
    # What it sets is the default: copying it changes nothing until someone edits it.
    for name in values:
        assert getattr(settings, name.lower()) == getattr(defaults, name.lower()), name


def test_every_setting_is_explained_in_the_env_example() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    for number, line in enumerate(lines):
        if ASSIGNMENT.match(line):
            above = number - 1
            while ASSIGNMENT.match(lines[above]):
                above -= 1  # a group of related settings shares one explanation
            explanation = lines[above]
            assert explanation.startswith("# ") and "---" not in explanation, line


@pytest.mark.timeout(120)
async def test_plain_alembic_upgrade_head_works(tmp_path: Path) -> None:
    path = tmp_path / "alembic.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{path}"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "alembic",
        "upgrade",
        "head",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 100)
    assert proc.returncode == 0, err.decode()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    [(version,)] = sqlite3.connect(path).execute("SELECT version_num FROM alembic_version")
    assert version == head


# --- compose and systemd ------------------------------------------------------------------------


def _check_command(args: list[str], where: str) -> None:
    try:
        _parser().parse_args(args)
    except SystemExit:
        pytest.fail(f"{where}: 'shuraka {' '.join(args)}' is not a shuraka command")


def _check_variables(names: set[str], where: str) -> None:
    unknown = names - SETTINGS
    assert not unknown, f"{where}: not settings: {sorted(unknown)}"


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def test_compose_runs_real_commands_with_real_settings_and_health_checks() -> None:
    compose = _compose()
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["shuraka"]' in dockerfile  # a service's command is shuraka's arguments
    shuraka = {
        name: service
        for name, service in compose["services"].items()
        if service.get("image", "").startswith("shuraka")
    }
    wanted = {"telegram-worker", "sender", "scheduler", "whatsapp", "web", "migrate"}
    assert wanted <= shuraka.keys()
    assert {"postgres", "redis"} <= compose["services"].keys()
    for name, service in compose["services"].items():
        if name != "migrate":
            assert "healthcheck" in service, f"{name} has no health check"
    for name, service in shuraka.items():
        _check_command(service["command"], f"compose {name}")
        environment = service.get("environment", {})
        _check_variables(set(environment), f"compose {name}")
        if name == "migrate":
            continue
        test = " ".join(service["healthcheck"]["test"])
        match = HEALTH_URL.search(test)
        assert match, f"compose {name}: the health check asks no /readyz"
        ports = {value for key, value in environment.items() if key.endswith("_PORT")}
        assert match[1] in ports, f"compose {name}: health check on {match[1]}, serves {ports}"
    roles = {tuple(s["command"]) for s in shuraka.values()}
    assert ("telegram", "--role", "sender") in roles
    assert ("telegram", "--role", "scheduler") in roles


def _units() -> list[Path]:
    return sorted((ROOT / "deploy" / "systemd").glob("*.service"))


def test_systemd_units_run_real_commands_with_real_settings() -> None:
    units = _units()
    assert len(units) >= 5
    for unit in units:
        commands = 0
        for line in unit.read_text().splitlines():
            key, _, value = line.partition("=")
            if key == "ExecStart":
                program, *args = shlex.split(value)
                assert program.endswith("/shuraka"), f"{unit.name}: runs {program}"
                _check_command(args, unit.name)
                commands += 1
            elif key == "Environment":
                names = {item.partition("=")[0] for item in shlex.split(value)}
                _check_variables(names, unit.name)
        assert commands == 1, unit.name
    ports = [
        re.findall(r"(?:METRICS|WEBHOOK|WHATSAPP|WEB)_PORT=(\d+)", unit.read_text())
        for unit in units
    ]
    flat = [port for found in ports for port in found]
    assert len(flat) == len(set(flat)), "two units on one host listen on the same port"


def test_the_kit_checks_fail_on_a_made_up_command_or_setting() -> None:
    with pytest.raises(pytest.fail.Exception):
        _check_command(["telegram", "--role", "leader"], "made up")
    with pytest.raises(pytest.fail.Exception):
        _check_command(["deploy"], "made up")
    with pytest.raises(AssertionError):
        _check_variables({"KAFKA_URL"}, "made up")
