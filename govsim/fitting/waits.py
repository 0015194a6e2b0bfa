"""Calibrate by simulation what a log shows only in sums: the delays and the staff behind waits.

A department order's dispatch wait is ``hotline.dispatch_delay`` plus the department's queue;
a territorial order's adds the district's relay and the grid's queue; the time to close of a
street or district closure holds hand-overs (``escalation.escalation_delay``) and the street's
and district's queues (:mod:`govsim.fitting.stages`). The log shows the sums, not the parts,
and a queue grows with load, so these levers are searched by simulation:

- **staff**, each tier's in turn (grid, street, district; the others held), a person at a
  time, then in doubling steps, while the tier's own figures (:data:`TIER_FIGURES`) fit
  better; where the common seeds cannot tell two counts apart (within two standard errors)
  the larger is kept, its queues being steadier (:func:`_steadiest`);
- **each department's staff**, once a sweep, all at once a person down and a person up
  (departments are separate queues), each department then taking the count its own
  orders' times to close fit best (:func:`govsim.fitting.stages.department_figure`),
  moving only where that beats its current count by more than two standard errors
  (:func:`_earned`);
- **delays**, moved for every staff candidate by what its run missed of the log's mean
  waits (:func:`corrected`), twice, since a delay adds to a queue that hardly depends on it;
- with problems on, **appeals per problem** per category, so that the fitted city's first
  contacts are the log's (:func:`volumes`), and **closing-tier shares** (:func:`shares`),
  moved alike.

Every candidate runs on the same seeds (common random numbers, as the policy search races
its candidates: :mod:`govsim.search.optimizer`). The loss is the mean, over the figures
(:func:`govsim.fitting.stages.figure_names`), of the squared log ratio of simulated to
logged; the best candidate is then corrected ``POLISH_PASSES`` times more on runs as long as
the log, the k-th with gain 1/k, so that what is written is the mean of those corrections
(:func:`_toward`); :func:`calibrate_volumes` does only that, for appeals per problem alone
(the volumes back at a few runs' cost). A search per tier, rather than a sampler over all
staff counts at once, lets each tier be judged on the figures it moves, and the grid's on
what the log shows directly.

What is read from the log first (no simulation): the staff of a grid and of each department
is at least the most visits ever under way there at once
(:func:`govsim.fitting.stages.max_concurrent`), tight when the unit was ever full. The grid's
and each department's search starts at its bound where the base has fewer, and never goes
below it.

Runs simulate the fitted city over the log's first ``CALIBRATION_DAYS`` days at most, from the
log's start date; figures count cases created from day ``WARMUP_DAYS`` (the simulated city
starts empty, the real one did not) to ``settle`` days before the end, in the log and in the
runs alike. Runs go to the experiments' executors (a local process pool, or Dask), and are
matched to their candidates by their place in the batch (executors return them as they
finish)."""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from govsim.fitting.corrections import (
    Lever,
    closing_levers,
    corrected,
    department_levers,
    direct_staff,
    duration,
    levers,
    overrides,
    shares,
    volume_levers,
    volumes,
)
from govsim.fitting.data import HOURS_PER_DAY, FitData
from govsim.fitting.estimation import Estimate, NotFitted
from govsim.fitting.stages import (
    Window,
    closing_shares,
    department_figure,
    figure_names,
    first_contacts,
    stage_figures,
)
from govsim.fitting.write import beside
from govsim.scenario.loader import ScenarioSource
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
those runs, the k-th with gain 1/k (:func:`_toward`)."""
CORRECTIONS = 2
"""Times a candidate's delays are corrected before its loss counts (a delay also smooths the
peaks a queue sees, so one step leaves a busier candidate's waits short)."""
TIER_FIGURES = {
    "grid": lambda name: "territorial" in name or "at grid" in name or "grid visits" in name,
    "street": lambda name: "at street" in name,
    "district": lambda name: "at district" in name,
}
"""The figures each tier's staff chiefly moves: its own search compares these (ties: all)."""
STATS = ("mean", "p90")
"""A department's own figures (:func:`govsim.fitting.stages.department_figure`)."""
SWEEPS = 3
"""Most passes over the tiers' staff (each tier's in turn, the others held)."""
INDEX = "_index"
"""Key of a run's place in its batch among the figures :func:`measure` returns."""
LOSS_NOISE = 0.002
"""Loss differences below this are noise whatever the seeds say (a 4.5% miss squared)."""
SIM_NAN_LOSS = 4.0
"""Loss of a figure the log has and a run lacks (as a factor e**2 off)."""


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
    out = stage_figures(log, trial.window, [d.name for d in trial.scenario.departments])
    out.update(first_contacts(log, trial.window.start, trial.scenario))
    out.update(closing_shares(log, trial.window, [c.name for c in trial.scenario.categories]))
    out[INDEX] = float(trial.index)
    return out


