"""What a log's timestamps show of the stages of a work order's time to close.

A work order passes through stages (``govsim/engine/agents``: ``hotline.py``, ``handlers.py``),
and a log stamps their ends:

- ``created -> dispatched``: the hotline (the queue for an operator and the talk; ``dispatched``
  is stamped as the operator's triage ends);
- ``dispatched -> first_response``: the **dispatch wait**: ``hotline.dispatch_delay``, for a
  territorial order the district's relay (``district_relay_delay``, unless
  ``direct_to_street``), for a returned order the return and a new dispatch, for an order of
  unclear jurisdiction the dispute, and the **queue** of the first unit (grid or department);
- ``first_response -> closed``: the visits, the hand-overs (``escalation.escalation_delay``)
  and the queues of the tiers the order passes.

:func:`stage_figures` measures these stages (means and 90th percentiles) and the time to close
per closing tier the same way on any log: the log itself, or the export of a simulated run
(:func:`govsim.fitting.export.cases_to_log`), over the same window of creation times and the
same closing horizon, so the two are measured alike. :func:`max_concurrent` reads, from the
visits whose both ends a log shows (``first_response -> closed`` of an order closed where it
was first handled), the most visits a unit ever had under way at once: a lower bound on its
staff, tight when the unit was ever full.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from govsim.scenario.schema import Scenario

TIME_TIERS = ("grid", "street", "district", "department")
"""Closing tiers whose times to close are figures (work orders only)."""


@dataclass(frozen=True)
class Window:
    """Cases created ``low`` to ``high`` hours after ``start`` count; closed ones by ``horizon``."""

    start: pd.Timestamp
    low: float
    high: float
    horizon: float


def figure_names() -> list[str]:
    """The names :func:`stage_figures` returns, in their fixed order."""
    names = []
    for route in ("department", "territorial"):
        names += [f"dispatch wait, {route} orders (mean)", f"dispatch wait, {route} orders (p90)"]
    for tier in TIME_TIERS:
        names += [f"hours to close at {tier} (mean)", f"hours to close at {tier} (p90)"]
    return [*names, BUSIEST]


BUSIEST = "grid visits under way at once (most, mean over grids)"
"""A figure of staff, not hours: what the grids' busiest moments show of their workers."""


def department_figure(name: str, stat: str) -> str:
    """The name of a department's own figure: ``stat`` (``mean`` or ``p90``) of the hours to
    close of the work orders closed there."""
    return f"department {name}: hours to close ({stat})"


def stage_figures(
    frame: pd.DataFrame, window: Window, departments: Sequence[str] = ()
) -> dict[str, float]:
    """Means and 90th percentiles (hours) of the dispatch waits and times to close per tier,
    and the most grid visits under way at once (:func:`max_concurrent`), mean over grids;
    and per department of ``departments`` the mean and p90 of its own orders' times to close
    (:func:`department_figure`; by ``closing_unit``).

    Work orders created in the window that closed by its horizon; a dispatch wait only of
    orders never returned (a return adds its own delays) and closed at a tier of their route
    (department for orders routed to one and never escalated, grid, street or district for
    territorial ones).
    NaN where fewer than 5 orders qualify.
    """

    def hours(column: str) -> np.ndarray:
        if column not in frame:
            return np.full(len(frame), np.nan)
        delta = frame[column] - window.start
        return delta.dt.total_seconds().to_numpy(dtype=float, na_value=np.nan) / 3600.0

    created, closed = hours("created"), hours("closed")
    tier = frame["closing_tier"].astype(object).to_numpy() if "closing_tier" in frame else None
    out = dict.fromkeys(figure_names(), np.nan)
    if tier is None:
        return out
    counted = (created >= window.low) & (created < window.high) & (closed <= window.horizon)
    returns = (
        frame["returns"].fillna(0).to_numpy(dtype=np.int64)
        if "returns" in frame
        else np.zeros(len(frame), dtype=np.int64)
    )
    escalated = (
        frame["escalations"].fillna(0).to_numpy(dtype=np.int64) > 0
        if "escalations" in frame
        else np.zeros(len(frame), dtype=bool)
    )
    wait = hours("first_response") - hours("dispatched")
    routes = {
        # an escalated order that ends at a department was first handled at its grid
        "department": (tier == "department") & ~escalated,
        "territorial": np.isin(tier, TIME_TIERS[:3]),
    }
    for route, at in routes.items():
        _mean_p90(out, f"dispatch wait, {route} orders", wait[counted & at & (returns == 0)])
    to_close = closed - created
    for name in TIME_TIERS:
        _mean_p90(out, f"hours to close at {name}", to_close[counted & (tier == name)])
    if departments and "closing_unit" in frame:
        unit = frame["closing_unit"].astype(object).fillna("").to_numpy()
        at_department = counted & (tier == "department")
        for name in departments:
            for stat in ("mean", "p90"):
                out[department_figure(name, stat)] = np.nan
            _mean_p90(
                out, f"department {name}: hours to close", to_close[at_department & (unit == name)]
            )
    if "grid" in frame:
        visit = counted & (tier == "grid") & ~escalated  # both ends of one grid visit shown
        grid = pd.Categorical(frame["grid"].astype(object)).codes.astype(np.int64)
        busiest = max_concurrent(hours("first_response")[visit], closed[visit], grid[visit])
        if busiest:
            out[BUSIEST] = float(np.mean(list(busiest.values())))
    return out


