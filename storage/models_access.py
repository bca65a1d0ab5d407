"""Accessibility (issue 15 §5): the fixed set of features an event, a shift or a site states.

No table of its own: the features are a JSON list on `events`, `shifts` and `sites`
(migration 0013); this module names the set so storage, services and screens agree on it.
"""

from __future__ import annotations

ACCESS_FEATURES = (
    "step_free",  # step-free access (ramps, lifts)
    "parking",  # accessible parking
    "toilets",  # accessible toilets
    "sign_language",  # sign-language interpretation
    "quiet_area",  # a quiet area
)


def clean_features(values: object) -> list[str]:
    """Known features only, each once, in the fixed order (a stored NULL reads as none)."""
    chosen = set(values) if isinstance(values, (list, tuple, set, frozenset)) else set()
    return [f for f in ACCESS_FEATURES if f in chosen]
