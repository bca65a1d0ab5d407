"""The accessibility features in the staff forms (events, shifts, sites): one checkbox per
feature, named "acc_<code>" (the page's form reader keeps one value per name)."""

from __future__ import annotations

from storage.models_access import ACCESS_FEATURES

PREFIX = "acc_"
# (field name, catalog id) for the template macro `access_fields`.
ACCESS_CHOICES = [(f"{PREFIX}{code}", f"acc.f.{code}") for code in ACCESS_FEATURES]
FILTER_OPTIONS = [(code, f"acc.f.{code}") for code in ACCESS_FEATURES]


def features_from(form: dict[str, str]) -> tuple[str, ...]:
    """The features ticked in a POSTed form, in the fixed order."""
    return tuple(code for code in ACCESS_FEATURES if form.get(f"{PREFIX}{code}"))


def form_values(features: list[str] | None) -> dict[str, str]:
    """A stored list as the form's ticked boxes."""
    return {f"{PREFIX}{code}": "1" for code in features or () if code in ACCESS_FEATURES}
