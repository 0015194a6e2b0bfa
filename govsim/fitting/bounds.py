"""Every fitted value inside its key's schema bound: clipped with a warning, or kept from the base.

The bound of a key is read from the scenario schema's pydantic field metadata (``ge``, ``gt``,
``le``, ``lt``: :func:`field_bounds`), so a bound changed in the schema is the fit's bound too.
An estimate beyond a closed bound is written at the bound and the fit report warns, with the
value, the bound and why a log gives such a value; one beyond an open bound (a cv of 0) or
not finite cannot be written, so its key, and the rest of its distribution, is kept from the
base (:class:`~govsim.fitting.estimation.NotFitted`). A sign the data may show is not a bound:
``feedback.satisfaction.lateness_effect`` and ``handoff_effect`` may be negative (residents
rating late or handed-off cases better).
"""

from __future__ import annotations

import math
import types
from typing import Any, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel

from govsim.fitting.estimation import Estimate, Key, NotFitted, fmt
from govsim.scenario import Scenario

WHY = {
    "rate": "more appeals than the base's population makes plausible: is its population right?",
    "multiplier": "the window holds (nearly) all of its categories' first contacts",
    "mean": "durations longer than the schema allows",
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
    for item in metadata:
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


def within_bounds(estimates: list[Estimate]) -> tuple[list[Estimate], list[NotFitted], list[str]]:
    """The estimates as written (clipped to their bounds), those kept from the base, warnings."""
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
            dropped.append(
                NotFitted(estimate.path, f"the fit gave {fmt(value)}, outside its bound {shown}")
            )
            lost.add(estimate.key[:-1])
            continue
        if below or above:
            bound = low if below else high
            why = WHY.get(str(estimate.key[-1]), "beyond what the schema allows")
            warnings.append(
                f"{estimate.path}: fitted {fmt(value)} is outside its bound {shown}: written as "
                f"{fmt(bound)} ({why})"
            )
            estimate.extra["clipped_from"] = value
            estimate.method = f"{estimate.method}; clipped from {fmt(value)} to its bound"
            estimate.value = bound
        kept.append(estimate)
    # A distribution is written whole: a part kept from the base keeps all of it.
    whole = []
    for estimate in kept:
        if "kind" in estimate.extra and estimate.key[:-1] in lost:
            dropped.append(
                NotFitted(estimate.path, "another part of its distribution is not fitted")
            )
        else:
            whole.append(estimate)
    return whole, dropped, warnings
