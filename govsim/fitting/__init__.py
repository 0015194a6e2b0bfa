"""``govsim fit``: a scenario fitted to a case log, every fitted value with its 95% CI.

:func:`fit` returns the estimates of a prepared log; :func:`fit_log` reads the log and the
base scenario, fits, and writes the fitted scenario (the base file with values in place
and the fit beside each, :mod:`~govsim.fitting.write`) and its report with figures
(:mod:`~govsim.fitting.fit_report`). The fits, one module each:

- :mod:`~govsim.fitting.arrivals`: rates, intraday and weekday shapes, seasons and surges
  (Poisson GLM), channel shares, rates per street;
- :mod:`~govsim.fitting.shares`: consultation, routing, lowest closing tier, resolution,
  callback reach, redials;
- :mod:`~govsim.fitting.handling`: handling times of the tiers the timestamps identify,
  callback and redial delays (exponential, gamma or lognormal by AIC);
- :mod:`~govsim.fitting.satisfaction`: the ordinal-logit satisfaction model.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from govsim.core.errors import UserInputError
from govsim.core.io import FolderInUse, check_output_file, parents_made, resolve_out, shown
from govsim.data.caselog import read_log
from govsim.fitting.arrivals import ArrivalFit, fit_arrivals
from govsim.fitting.bounds import within_bounds
from govsim.fitting.data import FitData, prepare
from govsim.fitting.estimation import Estimate, Key, NotFitted
from govsim.fitting.fit_report import ReportInputs, render, write_report
from govsim.fitting.handling import DurationFit, fit_handling
from govsim.fitting.populations import unequal_city
from govsim.fitting.round_trip import add_round_trip
from govsim.fitting.satisfaction import fit_satisfaction
from govsim.fitting.shares import fit_shares
from govsim.fitting.waits import calibrate as calibrate_waits
from govsim.fitting.waits import calibrate_volumes
from govsim.fitting.write import beside, fitted_text, write_fitted
from govsim.scenario import Scenario, load_scenario

ALWAYS_KEPT = (
    NotFitted(
        "city, staffing, departments", "structure and capacity: the log shows load, not staff"
    ),
    NotFitted(
        "hotline.operators, talk_time, patience",
        "no call-answer timestamps: queueing and talk are not separable in the log",
    ),
    NotFitted(
        "hotline.dispatch_delay, return_delay, dispatch_accuracy, district_relay_delay; "
        "escalation.escalation_delay",
        "no timestamp of a work order's arrival at the handler",
    ),
    NotFitted(
        "whistle (probability, deadline, arrival, types, branches)",
        "no whistle or report timestamps in the format",
    ),
    NotFitted(
        "categories.*.unclear_jurisdiction, joint_departments; jurisdiction",
        "no dispute or joint-handling record in the format; a log from a city with them "
        "biases the closing-tier shares (disputes end at the district) and department times",
    ),
    NotFitted(
        "feedback.repeat_probability, repeat_delay",
        "repeat appeals come days after the callback and are cut off by the log's end",
    ),
)


@dataclass
class FitResult:
    estimates: list[Estimate]
    not_fitted: list[NotFitted]
    arrivals: ArrivalFit
    durations: list[DurationFit]
    satisfaction: pd.DataFrame | None
    warnings: list[str]
    """Where the log and the base scenario's structure disagree (the fit cannot repair that),
    and the values clipped to their keys' bounds (:mod:`~govsim.fitting.bounds`)."""

    def get(self, *key: str | int) -> Estimate:
        for e in self.estimates:
            if e.key == key:
                return e
        raise KeyError(key)


def fit(data: FitData) -> FitResult:
    """Every fit the log allows (nothing written).

    BLAS runs on one thread: the designs are small (the GLM's cells are summed), and on a
    shared machine OpenBLAS's threads made one fit up to 50 times slower (0.05 s single-
    threaded against 0.2-3 s, measured with two cores under load).
    """
    with threadpool_limits(limits=1, user_api="blas"):
        arrivals = fit_arrivals(data)
        shares, missing_shares = fit_shares(data)
        durations, missing_durations = fit_handling(data)
        satisfaction, missing_satisfaction, table = fit_satisfaction(data)
    estimates = [*arrivals.estimates, *shares]
    for duration in durations:
        estimates += duration.estimates()
    estimates += satisfaction
    estimates, unwritable, clipped = within_bounds(estimates, data.scenario)
    not_fitted = [
        *unwritable,
        *arrivals.not_fitted,
        *missing_shares,
        *missing_durations,
        *missing_satisfaction,
        *ALWAYS_KEPT,
    ]
    warnings = structure_warnings(data, arrivals) + clipped
    return FitResult(estimates, not_fitted, arrivals, durations, table, warnings)


