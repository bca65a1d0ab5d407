"""Accessibility (issue 15): the features an event, a shift or a site offers, said in words,
and which of them a volunteer looking for some can use.

A shift offers its event's features and its own (`Shift.access` only adds); the filter keeps
what offers every feature asked for. The features are a fixed set
(`storage.models_access.ACCESS_FEATURES`), each with a catalog name "acc.f.<code>".
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.i18n import Translator
from storage.models_access import ACCESS_FEATURES, clean_features
from storage.models_events import Event, Shift
from storage.models_families import Site

__all__ = [
    "ACCESS_FEATURES",
    "clean_features",
    "describe",
    "feature_key",
    "offers_all",
    "shift_features",
]


def feature_key(code: str) -> str:
    return f"acc.f.{code}"


def describe(tr: Translator, features: Iterable[str] | None) -> str:
    """The features in words, in the fixed order ("" when there are none)."""
    names = [tr.label(feature_key(code)) for code in clean_features(list(features or ()))]
    return tr.label("form.list_sep").join(names)


def shift_features(event: Event, shift: Shift | None = None) -> list[str]:
    """What a volunteer finds at a shift: the event's features and the shift's own."""
    return clean_features([*(event.access or ()), *((shift.access or ()) if shift else ())])


def offers_all(offered: Iterable[str], wanted: Iterable[str]) -> bool:
    return set(wanted) <= set(offered)


def site_features(site: Site) -> list[str]:
    return clean_features(site.access or [])
