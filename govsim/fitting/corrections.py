"""The levers of the calibration by simulation (:mod:`govsim.fitting.waits`), and how each
candidate's are corrected by what its run missed of the log.

A :class:`Lever` is one value the calibration sets: a duration's mean (the base's family
kept), a staff count, a category's appeals per problem, one of its closing-tier shares.
:func:`levers`, :func:`department_levers`, :func:`volume_levers` and :func:`closing_levers`
make them from the fitted scenario; :func:`overrides` turns a candidate's values into
scenario overrides (a mapping's shares together). :func:`corrected`, :func:`volumes` and
:func:`shares` move a candidate's delays, appeals per problem and closing shares by what its
run missed; :func:`direct_staff` reads staff bounds from the log itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from govsim.core.parameters import Distribution
from govsim.fitting.data import FitData
from govsim.fitting.estimation import Estimate, NotFitted
from govsim.fitting.stages import max_concurrent
from govsim.scenario.loader import Override
from govsim.scenario.schema import Scenario

MIN_CONTACTS = 20
"""Fewest first contacts of a category in the log for its appeals per problem to be set."""
MIN_SHARE = 0.001
"""Least a calibrated closing-tier share may be (a share the schema must still see)."""
STEP_LIMIT = 1.25
"""Most one correction may change a category's appeals per problem (a factor either way): an
unsteady run's volumes must not throw the next candidate far off."""


@dataclass(frozen=True)
class Lever:
    """One value searched: its key in the scenario, range, and how a candidate sets it."""

    key: tuple[str | int, ...]
    """Key of the value written: a distribution's ``mean``, or a staff count."""
    low: float
    high: float
    base: float
    """The base scenario's value."""
    integer: bool
    family: Distribution | None = None
    """For a duration's mean: the base's distribution (its kind and cv are kept)."""
    first: float | None = None
    """Where the search starts, if not at ``base``."""

    @property
    def start(self) -> float:
        return self.base if self.first is None else self.first

    @property
    def name(self) -> str:
        return ".".join(map(str, self.key))

    def override(self, value: float) -> Override:
        if self.family is None:
            return Override(self.name, int(round(value)) if self.integer else value, "calibration")
        path = ".".join(map(str, self.key[:-1]))
        return Override(path, duration(self.family, value), "calibration")


def duration(family: Distribution, mean: float) -> dict[str, Any]:
    """The base's distribution with ``mean`` (a deterministic zero becomes exponential)."""
    kind = "exponential" if family.kind == "deterministic" else family.kind
    out: dict[str, Any] = {"kind": kind, "mean": float(mean)}
    if kind in ("lognormal", "gamma"):
        out["cv"] = family.cv
    return out


def direct_staff(data: FitData) -> list[Estimate]:
    """Staff of grids and departments at least the most visits under way there at once."""
    if not data.has("first_response", "closed", "closing_tier"):
        return []  # no visit's both ends in the log
    start, end = data.times["first_response"], data.times["closed"]
    escalations = data.counts.get("escalations")
    direct = escalations == 0 if escalations is not None else np.ones(data.n, dtype=bool)
    out: list[Estimate] = []
    grid = (data.tier == 1) & direct
    busiest = max_concurrent(start[grid], end[grid], data.codes.grid[grid])
    scenario = data.scenario
    if busiest and not _explicit_staff(scenario, "grid"):
        n = int(grid.sum())
        value = float(max(busiest.values()))
        out.append(
            Estimate(
                ("staffing", "grid_workers"),
                value,
                value,
                math.inf,
                "most grid visits under way at once (a lower bound; searched from it)",
                n,
                {"integer": 1},
            )
        )
    dept = (data.tier == 4) & direct
    if dept.any() and "closing_unit" in data.log.frame:
        names = [d.name for d in scenario.departments]
        closing = data.log.frame["closing_unit"].astype(object)
        unit = pd.Categorical(closing.where(closing.isin(names)), categories=names).codes.astype(
            np.int64
        )
        known = dept & (unit >= 0)
        per_unit = max_concurrent(start[known], end[known], unit[known])
        for d, most in sorted(per_unit.items()):
            out.append(
                Estimate(
                    ("departments", names[d], "staff"),
                    float(most),
                    float(most),
                    math.inf,
                    "most department visits under way at once (a lower bound)",
                    int((known & (unit == d)).sum()),
                    {"integer": 1},
                )
            )
    return out


