#!/usr/bin/env python3
"""One entry point for a newcomer with only Python 3.11+.

    python3 dev.py chat    # the bot in this terminal (console chat, SQLite, demo data)
    python3 dev.py web     # the staff web workspace on demo data; prints the admin's link
    python3 dev.py test    # lint, type check, import layers and the whole test suite
    python3 dev.py bench   # the benchmarks in bench/

The first run creates .venv and installs the project into it; later runs reuse it and
reinstall only when pyproject.toml changed.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".shuraka-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
LINT_IMPORTS = BIN / ("lint-imports.exe" if os.name == "nt" else "lint-imports")


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_env() -> Path:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 is
        sys.exit("Shuraka needs Python 3.11 or newer; this is " + sys.version.split()[0])
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv …", flush=True)
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except Exception as exc:  # e.g. Debian without python3-venv
            sys.exit(f"could not create .venv ({exc}); install your system's python3-venv")
    if not STAMP.exists() or STAMP.read_text() != _fingerprint():
        print("Installing Shuraka and its dependencies into .venv …", flush=True)
        pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True, cwd=ROOT)
        STAMP.write_text(_fingerprint())
    return PYTHON


def run(*args: str, program: Path = PYTHON, env: dict[str, str] | None = None) -> int:
    return subprocess.run([str(program), *args], cwd=ROOT, env=env).returncode


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command not in ("chat", "web", "test", "bench", "shuraka"):
        print(__doc__)
        return 0 if command in ("help", "-h", "--help") else 2
    ensure_env()
    if command == "chat":
        return run("-m", "bot.cli", "chat", *rest)
    if command == "web":
        env = dict(os.environ)
        # A secret for this run only when none is set: sessions end when it stops.
        env.setdefault("WEB_SESSION_SECRET", secrets.token_urlsafe(32))
        return run("-m", "bot.cli", "web", "--demo", *rest, env=env)
    if command == "shuraka":
        return run("-m", "bot.cli", *rest)
    if command == "bench":
        return run("-m", "bench.signup_bench", *rest)
    steps: tuple[tuple[Path, tuple[str, ...]], ...] = (
        (PYTHON, ("-m", "ruff", "check", ".")),
        (PYTHON, ("-m", "mypy")),
        (LINT_IMPORTS, ()),  # the layer contracts in pyproject.toml (README "Layout")
        (PYTHON, ("-m", "pytest", *rest)),
    )
    for program, args in steps:
        code = run(*args, program=program)
        if code != 0:
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
