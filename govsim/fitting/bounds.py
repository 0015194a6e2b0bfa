"""Every fitted value inside its key's schema bound: clipped with a warning, or kept from the base.

The bound of a key is read from the scenario schema's pydantic field metadata (``ge``, ``gt``,
``le``, ``lt``: :func:`field_bounds`), so a bound changed in the schema is the fit's bound too.
An estimate beyond a closed bound is written at the bound and the fit report warns, with the
value, the bound and why a log gives such a value; one beyond an open bound (a cv of 0) or
not finite cannot be written, so its key is kept from the base
(:class:`~govsim.fitting.estimation.NotFitted`), with the rest of its group (a distribution,
a shape, shares summing to 1). A sign the data may show is not a bound:
``feedback.satisfaction.lateness_effect`` and ``handoff_effect`` may be negative (residents
rating late or handed-off cases better)."""

from __future__ import annotations

import math
import types
from typing import Any, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel

from govsim.fitting.estimation import Estimate, Key, NotFitted, fmt
from govsim.fitting.write import SHARE_GROUPS
from govsim.scenario import Scenario

WHY = {
    "rate": "more appeals than the base's population makes plausible: is its population right?",
    "multiplier": "the window holds (nearly) all of its categories' first contacts",
    "mean": "a mean duration beyond ten years: are the log's times right?",
    "cv": "durations more spread than the schema allows (a mixture of very short and long ones?)",
    "intercept": "the ratings separate (nearly) perfectly; beyond 40 log-odds a share is 0 or 1",
    "resolved_effect": "the ratings separate (nearly) perfectly on resolved; beyond 40 log-odds "
    "a share is 0 or 1",
    "lateness_effect": "the ratings separate (nearly) perfectly on lateness",
    "handoff_effect": "the ratings separate (nearly) perfectly on hand-offs",
    "basic_gap": "(almost) no rating is 'basic'",
}
"""Why a log gives a value beyond the bound of a key (by its last part)."""


def field_bounds(key: Key, model: type[BaseModel] = Scenario) -> tuple[float, float, bool, bool]:
    """Low, high and whether each is open (``gt``, ``lt``) for the scenario key ``key``.

    List items (by name or index) and mapping values are stepped over; a key without
    metadata (a share of a mapping, a value of a shape) is unbounded here (the fits give
    shares in [0, 1] and shapes of mean 1).
    """
    node: Any = model
    metadata: list[Any] = []
    parts = list(key)
    while parts:
        node = _unwrap(node)
        if isinstance(node, type) and issubclass(node, BaseModel):
            field = node.model_fields[str(parts.pop(0))]
            node, metadata = field.annotation, list(field.metadata)
        elif get_origin(node) in (list, dict):
            parts.pop(0)
            node, metadata = get_args(node)[-1], []
        else:
            raise KeyError(f"{'.'.join(map(str, key))}: no such scenario key")
    low, high, low_open, high_open = -math.inf, math.inf, False, False
    for item in metadata:  # the schema's bounds are numbers (annotated_types types them loosely)
        if isinstance(item, annotated_types.Ge):
            low = float(item.ge)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Gt):
            low, low_open = float(item.gt), True  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Le):
            high = float(item.le)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Lt):
            high, high_open = float(item.lt), True  # type: ignore[arg-type]
    return low, high, low_open, high_open


def _unwrap(node: Any) -> Any:
    """``X | None`` as ``X``."""
    if get_origin(node) in (Union, types.UnionType):
        kept = [arg for arg in get_args(node) if arg is not type(None)]
        if len(kept) == 1:
            return kept[0]
    return node


def within_bounds(
    estimates: list[Estimate], scenario: Scenario | None = None
) -> tuple[list[Estimate], list[NotFitted], list[str]]:
    """The estimates as written (clipped to their bounds), those kept from the base, warnings.

    With the base ``scenario``, the one rule between keys that a fit can break is checked too
    (:func:`_redials_take_time`).
    """
    kept: list[Estimate] = []
    dropped: list[NotFitted] = []
    warnings: list[str] = []
    lost: set[Key] = set()
    for estimate in estimates:
        low, high, low_open, high_open = field_bounds(estimate.key)
        value = estimate.value
        shown = f"{'(' if low_open else '['}{fmt(low)}, {fmt(high)}{')' if high_open else ']'}"
        below = value < low or (low_open and value <= low)
        above = value > high or (high_open and value >= high)
        if not math.isfinite(value) or (below and low_open) or (above and high_open):
            why = "not a number a scenario holds" if not math.isfinite(value) else "its bound"
            dropped.append(
                NotFitted(estimate.path, f"the fit gave {fmt(value)}, outside {why} {shown}")
            )
            lost.add(_whole(estimate))
            continue
        if below or above:
            bound = low if below else high
            reason = WHY.get(str(estimate.key[-1]), "beyond what the schema allows")
            warnings.append(
                f"{estimate.path}: fitted {fmt(value)} is outside its bound {shown}: written as "
                f"{fmt(bound)} ({reason})"
            )
            estimate.extra["clipped_from"] = value
            estimate.method = f"{estimate.method}; clipped from {fmt(value)} to its bound"
            estimate.value = bound
        kept.append(estimate)
    whole = []
    for estimate in kept:
        if _whole(estimate) in lost:
            dropped.append(NotFitted(estimate.path, "another value of its group is not fitted"))
        else:
            whole.append(estimate)
    if scenario is not None:
        whole, refused = _redials_take_time(whole, scenario)
        dropped += refused
    return whole, dropped, warnings


def _whole(estimate: Estimate) -> Key:
    """The group ``estimate`` is written with, all or nothing: a distribution (mean and cv),
    a shape (24 hours, 7 weekdays), shares that sum to 1; else its own key."""
    key = estimate.key
    if "kind" in estimate.extra or isinstance(key[-1], int):
        return key[:-1]
    if len(key) > 1 and key[-2] in SHARE_GROUPS:
        return key[:-1]
    return key


def _redials_take_time(
    estimates: list[Estimate], scenario: Scenario
) -> tuple[list[Estimate], list[NotFitted]]:
    """``hotline.redial_probability > 0`` needs ``redial_delay.mean > 0`` (the schema's
    rule): a few redials, too few to fit their delay, meet a base whose delay is 0."""
    fitted = {e.key: e for e in estimates}
    probability = fitted.get(("hotline", "redial_probability"))
    delay = fitted.get(("hotline", "redial_delay", "mean"))
    mean = delay.value if delay is not None else scenario.hotline.redial_delay.mean
    if probability is None or probability.value <= 0 or mean > 0:
        return estimates, []
    reason = (
        f"fitted {fmt(probability.value)}, but a redial must take time and the base's "
        "`redial_delay` (kept: too few redials to fit it) has mean 0"
    )
    return [e for e in estimates if e is not probability], [NotFitted(probability.path, reason)]