def _explicit_staff(scenario: Scenario, tier: str) -> bool:
    """Does the base's explicit city give units of ``tier`` their own staff?"""
    if scenario.city.districts is None:
        return False
    if tier == "district":
        return any(d.staff is not None for d in scenario.city.districts)
    streets = [s for d in scenario.city.districts for s in d.streets]
    if tier == "street":
        return any(s.staff is not None for s in streets)
    return any(g.workers is not None for s in streets for g in s.grids)


def levers(scenario: Scenario, grid_floor: float | None) -> tuple[list[Lever], list[NotFitted]]:
    """The levers searched, each from the base's value (ranges assumed wide enough)."""
    out: list[Lever] = []
    kept: list[NotFitted] = []
    hotline = scenario.hotline

    def delay(key: tuple[str, ...], family: Distribution) -> None:
        high = max(4 * family.mean, 12.0)  # hours; assumed wide enough
        out.append(Lever((*key, "mean"), 0.0, high, family.mean, False, family))

    delay(("hotline", "dispatch_delay"), hotline.dispatch_delay)
    if not hotline.direct_to_street:
        delay(("hotline", "district_relay_delay"), hotline.district_relay_delay)
    delay(("escalation", "escalation_delay"), scenario.escalation.escalation_delay)
    staffing = scenario.staffing
    for tier, name, base in (
        ("grid", "grid_workers", staffing.grid_workers),
        ("street", "street_staff", staffing.street_staff),
        ("district", "district_staff", staffing.district_staff),
    ):
        if _explicit_staff(scenario, tier):
            kept.append(
                NotFitted(
                    f"staffing.{name}",
                    f"the base's city gives each {tier} its own staff: kept, not calibrated",
                )
            )
            continue
        low = 1.0 if tier != "grid" or grid_floor is None else grid_floor
        # The grid's search starts at the most visits the log shows under way at once: a
        # grid ever full shows its staff (the base's count, if larger, is a step away).
        start = low if tier == "grid" and grid_floor is not None else max(float(base), low)
        out.append(
            Lever(("staffing", name), low, max(2 * start, low + 2), float(base), True, first=start)
        )
    return out, kept


def department_levers(
    scenario: Scenario, bounds: list[Estimate], target: dict[str, float]
) -> list[Lever]:
    """Each department's staff, where the log times its orders
    (:func:`govsim.fitting.stages.department_figure`), the base gives it staff and the log
    shows it full at some moment: searched from the base's count, raised to the most visits
    the log shows under way there at once (:func:`direct_staff`), never below that bound
    (ranges assumed wide enough). A department the log never shows with as many visits under
    way as the base's staff never queued: its times show nothing of its staff (any count from
    that bound up gives them alike), so it is not searched."""
    from govsim.fitting.stages import department_figure

    floor = {str(e.key[1]): e.value for e in bounds if e.key[0] == "departments"}
    out = []
    for d in scenario.departments:
        if d.staff <= 0 or not np.isfinite(target.get(department_figure(d.name, "mean"), np.nan)):
            continue
        if d.name in floor and floor[d.name] < d.staff:
            continue  # never full in the log: no queue to fit
        low = max(1.0, floor.get(d.name, 1.0))
        start = max(float(d.staff), low)
        key = ("departments", d.name, "staff")
        out.append(Lever(key, low, max(2 * start, low + 2), float(d.staff), True, first=start))
    return out


def corrected(
    value: dict[str, float],
    figures: dict[str, float],
    target: dict[str, float],
    delays: list[Lever],
) -> dict[str, float]:
    """The delays moved by what the run's mean waits miss of the log's (hours, never below 0).

    ``dispatch_delay`` by the department orders' dispatch wait (the territorial one's where
    the log has no department orders and no relay), the relay by the rest of the
    territorial miss, the hand-over by the miss of street closures' time over grid
    closures' (each adds to a queue that barely depends on it: one step nearly suffices).
    """
    names = {lv.key[1]: lv.name for lv in delays}
    out: dict[str, float] = {}

    def miss(name: str) -> float:
        gap = target.get(name, math.nan) - figures.get(name, math.nan)
        return gap if np.isfinite(gap) else 0.0

    dept = miss("dispatch wait, department orders (mean)")
    terr = miss("dispatch wait, territorial orders (mean)")
    relay = names.get("district_relay_delay")
    if "dispatch_delay" in names:
        key = names["dispatch_delay"]
        has_dept = np.isfinite(target.get("dispatch wait, department orders (mean)", math.nan))
        step = dept if has_dept or relay is None else 0.0
        out[key] = max(value[key] + step, 0.0)
        terr -= out[key] - value[key]
    if relay is not None:
        out[relay] = max(value[relay] + terr, 0.0)
    if "escalation_delay" in names:
        key = names["escalation_delay"]
        step = miss("hours to close at street (mean)") - miss("hours to close at grid (mean)")
        out[key] = max(value[key] + step, 0.0)
    return out


