"""The events list's "filter by accessibility": pick one or more features, then only events
and shifts offering all of them are shown (the query is `storage.events.offers_all_sql`)."""

from __future__ import annotations

from typing import Any

from bot.core.flow import Context
from bot.core.forms import CHECK_MARK
from bot.core.messages import Choice
from bot.services.access import ACCESS_FEATURES, clean_features, feature_key

SHOW, ANY, BACK = "_ok", "_all", "_bk"


def wanted(filters: dict[str, Any]) -> tuple[str, ...]:
    return tuple(clean_features(filters.get("access") or []))


def ask_access(ctx: Context, step: str) -> None:
    """The features as toggles (✓ on the chosen ones), then show / any / back."""
    ctx.set_step(step)
    chosen = set(wanted(ctx.state.data.setdefault("filters", {})))
    choices: list[Choice] = []
    for code in ACCESS_FEATURES:
        plain = ctx.choice(step, code, feature_key(code))
        mark = CHECK_MARK if code in chosen else ""
        choices.append(Choice(plain.id, mark + plain.label))
    choices.append(ctx.choice(step, SHOW, "acc.btn.show"))
    choices.append(ctx.choice(step, ANY, "acc.btn.any"))
    choices.append(ctx.choice(step, BACK, "form.back"))
    ctx.reply(ctx.tr.t("acc.q.filter"), choices)


def on_access(ctx: Context, step: str, value: str) -> bool:
    """Toggle a feature (and ask again: False) or finish (True: show the list)."""
    filters = ctx.state.data.setdefault("filters", {})
    chosen = list(wanted(filters))
    if value in ACCESS_FEATURES:
        chosen = [c for c in chosen if c != value] if value in chosen else [*chosen, value]
        filters["access"] = clean_features(chosen)
        if not filters["access"]:
            filters.pop("access")
        ask_access(ctx, step)
        return False
    if value == ANY:
        filters.pop("access", None)
    elif value not in (SHOW, BACK):
        ctx.say("form.err.use_choices")
        ask_access(ctx, step)
        return False
    ctx.state.data["page"] = 0
    return True
