"""Alembic migrations (script_location storage:migrations).

A package so that the layer check (lint-imports) sees env.py too."""