def volume_levers(scenario: Scenario) -> list[Lever]:
    """With problems on, each category's appeals per problem (from the base's derivation)."""
    if not scenario.problems.enabled:
        return []
    from govsim.mechanisms.problems import expected_appeals

    out = []
    for c in scenario.categories:
        if c.consultation_share >= 1 or c.rate <= 0:
            continue
        value = expected_appeals(scenario.problems, c.problem)
        key = ("categories", c.name, "problem", "appeals_per_problem")
        out.append(Lever(key, 1.0, 10_000.0, value, False))
    return out


def closing_levers(scenario: Scenario) -> list[Lever]:
    """Each category's ``closable_at`` shares, where the fit set them and no street whistles
    (a whistled case closes at the street, so its tier is not its lowest)."""
    if scenario.whistle.enabled:
        return []
    out = []
    for c in scenario.categories:
        if c.closable_at is None:
            continue
        for level, value in c.closable_at.items():
            key = ("categories", c.name, "closable_at", level)
            out.append(Lever(key, 0.0, 1.0, float(value), False))
    return out


def shares(
    value: dict[str, float],
    figures: dict[str, float],
    logged: dict[str, float],
    closing: list[Lever],
) -> dict[str, float]:
    """``closable_at`` moved by what the run's closing-tier shares missed of the log's.

    The lowest tier that can close an order is not the tier it closes at: a dispute the
    district takes, a problem fixed by another report while this one waits, move orders, and
    by how much depends on the city. So each share moves by the log's minus the run's, then
    the three are rescaled to sum to 1 (each at least ``MIN_SHARE``).
    """
    out: dict[str, float] = {}
    groups: dict[str, list[Lever]] = {}
    for lever in closing:
        groups.setdefault(str(lever.key[1]), []).append(lever)
    for name, levers in groups.items():
        if logged.get(f"closing count: {name}", 0.0) < MIN_CONTACTS:
            continue
        moved = {}
        for lever in levers:
            level = str(lever.key[-1])
            gap = logged.get(f"closing share: {name}: {level}", math.nan) - figures.get(
                f"closing share: {name}: {level}", math.nan
            )
            step = gap if np.isfinite(gap) else 0.0
            moved[lever.name] = max(value[lever.name] + step, MIN_SHARE)
        total = sum(moved.values())
        out.update({k: v / total for k, v in moved.items()})
    return out


def overrides(value: dict[str, float], searched: list[Lever]) -> list[Override]:
    """The overrides of a candidate: one per lever, the shares of a mapping together."""
    out = []
    groups: dict[tuple[str | int, ...], dict[str, float]] = {}
    for lever in searched:
        if lever.key[-2:-1] == ("closable_at",):
            groups.setdefault(lever.key[:-1], {})[str(lever.key[-1])] = value[lever.name]
        else:
            out.append(lever.override(value[lever.name]))
    for key, mapping in groups.items():
        total = sum(mapping.values())
        out.append(
            Override(
                ".".join(map(str, key)),
                {k: round(v / total, 9) for k, v in mapping.items()},
                "calibration",
            )
        )
    return out


def volumes(
    value: dict[str, float],
    figures: dict[str, float],
    logged: dict[str, float],
    volume: list[Lever],
    scenario: Scenario,
) -> dict[str, float]:
    """Appeals per problem moved so that each category's first contacts are the log's.

    A run yields ``q = simulated / logged`` first contacts; consultations (share ``cs``)
    come at their own rate, problems' appeals at ``(1 - cs) x realised / assumed``
    appeals per problem, so ``realised = assumed x (q - cs) / (1 - cs)`` is what to assume.
    """
    out: dict[str, float] = {}
    share = {c.name: c.consultation_share for c in scenario.categories}
    for lever in volume:
        name = str(lever.key[1])
        sim = figures.get(f"first contacts: {name}", math.nan)
        log = logged.get(f"first contacts: {name}", 0.0)
        cs = share[name]
        if log < MIN_CONTACTS or not np.isfinite(sim) or sim <= 0:
            out[lever.name] = value[lever.name]
            continue
        q = sim / log
        factor = np.clip(max(q - cs, 1e-6) / (1 - cs), 1 / STEP_LIMIT, STEP_LIMIT)
        out[lever.name] = float(np.clip(value[lever.name] * factor, lever.low, lever.high))
    return out
