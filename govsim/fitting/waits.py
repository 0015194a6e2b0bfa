"""Calibrate by simulation what a log shows only in sums: the delays and the staff behind waits.

A department order's dispatch wait is ``hotline.dispatch_delay`` plus the department's queue;
a territorial order's adds the district's relay and the grid's queue; the time to close of a
street or district closure holds hand-overs (``escalation.escalation_delay``) and the street's
and district's queues (:mod:`govsim.fitting.stages`). The log shows the sums, not the parts,
and a queue grows with load, so these levers are searched by simulation. Each tier's staff in
turn (grid, street, district; the others held) moves one person at a time, then in doubling
steps while the tier's own figures (:data:`TIER_FIGURES`) fit better; every candidate runs on
the same seeds (common random numbers, as the policy search races its candidates:
:mod:`govsim.search.optimizer`) at the current delays, then twice more with the delays
corrected to what the run before missed of the log's mean waits (:func:`corrected`). With
problems on, each category's appeals per problem is corrected the same way, so that the
fitted city's first contacts are the log's (:func:`volumes`), and corrected twice more at the
end on runs as long as the log. The loss is the mean, over the figures
(:func:`govsim.fitting.stages.figure_names`), of the squared log ratio of simulated to logged.
(Optuna's TPE sampler over the three staff counts was tried first: in 24 candidates it did not
find the known-truth city's two grid workers, the search per tier did.)

What is read from the log first (no simulation): the staff of a grid and of each department
is at least the most visits ever under way there at once
(:func:`govsim.fitting.stages.max_concurrent`), tight when the unit was ever full. The grid's
bound is where its search starts; a department's is written as its staff.

Runs simulate the fitted city over the log's first ``CALIBRATION_DAYS`` days at most, from the
log's start date; figures count cases created from day ``WARMUP_DAYS`` (the simulated city
starts empty, the real one did not) to ``settle`` days before the end, in the log and in the
runs alike. Runs go to the experiments' executors (a local process pool, or Dask).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from govsim.core.parameters import Distribution
from govsim.fitting.data import HOURS_PER_DAY, FitData
from govsim.fitting.estimation import Estimate, NotFitted
from govsim.fitting.stages import (
    Window,
    closing_shares,
    figure_names,
    max_concurrent,
    stage_figures,
)
from govsim.scenario.loader import Override, ScenarioSource
from govsim.scenario.schema import Scenario

CALIBRATION_DAYS = 35
"""Days simulated at most per calibration run (the log's first days)."""
WARMUP_DAYS = 3.0
"""Days of a run (and of the log) left out of the figures: the simulated city starts empty."""
MIN_DAYS = 4.0
"""Fewest days of creation times the figures need between warm-up and settling."""
NEAR_BEST = 0.1
"""Trials whose loss is within this share of the best give a calibrated value's range."""
POLISH_DAYS = 120
"""Days at most of the final runs that correct the best candidate over the whole log."""
POLISH_PASSES = 3
"""Corrections of the best candidate's delays, appeals per problem and closing shares on
those runs."""
CORRECTIONS = 2
"""Times a candidate's delays are corrected before its loss counts (a delay also smooths the
peaks a queue sees, so one step leaves a busier candidate's waits short)."""
TIER_FIGURES = {
    "grid": lambda name: "territorial" in name or "at grid" in name or "grid visits" in name,
    "street": lambda name: "at street" in name,
    "district": lambda name: "at district" in name,
}
"""The figures each tier's staff chiefly moves: its own search compares these (ties: all)."""
SWEEPS = 3
"""Most passes over the tiers' staff (each tier's in turn, the others held)."""
MIN_CONTACTS = 20
"""Fewest first contacts of a category in the log for its appeals per problem to be set."""
INDEX = "_index"
"""Key of a run's place in its batch among the figures :func:`measure` returns."""
MIN_SHARE = 0.001
"""Least a calibrated closing-tier share may be (a share the schema must still see)."""
LOSS_NOISE = 0.002
"""Loss differences below this are noise whatever the seeds say (a 4.5% miss squared)."""
STEP_LIMIT = 1.25
"""Most one correction may change a category's appeals per problem (a factor either way): an
unsteady run's volumes must not throw the next candidate far off."""
SIM_NAN_LOSS = 4.0
"""Loss of a figure the log has and a run lacks (as a factor e**2 off)."""


@dataclass(frozen=True)
class Lever:
    """One value searched: its key in the scenario, range, and how a candidate sets it."""

    key: tuple[str | int, ...]
    """Key of the value written: a distribution's ``mean``, or a staff count."""
    low: float
    high: float
    base: float
    integer: bool
    family: Distribution | None = None
    """For a duration's mean: the base's distribution (its kind and cv are kept)."""
    given: float | None = None
    """The base scenario's value where the search starts elsewhere (``base``)."""

    @property
    def original(self) -> float:
        """The base scenario's value."""
        return self.base if self.given is None else self.given

    @property
    def name(self) -> str:
        return ".".join(map(str, self.key))

    def override(self, value: float) -> Override:
        if self.family is None:
            path = ".".join(map(str, self.key))
            return Override(path, int(round(value)) if self.integer else value, "calibration")
        path = ".".join(map(str, self.key[:-1]))
        return Override(path, duration(self.family, value), "calibration")


def duration(family: Distribution, mean: float) -> dict[str, Any]:
    """The base's distribution with ``mean`` (a deterministic zero becomes exponential)."""
    kind = "exponential" if family.kind == "deterministic" else family.kind
    out: dict[str, Any] = {"kind": kind, "mean": float(mean)}
    if kind in ("lognormal", "gamma"):
        out["cv"] = family.cv
    return out


@dataclass(frozen=True)
class Trial:
    """One calibration run: picklable, for any executor."""

    scenario: Scenario
    seed: int
    window: Window
    index: int = 0
    """Its place in the batch (executors return results as runs finish, in any order)."""


def measure(trial: Trial) -> dict[str, float]:
    """Simulate a trial and measure its stage figures and first contacts per category."""
    from govsim.fitting.export import cases_to_log
    from govsim.simulate import simulate

    result = simulate(trial.scenario, seed=trial.seed)
    assert result.cases is not None
    log = cases_to_log(result.cases, trial.scenario)
    out = stage_figures(log, trial.window)
    out.update(first_contacts(log, trial.window.start, trial.scenario))
    out.update(closing_shares(log, trial.window, [c.name for c in trial.scenario.categories]))
    out[INDEX] = float(trial.index)
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


@dataclass
class Calibration:
    estimates: list[Estimate]
    not_fitted: list[NotFitted]
    trials: pd.DataFrame
    """One row per candidate: its levers, loss and figures (means over seeds)."""
    figures: pd.DataFrame
    """Per figure: the log's value, the base's and the best candidate's (means over seeds)."""
    notes: list[str] = field(default_factory=list)


def direct_staff(data: FitData) -> tuple[list[Estimate], list[NotFitted]]:
    """Staff of grids and departments at least the most visits under way there at once."""
    if not data.has("first_response", "closed", "closing_tier"):
        return [], [NotFitted("staff bounds", "the log has no first_response or closed")]
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
    return out, []


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
            Lever(("staffing", name), low, max(2 * start, low + 2), start, True, given=float(base))
        )
    return out, kept