def measure_all(executor: Any, trials: list[Trial]) -> list[dict[str, float]]:
    """:func:`measure` of every trial through ``executor``, in the trials' order (an executor
    returns runs as they finish; a mean over seeds must not depend on that order)."""
    return sorted(executor.map(measure, trials), key=lambda r: r[INDEX])


@dataclass
class Calibration:
    estimates: list[Estimate]
    not_fitted: list[NotFitted]
    trials: pd.DataFrame
    """One row per candidate: its levers, loss and figures (means over seeds)."""
    figures: pd.DataFrame
    """Per figure: the log's value, the base's and the best candidate's (means over seeds)."""
    notes: list[str] = field(default_factory=list)


def calibrate(
    data: FitData,
    fitted: str,
    out: Path,
    trials: int,
    seeds: int = 2,
    executor: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> Calibration:
    """Search the levers for the fitted city (YAML ``fitted``) whose stages match the log's.

    ``out``: where the fitted scenario will be written (its ``base:`` paths are relative to
    its folder). ``trials`` candidates, each on ``seeds`` common seeds; the base's values are
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
        nothing = pd.DataFrame()
        return Calibration([], [NotFitted("calibration by simulation", reason)], nothing, nothing)
    window = Window(data.start, low, high, days * HOURS_PER_DAY)
    bounds = direct_staff(data)
    grid_floor = next((e.value for e in bounds if e.key == ("staffing", "grid_workers")), None)
    with beside(fitted, out, "calibration") as probe:
        source = ScenarioSource.read(probe)
    base = source.build([f"days={days}"])
    target = stage_figures(data.log.frame, window, [d.name for d in base.departments])
    names = [n for n in figure_names() if np.isfinite(target[n]) and target[n] > 0]
    searched, kept = levers(base, grid_floor)
    departments = department_levers(base, bounds, target)
    volume = volume_levers(base)
    closing = closing_levers(base)
    searched += departments + volume + closing
    logged = first_contacts(data.log.frame, data.start, base)
    logged.update(closing_shares(data.log.frame, window, [c.name for c in base.categories]))
    seed_list = replication_seeds(base.seed, seeds)
    delays = [lever for lever in searched if lever.family is not None]
    staff = [lever for lever in searched if lever.integer]
    executor = executor or choose()
    rows: list[dict[str, Any]] = []
    tried: dict[tuple[float, ...], dict[str, Any]] = {}
    current = {lever.name: lever.start for lever in searched}
    own_names = {tier: [n for n in names if own(n)] for tier, own in TIER_FIGURES.items()}
    for lever in departments:  # a department's own orders' times to close
        own_names[_unit(lever)] = [department_figure(str(lever.key[1]), s) for s in STATS]
    tiers = [lever for lever in staff if lever not in departments]

    def run(
        values: list[dict[str, float]], length: int = days, at: Window = window
    ) -> list[dict[str, float]]:
        tasks: list[Trial] = []
        for value in values:
            scenario = source.build([f"days={length}", *overrides(value, searched)])
            tasks += [Trial(scenario, s, at, len(tasks)) for s in seed_list]
        measured = measure_all(executor, tasks)
        out = []
        for i in range(len(values)):
            part = measured[i * seeds : (i + 1) * seeds]
            figures = {k: float(np.mean([r[k] for r in part])) for k in part[0] if k != INDEX}
            # each seed's loss, for the noise of a tier's comparison (common seeds)
            for tier, own in own_names.items():
                losses = [_loss(r, target, own) for r in part]
                figures[f"loss se: {tier}"] = (
                    float(np.std(losses, ddof=1) / math.sqrt(len(losses)))
                    if len(losses) > 1
                    else math.nan
                )
            out.append(figures)
        return out

    def department_step() -> bool:
        """Every department one fewer and one more at once, each then taking its best of the
        three by its own figures (departments are separate queues: one department's staff
        hardly moves another's times), and that combination run: has any moved? The two
        probes run at the current delays, uncorrected (one run on the common seeds, not
        three: they compare staff at the same delays); the combination is corrected."""
        nonlocal current
        here = dict(current)
        near = [
            {
                **here,
                **{
                    lv.name: float(np.clip(here[lv.name] + step, lv.low, lv.high))
                    for lv in departments
                },
            }
            for step in (-1, 1)
        ]
        evaluate(near, corrections=0)
        rows = [tried[k] for k in {_staff_key(v, staff) for v in [here, *near]} if k in tried]
        choice = {
            lv.name: float(_earned(rows, f"loss: {_unit(lv)}", lv.name, here[lv.name])[lv.name])
            for lv in departments
        }
        if all(choice[k] == here[k] for k in choice):
            return False
        combined = {**here, **choice}
        evaluate([combined])
        key = _staff_key(combined, staff)
        if key not in tried:  # out of candidates
            return False
        current = {k: tried[key][k] for k in current}
        return True

    def evaluate(candidates: list[dict[str, float]], corrections: int = CORRECTIONS) -> None:
        """Run each candidate's staff at the current delays, then ``corrections`` times with
        the delays (and appeals per problem) corrected to what the run before missed."""
        fresh = [c for c in candidates if _staff_key(c, staff) not in tried][: trials - len(tried)]
        if not fresh:
            return
        measured = run(fresh)
        for _ in range(corrections):
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
            for tier, own in own_names.items():
                row[f"loss: {tier}"] = _loss(figures, target, own)
            rows.append(row)
            tried[_staff_key(value, staff)] = row
        if progress is not None:
            progress(len(tried), trials)

    with executor if hasattr(executor, "__enter__") else nullcontext(executor):
        # The base's staff and delays as they are: what the fit without calibration gives.
        (as_base,) = run([{lever.name: lever.base for lever in searched}])
        base_row = {**as_base, "loss": _loss(as_base, target, names)}
        evaluate([dict(current)])
        departments_moved = False
        for _sweep in range(SWEEPS):
            moved = False
            for lever in tiers:  # each tier's staff in turn, the others held
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
            # one department step a sweep (a person each way), again in a later sweep only
            # if they moved in the one before: a bounded cost, whatever the departments
            if departments and len(tried) < trials and (_sweep == 0 or departments_moved):
                departments_moved = department_step()
                moved |= departments_moved
            if not moved or len(tried) >= trials:
                break
        # Appeals per problem, closing shares and delays settle over the whole log, not its
        # first weeks: the best candidate's corrected again on runs as long as the log.
        best_row = min(rows, key=lambda r: r["loss"])  # the best candidate overall
        polished = dict(best_row)
        length = min(data.days, POLISH_DAYS)
        whole = Window(data.start, low, (length - settle) * HOURS_PER_DAY, length * HOURS_PER_DAY)
        whole_logged = closing_shares(data.log.frame, whole, [c.name for c in base.categories])
        whole_logged |= first_contacts(
            data.log.frame, data.start, base.model_copy(update={"days": length})
        )
        whole_target = stage_figures(data.log.frame, whole)
        ratios = {lever.name for lever in volume}
        for k in range(1, POLISH_PASSES + 1):
            (figures,) = run([polished], length, whole)
            full = {
                **corrected(polished, figures, whole_target, delays),
                **volumes(polished, figures, whole_logged, volume, base),
                **shares(polished, figures, whole_logged, closing),
            }
            polished.update(_toward(polished, full, 1 / k, ratios))
    table = pd.DataFrame(rows)
    chosen = {**best_row, **{lever.name: polished[lever.name] for lever in searched}}
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
        what, n = method, len(data.log.frame)
        if lever in closing:
            what = "calibrated by simulation: the fitted city's closing-tier shares are the log's"
            n = int(logged.get(f"closing count: {lever.key[1]}", 0))
        elif lever in volume:
            what = "calibrated by simulation: the fitted city's first contacts are the log's"
            n = int(logged.get(f"first contacts: {lever.key[1]}", 0))
        estimates.append(
            Estimate(
                lever.key,
                value,
                min(float(close_ones[lever.name].min()), value),
                max(float(close_ones[lever.name].max()), value),
                what,
                n,
                extra,
            )
        )
        if lever.family is not None and lever.family.kind in ("lognormal", "gamma"):
            cv = lever.family.cv
            estimates.append(
                Estimate((*lever.key[:-1], "cv"), cv, cv, cv, "kept from the base", 0, {**extra})
            )
    staff_of = {d.name: d.staff for d in base.departments}
    searched_keys = {lever.key for lever in departments}
    for bound in bounds:  # a department's staff can be no fewer than the log shows at work
        if (
            bound.key[0] == "departments"
            and bound.key not in searched_keys
            and bound.value > staff_of[str(bound.key[1])]
        ):
            estimates.append(bound)
    shown = figure_names() + [
        department_figure(str(lv.key[1]), s) for lv in departments for s in STATS
    ]
    comparison = pd.DataFrame(
        {
            "log": [target[n] for n in shown],
            "base": [base_row.get(n, math.nan) for n in shown],
            "calibrated": [best_row.get(n, math.nan) for n in shown],
        },
        index=shown,
    )
    calibration = Calibration(estimates, kept, table, comparison)
    calibration.notes.append(
        f"loss {chosen['loss']:.4f} (base {base_row['loss']:.4f}): mean squared log ratio of "
        f"simulated to logged over {len(names)} figures"
    )
    return calibration


def calibrate_volumes(
    data: FitData,
    fitted: str,
    out: Path,
    passes: int = POLISH_PASSES,
    seeds: int = 1,
    executor: Any = None,
) -> Calibration:
    """With problems on, only each category's appeals per problem, corrected ``passes`` times
    (the k-th with gain 1/k) on runs as long as the log (``POLISH_DAYS`` at most), on
    ``seeds`` seeds: what brings the fitted city's first contacts back to the log's, at the
    cost of ``passes x seeds`` runs (no search of staff or delays: their waits stay the
    base's). ``fitted``, ``out``: as :func:`calibrate`."""
    from govsim.experiments.design import replication_seeds
    from govsim.experiments.executors import choose

    length = min(data.days, POLISH_DAYS)
    with beside(fitted, out, "calibration") as probe:
        source = ScenarioSource.read(probe)
    base = source.build([f"days={length}"])
    volume = volume_levers(base)
    nothing = pd.DataFrame()
    if not volume:
        return Calibration([], [], nothing, nothing)
    logged = first_contacts(data.log.frame, data.start, base)
    window = Window(data.start, 0.0, length * HOURS_PER_DAY, length * HOURS_PER_DAY)
    seed_list = replication_seeds(base.seed, seeds)
    value = {lever.name: lever.start for lever in volume}
    seen: dict[str, list[float]] = {lever.name: [lever.start] for lever in volume}
    executor = executor or choose()
    with executor if hasattr(executor, "__enter__") else nullcontext(executor):
        for k in range(1, passes + 1):
            scenario = source.build([f"days={length}", *overrides(value, volume)])
            tasks = [Trial(scenario, s, window, i) for i, s in enumerate(seed_list)]
            runs = measure_all(executor, tasks)
            figures = {
                key: float(np.mean([r[key] for r in runs]))
                for key in runs[0]
                if key.startswith("first contacts: ")
            }
            full = volumes(value, figures, logged, volume, base)
            value = _toward(value, full, 1 / k, set(value))
            for name, v in value.items():
                seen[name].append(v)
    estimates = []
    for lever in volume:
        v = value[lever.name]
        estimates.append(
            Estimate(
                lever.key,
                v,
                min(seen[lever.name]),
                max(seen[lever.name]),
                "calibrated by simulation: the fitted city's first contacts are the log's "
                f"(appeals per problem alone, {passes} corrections x {seeds} seeds)",
                int(logged.get(f"first contacts: {lever.key[1]}", 0)),
                {"interval": "range of the corrections' values"},
            )
        )
    kept = [
        NotFitted(
            "calibration by simulation of staff and delays",
            "not run (appeals per problem alone): the base's staff and delays kept",
        )
    ]
    return Calibration(estimates, kept, nothing, nothing)


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


def _earned(candidates: list[dict[str, Any]], loss: str, name: str, here: float) -> dict[str, Any]:
    """The candidate with the lowest ``loss`` if it beats the one at ``here`` by more than two
    standard errors (over the common seeds) and ``LOSS_NOISE``, else the one at ``here``: a
    department's staff moves only where its own orders' times say so. (The larger count on a
    tie, as :func:`_steadiest` keeps for a tier, would climb a step at every search step
    where a department is far from full, and its count mean nothing.)"""
    best = min(candidates, key=lambda c: (c.get(loss, c["loss"]), c["loss"]))
    stay = next((c for c in candidates if c[name] == here), best)
    noise = stay.get(loss.replace("loss", "loss se"), math.nan)
    allowed = max(2 * noise if np.isfinite(noise) else 0.0, LOSS_NOISE)
    return best if best.get(loss, best["loss"]) < stay.get(loss, stay["loss"]) - allowed else stay


def _toward(
    value: dict[str, float], full: dict[str, float], gain: float, ratios: set[str]
) -> dict[str, float]:
    """``value`` moved ``gain`` of the way to its ``full`` correction (of ``ratios`` in log
    space): the final runs' k-th correction with gain 1/k (Robbins-Monro), so that the value
    written is the mean of the passes' corrections, not the last one's, which is as noisy as
    a run on the common seeds (a category's volume with problems on varies ~10% from run to
    run, its district's backlog with it)."""
    out = {}
    for name, new in full.items():
        old = value[name]
        if name in ratios and old > 0 and new > 0:
            out[name] = float(old * (new / old) ** gain)
        else:
            out[name] = float(old + gain * (new - old))
    return out


def _unit(lever: Lever) -> str:
    """The name of a department lever's own loss: ``department NAME``."""
    return f"department {lever.key[1]}"


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