def structure_warnings(data: FitData, arrivals: ArrivalFit) -> list[str]:
    """What the log shows that the base scenario's structure cannot produce (and the arrival
    GLM's own warnings)."""
    out = list(arrivals.warnings)
    scenario = data.scenario
    whistles = data.counts.get("whistles")
    if whistles is not None and (whistles > 0).any() and not scenario.whistle.enabled:
        out.append(
            f"{int((whistles > 0).sum()):,} cases of the log were whistled, but the base has "
            "`whistle.enabled: false`: set it to true (whistle timings are not fitted)"
        )
    for c, spec in enumerate(scenario.categories):
        routed = (data.codes.category == c) & (data.tier == 4)
        if spec.department is None and routed.any():
            out.append(
                f"category '{spec.name}': {int(routed.sum()):,} cases closed by a department, "
                "but the base gives it no department"
            )
    for row in arrivals.dispersion.itertuples():
        if cast(float, row.p) < 0.001:
            out.append(
                f"first contacts of "
                f"{'all categories' if row.category == 'all' else repr(row.category)} "
                f"vary from day to day more than the fit allows (Pearson chi2 {row.chi2:.0f} on "
                f"{row.df} df, p = {row.p:.2g}): a season or surge the base lacks? See the daily "
                "and weekly figures"
            )
    return out


def fit_log(
    log_path: str | Path,
    base_path: str | Path,
    out: str | Path,
    settle_days: float = 7.0,
    figures: bool = True,
    *,
    force: bool = False,
    calibrate: int = 0,
    seeds: int = 2,
    executor: Any = None,
    progress: Callable[[int, int], None] | None = None,
    check: int = 0,
    volume_passes: int = 0,
) -> list[Path]:
    """Fit ``base_path``'s scenario to the log; write ``out`` and its report. Returns the files.

    ``calibrate``: candidates of the calibration by simulation of the waits and, with
    problems on, of appeals per problem (:mod:`govsim.fitting.waits`), each run on ``seeds``
    common seeds through ``executor`` (default: a local process pool); 0 writes what the log
    identifies directly and keeps the rest from the base. With ``check`` > 0 the report gets
    a round trip: the fitted city run ``check`` times, drawn and replayed
    (:mod:`~govsim.fitting.round_trip`), through the same executor. With ``calibrate`` 0
    and problems on, ``volume_passes`` > 0 corrects appeals per problem alone that many times
    on ``seeds`` seeds (:func:`~govsim.fitting.waits.calibrate_volumes`): the fitted city's
    volumes come back at a few runs' cost, its waits stay the base's.

    The outputs (``out``, its ``.fit.md`` report and ``.fit/`` figures) are checked before the
    fit (:func:`check_outputs`); a missing folder for them is created, and removed again if
    the fit fails.
    """
    started = time.perf_counter()
    base_path, given = Path(base_path), Path(out)
    out = resolve_out(given)
    report_path = out.with_suffix(".fit.md")
    figures_dir = out.with_name(out.stem + ".fit") if figures else None
    check_outputs(given, out, report_path, figures_dir, (log_path, base_path), force)
    scenario = load_scenario(base_path)
    log = read_log(log_path)
    data = prepare(log, scenario, settle_days)
    result = fit(data)
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", out.stem) or "fitted"
    header: dict[str, tuple[Any, str]] = {
        "name": (name, f"fitted by `govsim fit` to {log_path}"),
        "start_date": (data.start.date(), "first day of the log"),
        "days": (data.days, "days the log covers"),
    }
    city, city_note = unequal_city(data, result.arrivals)
    if city is not None:
        header["city"] = (city, "fit: " + city_note.split(":")[0])
    text = fitted_text(base_path, out, scenario, result.estimates, header)
    calibration = None
    if calibrate > 0 or (volume_passes > 0 and scenario.problems.enabled):
        with parents_made(out.parent):
            calibration = (
                calibrate_waits(data, text, out, calibrate, seeds, executor, progress)
                if calibrate > 0
                else calibrate_volumes(data, text, out, volume_passes, seeds, executor)
            )
        calibrated = {e.key for e in calibration.estimates}  # simulation's value replaces the log's
        result.estimates = [e for e in result.estimates if e.key not in calibrated]
        result.estimates += calibration.estimates
        result.not_fitted += calibration.not_fitted
        text = fitted_text(base_path, out, scenario, result.estimates, header)
    inputs = ReportInputs(
        str(log_path),
        str(base_path),
        str(given),
        len(log.frame),
        int(data.first.sum()),
        data.start,
        data.days,
        settle_days,
        time.perf_counter() - started,
        result.estimates,
        {e.path: scenario_value(scenario, e.key) for e in result.estimates},
        result.not_fitted,
        result.arrivals,
        result.durations,
        result.satisfaction,
        result.warnings,
        [c.name for c in scenario.categories],
        calibration,
        city_note,
    )
    markdown, pngs = render(inputs, figures_dir)
    new = [p for p in (report_path, figures_dir) if p is not None and not os.path.lexists(p)]
    try:
        with parents_made(out.parent):
            try:
                _check(text, out)
                if check:
                    markdown = add_round_trip(
                        markdown, text, out, log, check, settle_days, executor
                    )
                written = write_report(markdown, pngs, report_path, figures_dir)
                write_fitted(text, out)
            except BaseException:
                for path in new:  # what this fit made: gone again, and its folder with it
                    shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(
                        missing_ok=True
                    )
                raise
    except OSError as exc:
        raise UserInputError(
            f"cannot write the fitted scenario ({exc.strerror or exc}); nothing new was written",
            source=str(given),
        ) from None
    return [out, *written]