def closing_shares(frame: pd.DataFrame, window: Window, names: list[str]) -> dict[str, float]:
    """Per category, the shares of its territorial work orders closed at grid, street and
    district (keys ``closing share: CATEGORY: TIER``), created in the window and closed by its
    horizon; with ``closing count: CATEGORY`` the orders counted."""
    out: dict[str, float] = {}
    if "closing_tier" not in frame or "closed" not in frame:
        return out
    created = (frame["created"] - window.start).dt.total_seconds().to_numpy() / 3600.0
    closed = (frame["closed"] - window.start).dt.total_seconds().to_numpy(
        dtype=float, na_value=np.nan
    ) / 3600.0
    tier = frame["closing_tier"].astype(object).to_numpy()
    category = frame["category"].astype(object).to_numpy()
    counted = (created >= window.low) & (created < window.high) & (closed <= window.horizon)
    territorial = counted & np.isin(tier, TIME_TIERS[:3])
    for name in names:
        mine = territorial & (category == name)
        n = int(mine.sum())
        out[f"closing count: {name}"] = float(n)
        for level in TIME_TIERS[:3]:
            out[f"closing share: {name}: {level}"] = (
                float((mine & (tier == level)).sum() / n) if n else np.nan
            )
    return out


def first_contacts(
    frame: pd.DataFrame, start: pd.Timestamp, scenario: Scenario
) -> dict[str, float]:
    """First contacts per category over the whole run (keys ``first contacts: NAME``)."""
    first = frame if "repeat_of" not in frame else frame[frame["repeat_of"].isna()]
    end = start + pd.Timedelta(days=scenario.days)
    first = first[first["created"] < end]
    counts = first["category"].astype(object).value_counts()
    return {f"first contacts: {c.name}": float(counts.get(c.name, 0)) for c in scenario.categories}


def _mean_p90(out: dict[str, float], label: str, values: np.ndarray) -> None:
    values = values[np.isfinite(values)]
    if len(values) >= 5:
        out[f"{label} (mean)"] = float(values.mean())
        out[f"{label} (p90)"] = float(np.quantile(values, 0.9))


def max_concurrent(starts: np.ndarray, ends: np.ndarray, units: np.ndarray) -> dict[int, int]:
    """Per unit code, the most intervals ``[start, end)`` under way at once (units with any)."""
    keep = np.isfinite(starts) & np.isfinite(ends) & (ends >= starts)
    starts, ends, units = starts[keep], ends[keep], units[keep]
    out: dict[int, int] = {}
    if not len(units):
        return out
    # Events sorted by unit, then time; an end sorts before a start at the same time.
    times = np.concatenate([starts, ends])
    steps = np.concatenate([np.ones(len(starts)), -np.ones(len(ends))]).astype(np.int64)
    owner = np.concatenate([units, units])
    order = np.lexsort((steps, times, owner))
    owner, steps = owner[order], steps[order]
    edges = np.flatnonzero(np.diff(owner)) + 1
    for chunk_owner, chunk in zip(owner[np.r_[0, edges]], np.split(steps, edges), strict=True):
        out[int(chunk_owner)] = int(np.cumsum(chunk).max())
    return out
