"""The accessibility features as a small multi-choice step every staff form (event, shift,
site) shares, and how the volunteers' and families' screens say them in words."""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.flow import Context
from bot.core.forms import Field, FieldKind, Option
from bot.services.access import ACCESS_FEATURES, describe, feature_key

ACCESS_FIELD = "access"
ACCESS_OPTIONS = tuple(Option(code, feature_key(code)) for code in ACCESS_FEATURES)


def access_field(prompt: str = "acc.q.features") -> Field:
    """Optional: none chosen (skip) means nothing is stated."""
    return Field(
        ACCESS_FIELD,
        prompt,
        "acc.f.label",
        FieldKind.MULTI,
        ACCESS_OPTIONS,
        required=False,
        feminine=True,
    )


def access_line(ctx: Context, features: Iterable[str] | None, key: str = "acc.line") -> str | None:
    """ "♿ Accessibility: step-free access, …" or None when nothing is stated."""
    described = describe(ctx.tr, features)
    return ctx.tr.t(key, features=described) if described else None