FIGURE_NAMES = re.compile(r"(arrivals_.+|duration_.+|satisfaction)\.png")
"""The names of the figures a fit writes to its ``.fit/`` folder (:mod:`govsim.fitting.fit_report`);
anything else there is the user's, and the folder is then not replaced."""


def check_outputs(
    given: Path,
    out: Path,
    report_path: Path,
    figures_dir: Path | None,
    inputs: tuple[str | Path, ...],
    force: bool,
) -> None:
    """Refuse outputs that would overwrite an input (the log, the base scenario), write into a
    results folder, or replace an existing file without ``force`` (:mod:`govsim.core.io`)."""
    for path in (out, report_path):
        try:
            check_output_file(path, replace=force, inputs=inputs)
        except FolderInUse as exc:
            where = shown(given, out) if path == out else str(path)
            raise UserInputError(exc.reason, source=where) from None
    if figures_dir is None or not os.path.lexists(figures_dir):
        return
    if not figures_dir.is_dir():
        raise UserInputError(
            "exists and is not a folder (the fit's figures go there)", source=str(figures_dir)
        )
    held = [p.name for p in figures_dir.iterdir()]
    foreign = sorted(name for name in held if not FIGURE_NAMES.fullmatch(name))
    if foreign:
        raise UserInputError(
            f"the figures' folder holds files govsim did not write ({', '.join(foreign[:3])}); "
            "choose another --out",
            source=str(figures_dir),
        )
    if held and not force:
        raise UserInputError(
            "the figures' folder already holds figures; add --force to replace them, or "
            "choose another --out",
            source=str(figures_dir),
        )


def _check(text: str, out: Path) -> None:
    """Fail before writing anything if the fitted scenario would not validate."""
    try:
        with beside(text, out, "check") as probe:
            load_scenario(probe)
    except UserInputError as exc:
        raise RuntimeError(
            f"the fitted scenario does not validate (a bug of govsim fit): {exc}"
        ) from None


def scenario_value(scenario: Scenario, key: Key) -> float | None:
    """The scenario's value for an estimate's key (shapes rescaled to mean 1, as used)."""
    node: Any = scenario.model_dump(mode="json")
    for part in key:
        if isinstance(node, list):
            if isinstance(part, int):
                node = node[part] if part < len(node) else None
            else:
                node = next(
                    (item for item in node if isinstance(item, dict) and item.get("name") == part),
                    None,
                )
        elif isinstance(node, dict):
            node = node.get(part)
        if node is None:
            break
    if key[:2] in (("arrivals", "intraday"), ("arrivals", "weekday")):
        shape = np.array(getattr(scenario.arrivals, str(key[1])), dtype=float)
        return float(shape[int(key[2])] / shape.mean())
    if key[-1] in ("mean", "cv") and len(key) >= 2 and key[0] == "categories" and node is None:
        return None
    if key[-1] == "cv" and node is None:
        return 1.0
    return float(node) if isinstance(node, (int, float)) else None


__all__ = ["FitResult", "fit", "fit_log", "prepare", "scenario_value"]