def calibrate(
    data: FitData,
    fitted: str,
    folder: Path,
    trials: int,
    seeds: int = 2,
    executor: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> Calibration:
    """Search the levers for the fitted city (YAML ``fitted``) whose stages match the log's.

    ``folder``: where the fitted scenario will be written (its ``base:`` paths are relative
    to it). ``trials`` candidates, each on ``seeds`` common seeds; the base's values are
    the first candidate.
    """
    from govsim.experiments.design import replication_seeds
    from govsim.experiments.executors import choose

    days = min(data.days, CALIBRATION_DAYS)
    settle = data.settle_hours / HOURS_PER_DAY
    low, high = WARMUP_DAYS * HOURS_PER_DAY, (days - settle) * HOURS_PER_DAY
    if high - low < MIN_DAYS * HOURS_PER_DAY:
        reason = (
            f"the log's {data.days} days leave fewer than {MIN_DAYS:g} days between the "
            f"{WARMUP_DAYS:g}-day warm-up and the {settle:g} days to settle"
        )
        return Calibration([], [NotFitted("calibration by simulation", reason)], *_empty())
    window = Window(data.start, low, high, days * HOURS_PER_DAY)
    target = stage_figures(data.log.frame, window)
    names = [n for n in figure_names() if np.isfinite(target[n]) and target[n] > 0]
    bounds, _ = direct_staff(data)
    grid_floor = next((e.value for e in bounds if e.key == ("staffing", "grid_workers")), None)
    with tempfile.NamedTemporaryFile(
        "w", suffix=".yaml", dir=folder, prefix=".calibration-", delete=False, encoding="utf-8"
    ) as handle:
        handle.write(fitted)
    try:
        source = ScenarioSource.read(handle.name)
        base = source.build([f"days={days}"])
    finally:
        Path(handle.name).unlink(missing_ok=True)
    searched, kept = levers(base, grid_floor)
    volume = volume_levers(base)
    closing = closing_levers(base, data)
    searched += volume + closing
    logged = first_contacts(data.log.frame, data.start, base)
    logged.update(closing_shares(data.log.frame, window, [c.name for c in base.categories]))
    seed_list = replication_seeds(base.seed, seeds)
    delays = [lever for lever in searched if lever.family is not None]
    staff = [lever for lever in searched if lever.integer]
    executor = executor or choose()
    rows: list[dict[str, Any]] = []
    tried: dict[tuple[float, ...], dict[str, Any]] = {}
    current = {lever.name: lever.base for lever in searched}

    def run(
        values: list[dict[str, float]], length: int = days, at: Window = window
    ) -> list[dict[str, float]]:
        tasks: list[Trial] = []
        for value in values:
            scenario = source.build([f"days={length}", *overrides(value, searched)])
            tasks += [Trial(scenario, s, at, len(tasks)) for s in seed_list]
        measured = sorted(executor.map(measure, tasks), key=lambda r: r[INDEX])
        out = []
        for i in range(len(values)):
            part = measured[i * seeds : (i + 1) * seeds]
            figures = {k: float(np.mean([r[k] for r in part])) for k in part[0] if k != INDEX}
            # each seed's loss, for the noise of a tier's comparison (common seeds)
            for tier, own in TIER_FIGURES.items():
                losses = [_loss(r, target, [n for n in names if own(n)]) for r in part]
                figures[f"loss se: {tier}"] = (
                    float(np.std(losses, ddof=1) / math.sqrt(len(losses)))
                    if len(losses) > 1
                    else math.nan
                )
            out.append(figures)
        return out

    def evaluate(candidates: list[dict[str, float]]) -> None:
        """Run each candidate's staff at the current delays, then ``CORRECTIONS`` times with
        the delays (and appeals per problem) corrected to what the run before missed."""
        fresh = [c for c in candidates if _staff_key(c, staff) not in tried][: trials - len(tried)]
        if not fresh:
            return
        measured = run(fresh)
        for _ in range(CORRECTIONS):
            fresh = [
                {
                    **value,
                    **corrected(value, figures, target, delays),
                    **volumes(value, figures, logged, volume, base),
                    **shares(value, figures, logged, closing),
                }
                for value, figures in zip(fresh, measured, strict=True)
            ]
            measured = run(fresh)
        for value, figures in zip(fresh, measured, strict=True):
            loss = _loss(figures, target, names)
            row = {"candidate": len(rows), **value, "loss": loss, **figures}
            for tier, own in TIER_FIGURES.items():
                row[f"loss: {tier}"] = _loss(figures, target, [n for n in names if own(n)])
            rows.append(row)
            tried[_staff_key(value, staff)] = row
        if progress is not None:
            progress(len(tried), trials)

    with executor if hasattr(executor, "__enter__") else _null(executor):
        # The base's staff and delays as they are: what the fit without calibration gives.
        (as_base,) = run([{lever.name: lever.original for lever in searched}])
        base_row = {**as_base, "loss": _loss(as_base, target, names)}
        evaluate([dict(current)])
        for _sweep in range(SWEEPS):
            moved = False
            for lever in staff:  # each tier's staff in turn, the others held
                step = 1
                while len(tried) < trials:
                    here = current[lever.name]
                    near = [here - step, here + step]
                    evaluate(
                        [{**current, lever.name: v} for v in near if lever.low <= v <= lever.high]
                    )
                    tier = str(lever.key[-1]).split("_")[0]  # grid_workers -> grid
                    best = _steadiest(
                        [tried[k] for k in tried if _same_but(k, current, staff, lever)],
                        f"loss: {tier}",
                        lever.name,
                        # the grid's own figures include the visits under way: no tie-break
                        steadier=tier != "grid",
                    )
                    # the chosen candidate's corrected delays and shares go on with it
                    current = {k: best[k] for k in current}
                    if best[lever.name] == here:
                        if step == 1:
                            break
                        step = 1  # overshot: look next door
                        continue
                    moved = True
                    step *= 2  # keep going the way the loss falls, faster
            if not moved or len(tried) >= trials:
                break
        # Appeals per problem, closing shares and delays settle over the whole log, not its
        # first weeks: the best candidate's corrected again on runs as long as the log.
        polished = dict(min(rows, key=lambda r: r["loss"]))  # the best candidate overall
        length = min(data.days, POLISH_DAYS)
        whole = Window(data.start, low, (length - settle) * HOURS_PER_DAY, length * HOURS_PER_DAY)
        whole_logged = closing_shares(data.log.frame, whole, [c.name for c in base.categories])
        whole_logged |= first_contacts(
            data.log.frame, data.start, base.model_copy(update={"days": length})
        )
        whole_target = stage_figures(data.log.frame, whole)
        for _ in range(POLISH_PASSES):
            (figures,) = run([polished], length, whole)
            polished.update(corrected(polished, figures, whole_target, delays))
            polished.update(volumes(polished, figures, whole_logged, volume, base))
            polished.update(shares(polished, figures, whole_logged, closing))
    table = pd.DataFrame(rows)
    chosen: dict[str, Any] = dict(min(rows, key=lambda r: r["loss"]))
    figures_best = {n: chosen[n] for n in figure_names()}
    for lever in searched:
        chosen[lever.name] = polished[lever.name]
    close_ones = table[table["loss"] <= chosen["loss"] * (1 + NEAR_BEST)]
    method = (
        f"calibrated by simulation (staff per tier in turn, delays moved to the log's mean "
        f"waits; {len(rows)} candidates x {seeds} common seeds, {days} days)"
    )
    near_range = f"range of candidates within {NEAR_BEST:.0%} of the best loss"
    estimates = []
    for lever in searched:
        value = float(chosen[lever.name])
        extra: dict[str, float | str] = {"interval": near_range}
        if lever.family is not None:
            extra["kind"] = duration(lever.family, value)["kind"]
        if lever.integer:
            extra["integer"] = 1
        if lever in closing:
            estimates.append(
                Estimate(
                    lever.key,
                    value,
                    min(float(close_ones[lever.name].min()), value),
                    max(float(close_ones[lever.name].max()), value),
                    "calibrated by simulation: the fitted city's closing-tier shares of the "
                    "category are the log's",
                    int(logged.get(f"closing count: {lever.key[1]}", 0)),
                    {"interval": near_range},
                )
            )
            continue
        if lever in volume:
            estimates.append(
                Estimate(
                    lever.key,
                    value,
                    min(float(close_ones[lever.name].min()), value),
                    max(float(close_ones[lever.name].max()), value),
                    "calibrated by simulation: the fitted city's first contacts of the category "
                    "are the log's",
                    int(logged.get(f"first contacts: {lever.key[1]}", 0)),
                    {"interval": near_range},
                )
            )
            continue
        estimates.append(
            Estimate(
                lever.key,
                value,
                min(float(close_ones[lever.name].min()), value),
                max(float(close_ones[lever.name].max()), value),
                method,
                int(len(data.log.frame)),
                extra,
            )
        )
        if lever.family is not None and lever.family.kind in ("lognormal", "gamma"):
            cv = lever.family.cv
            estimates.append(
                Estimate((*lever.key[:-1], "cv"), cv, cv, cv, "kept from the base", 0, {**extra})
            )
    staff_of = {d.name: d.staff for d in base.departments}
    for bound in bounds:  # a department's staff can be no fewer than the log shows at work
        if bound.key[0] == "departments" and bound.value > staff_of[str(bound.key[1])]:
            estimates.append(bound)
    comparison = pd.DataFrame(
        {
            "log": [target[n] for n in figure_names()],
            "base": [base_row[n] for n in figure_names()],
            "calibrated": [figures_best[n] for n in figure_names()],
        },
        index=figure_names(),
    )
    calibration = Calibration(estimates, kept, table, comparison)
    calibration.notes.append(
        f"loss {chosen['loss']:.4f} (base {base_row['loss']:.4f}): mean squared log ratio of "
        f"simulated to logged over {len(names)} figures"
    )
    return calibration


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


def closing_levers(scenario: Scenario, data: FitData) -> list[Lever]:
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


def _steadiest(
    candidates: list[dict[str, Any]], loss: str, name: str, steadier: bool = True
) -> dict[str, Any]:
    """The candidate with the most staff among those whose ``loss`` is within two standard
    errors (over the common seeds) of the lowest, and at least ``LOSS_NOISE``: where runs on a
    few seeds cannot tell two staff counts apart, the one whose queues are steadier. Not
    ``steadier``: the lowest."""
    best = min(candidates, key=lambda c: (c.get(loss, c["loss"]), c["loss"]))
    if not steadier:
        return best
    lowest = best.get(loss, best["loss"])
    noise = best.get(loss.replace("loss", "loss se"), math.nan)
    allowed = 2 * noise if np.isfinite(noise) else LOSS_NOISE
    near = [c for c in candidates if c.get(loss, c["loss"]) <= lowest + max(allowed, LOSS_NOISE)]
    return max(near, key=lambda c: (c[name], -c["loss"]))


def _staff_key(value: dict[str, float], staff: list[Lever]) -> tuple[float, ...]:
    return tuple(value[lever.name] for lever in staff)


def _same_but(
    key: tuple[float, ...], current: dict[str, float], staff: list[Lever], lever: Lever
) -> bool:
    """Is ``key`` the current staff but for ``lever``?"""
    return all(k == current[lv.name] for k, lv in zip(key, staff, strict=True) if lv is not lever)


def _loss(figures: dict[str, float], target: dict[str, float], names: list[str]) -> float:
    parts = []
    for name in names:
        value = figures.get(name, math.nan)
        if not np.isfinite(value) or value <= 0:
            parts.append(SIM_NAN_LOSS)
        else:
            parts.append(math.log(value / target[name]) ** 2)
    return float(np.mean(parts)) if parts else 0.0


def _empty() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame(), pd.DataFrame()


class _null:
    def __init__(self, value: Any) -> None:
        self.value = value

    def __enter__(self) -> Any:
        return self.value

    def __exit__(self, *exc: object) -> None:
        return None
