"""Fitting the calibrated scenarios: closed forms and scipy against expected values.

Every unpublished parameter set against a target (category rates, the consultation level,
the resolution level, the satisfaction model's intercept and resolved effect, the shift
plan) is solved in closed form or with scipy against *expected* values: the arrival model
integrated over the year (:mod:`govsim.calibration.expected`) and, for what the arrival
model cannot give (contacts per first contact and per problem; the closing tier, lateness,
hand-offs and true fix of each valid work order), a pilot year of each scaled copy.

With problems on (the calibrated scenarios carry them since issue 30), a category's ``rate``
is its appeal rate only if each problem brings ``problem.appeals_per_problem`` appeals: the
fit sets that to the contacts per problem of the pilot year, i.e. at the fitted city's own
time to close, so that the problems arising reproduce the published contacts. The resolution
level is then the probability that a closing really fixes the problem
(``problems.fix_probability``, also written as ``feedback.resolution_probability``, which
answers the cases without a problem), and a resident says "resolved" with
``problems.resolved_if_fixed`` or ``resolved_if_not_fixed`` (both assumed): the expected
resolution of the pilot's valid work orders rises with the level, solved with brentq.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from govsim.calibration.expected import (
    daily_expected,
    expected_first_contacts,
    expected_mix,
    hourly_offered_load,
    population_of,
)
from govsim.calibration.files import FITTED_SCENARIOS, CalibrationFiles, write_text
from govsim.calibration.measure import (
    CalibrationTask,
    Measurement,
    PilotSample,
    contacts_per_problem,
    inflation,
    run_tasks,
)
from govsim.calibration.scaling import scale_factor, scaled_copy
from govsim.calibration.scenario_yaml import KeyPath, Number, Value, set_values
from govsim.calibration.targets import (
    CALLS_PER_SHIFT,
    CONSULTATION_BASE,
    CONSULTATION_TARGET,
    HEATING_SEASON_MULTIPLIER,
    HEATING_SHARE_OF_UTILITIES,
    HOTLINE_RESOLUTION,
    PEAK_ON_DUTY,
    RATES,
    RESOLUTION_PROFILE,
    SHIFT_HOURS,
    VOLUME,
    WORK_TIERS,
    group_of,
    mix_targets,
)
from govsim.core.errors import UserInputError
from govsim.core.rates import satisfaction_points
from govsim.experiments.design import replication_seeds
from govsim.experiments.executors import Executor
from govsim.scenario.loader import load_scenario
from govsim.scenario.schema import Satisfaction, Scenario

ITERATIONS = 2
PILOT_ROOT = 9000
"""Pilot years of iteration i use replication seeds spawned from PILOT_ROOT + i."""


class FitError(UserInputError):
    """A fit found no solution (the scenario or the targets need a look)."""


@dataclass(frozen=True)
class FitRecord:
    """How one fitted parameter was fitted (a row of docs/calibration.md, kept in fitted.json)."""

    scenario: str
    parameter: str
    value: Any
    method: str
    residual: str | None = None
    change_over_last_iteration: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


# -- the fits (pure functions) ---------------------------------------------------------
def logit(p: float) -> float:
    return math.log(p / (1 - p))


def logistic(x: Any) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float))))


def with_rates(scenario: Scenario, rates: dict[str, float]) -> Scenario:
    """The scenario with the given category rates (contacts per 1,000 residents a day)."""
    return scenario.model_copy(
        update={
            "categories": [
                c.model_copy(update={"rate": rates.get(c.name, c.rate)})
                for c in scenario.categories
            ]
        }
    )


def fit_rates(scenario: Scenario, name: str, infl: dict[str, float]) -> dict[str, float]:
    """Category rates whose expected contacts of the year hit the volume in the target mix.

    Closed form: the expected contacts of category c are rate_c x E_c x inflation_c, where
    E_c is the arrival model integrated over the year at rate 1 (with problems on,
    inflation_c is :func:`problem_inflation`'s). Heating and the other utilities share the
    public-services target in the assumed in-season ratio.
    """
    unit = daily_expected(with_rates(scenario, {c.name: 1.0 for c in scenario.categories})).sum()
    e = {c: unit[c] * infl.get(c, 1.0) for c in unit.index}
    volume = VOLUME[name].value * scenario.days / (366 if name == "beijing" else 365)
    rates: dict[str, float] = {}
    for group, share in mix_targets(name).items():
        members = [c for c in unit.index if group_of(c) == group]
        if group == "public_services" and "heating" in members:
            # heating's rate per other-utilities rate
            h = HEATING_SHARE_OF_UTILITIES.value / HEATING_SEASON_MULTIPLIER.value
            ps = share * volume / (e["public_services"] + h * e["heating"])
            rates["public_services"], rates["heating"] = ps, h * ps
        else:
            (c,) = members
            rates[c] = share * volume / e[c]
    return rates


def fit_consultation(
    scenario: Scenario, name: str, infl: dict[str, float]
) -> tuple[float, dict[str, float]]:
    """Common logit shift of the assumed consultation spread that hits the target share
    (brentq)."""
    from scipy.optimize import brentq

    first = expected_first_contacts(scenario)
    contacts = np.array([first[c] * infl.get(c, 1.0) for c in first.index])
    base = np.array([logit(CONSULTATION_BASE[c]) for c in first.index])
    target = CONSULTATION_TARGET[name].value

    def share(theta: float) -> float:
        return float((contacts * logistic(base + theta)).sum() / contacts.sum())

    theta = float(brentq(lambda t: share(t) - target, -5, 5, xtol=1e-10))
    return theta, {c: float(logistic(b + theta)) for c, b in zip(first.index, base, strict=True)}


def problem_inflation(
    scenario: Scenario, infl: dict[str, float], per_problem: dict[str, float]
) -> dict[str, float]:
    """Contacts per unit of ``rate x E_c`` once each category's ``appeals_per_problem`` is
    set to the measured contacts per problem: consultations (share cs) bring their own
    contacts per first contact, problems (1 - cs) exactly one contact per unit of rate."""
    out = dict(infl)
    for c in scenario.categories:
        if c.name in per_problem:
            out[c.name] = c.consultation_share * infl.get(c.name, 1.0) + 1 - c.consultation_share
    return out


def fit_shift_plan(
    scenario: Scenario, call_inflation: float, calls_a_day: float
) -> tuple[list[int], dict[str, float]]:
    """Operators per hour = c0 + c1 x offered load; c0, c1 solve peak = 650 and 90 calls
    (answered calls and callbacks, ``calls_a_day``) per operator per 8-hour shift; where that
    needs a negative night crew, c0 = 0 (the fewest operator-hours with 650 at the peak)."""
    load = hourly_offered_load(scenario, call_inflation)
    on_duty_hours = calls_a_day * SHIFT_HOURS / CALLS_PER_SHIFT.value  # operator-hours a day
    # peak: c0 + c1 max(load) = 650; total: 24 c0 + c1 sum(load) = on_duty_hours
    a = np.array([[1.0, load.max()], [24.0, load.sum()]])
    c0, c1 = np.linalg.solve(a, [PEAK_ON_DUTY.value, on_duty_hours])
    if c0 < 0:
        c0, c1 = 0.0, PEAK_ON_DUTY.value / load.max()
    plan = [int(round(c0 + c1 * x)) for x in load]
    return plan, {
        "night_crew": float(c0),
        "per_erlang": float(c1),
        "peak_load": float(load.max()),
        "calls_a_day": float(calls_a_day),
        "calls_per_shift": float(calls_a_day * SHIFT_HOURS / sum(plan)),
    }


@dataclass(frozen=True)
class Judging:
    """How the pilot's work orders were judged with problems on: per closing tier, the share
    really fixed over the tier's fix probability in the pilot (merged cases, effort), and what
    a resident says of a case closed with and without a fix."""

    fix_ratio: dict[str, float]
    if_fixed: dict[str, float] | None
    """P("resolved") of a fixed problem by tier; None: the resolution probability."""
    if_not_fixed: float

    @classmethod
    def of(cls, pilot: PilotSample, scenario: Scenario) -> Judging | None:
        """None without problems (every resident answers from the resolution probability)."""
        if pilot.fixed is None or not scenario.problems.enabled:
            return None
        fixed = pd.Series(pilot.fixed, dtype=float).groupby(pd.Series(pilot.tier)).mean()
        fix = {str(k): v for k, v in scenario.problems.fix_probability.items()}
        ratio = {
            t: float(fixed[t] / fix[t]) if t in fixed.index and fix[t] > 0 else 1.0
            for t in WORK_TIERS
        }
        own = scenario.problems.resolved_if_fixed
        if_fixed = None if own is None else {str(k): v for k, v in own.items()}
        return cls(ratio, if_fixed, scenario.problems.resolved_if_not_fixed)


def _levels(level: float) -> dict[str, float]:
    return {t: level + RESOLUTION_PROFILE[t] for t in WORK_TIERS}


def resolved_probability(
    resolution: dict[str, float], pilot: PilotSample, judging: Judging | None
) -> np.ndarray:
    """P(resolved at the callback) of each of the pilot's valid work orders: the tier's
    resolution probability; with problems, q x P(resolved | fixed) + (1 - q) x
    ``if_not_fixed``, where q, the probability that the closing really fixed the problem, is
    the tier's fix probability (the level's, tied) x the pilot's fix ratio."""
    tiers = pd.Series(pilot.tier)
    p = tiers.map(resolution).to_numpy(float)
    if judging is None:
        return p
    q = np.clip(tiers.map(judging.fix_ratio).to_numpy(float) * p, 0.0, 1.0)
    said = p if judging.if_fixed is None else tiers.map(judging.if_fixed).to_numpy(float)
    return np.asarray(q * said + (1 - q) * judging.if_not_fixed)


def expected_resolution(level: float, pilot: PilotSample, judging: Judging | None = None) -> float:
    """Expected resolution rate of the pilot's valid work orders at a common level."""
    return float(resolved_probability(_levels(level), pilot, judging).mean())


def fit_resolution_level(
    target: float, pilot: PilotSample, judging: Judging | None = None
) -> float:
    """Common level of the assumed tier profile. Without problems expected resolution is
    linear in it (closed form); with problems, the level is the fix probability and the
    expected resolution rises with it (brentq)."""
    if judging is None:
        offset = pd.Series(pilot.tier).map(RESOLUTION_PROFILE).mean()
        return float(target - offset)
    from scipy.optimize import brentq

    low = 0.0 if judging.if_fixed is not None else judging.if_not_fixed / 2
    high = 1.0 - max(RESOLUTION_PROFILE.values())
    lo, hi = (expected_resolution(x, pilot, judging) for x in (low, high))
    if not lo <= target <= hi:
        raise FitError(
            f"resolution {target:.4f} cannot be reached with problems on: the expected "
            f"resolution runs from {lo:.4f} to {hi:.4f} over levels {low:.3f}-{high:.3f} "
            f"(problems.resolved_if_not_fixed {judging.if_not_fixed})"
        )
    return float(
        brentq(lambda x: expected_resolution(x, pilot, judging) - target, low, high, xtol=1e-12)
    )


def resolution_dict(level: float) -> dict[str, float]:
    """``feedback.resolution_probability`` for a level (rounded to 4 decimals, as written)."""
    return {
        "hotline": HOTLINE_RESOLUTION.value,
        **{t: round(level + RESOLUTION_PROFILE[t], 4) for t in WORK_TIERS},
    }


def fix_dict(level: float) -> dict[str, float]:
    """``problems.fix_probability`` for a level: the resolution probability's work tiers (tied,
    assumed; rounded to 4 decimals, as written)."""
    return {t: round(min(1.0, level + RESOLUTION_PROFILE[t]), 4) for t in WORK_TIERS}


def expected_satisfaction(
    intercept: float,
    resolved_effect: float,
    pilot: PilotSample,
    resolved: np.ndarray,
    spec: Satisfaction,
    shift: float = 0.0,
) -> float:
    """Expected satisfaction rate of the pilot's valid work orders under the ordinal-logistic
    model, with the rate's weights of :func:`govsim.core.rates.satisfaction_points`;
    ``resolved``: each order's probability of "resolved" (:func:`resolved_probability`)."""
    p = np.asarray(resolved, dtype=float)
    base = (
        intercept
        + shift
        - spec.lateness_effect * np.asarray(pilot.lateness)
        - spec.handoff_effect * np.asarray(pilot.handoffs)
    )

    def points(score: np.ndarray) -> np.ndarray:
        satisfied, basic_or_better = logistic(score), logistic(score + spec.basic_gap)
        return np.asarray(satisfaction_points(satisfied, basic_or_better - satisfied))

    return float((p * points(base + resolved_effect) + (1 - p) * points(base)).mean())


def fit_satisfaction(
    pilots: dict[str, PilotSample],
    resolved: dict[str, np.ndarray],
    spec: Satisfaction,
) -> tuple[float, float, float]:
    """Intercept and resolved effect shared by 2019 and 2024 (scipy least squares, 2
    equations); ``resolved``: per scenario, each pilot order's probability of "resolved"."""
    from scipy.optimize import least_squares

    def residuals(x: np.ndarray) -> list[float]:
        return [
            expected_satisfaction(x[0], x[1], pilots[n], resolved[n], spec)
            - RATES[n]["satisfaction"].value
            for n in FITTED_SCENARIOS
        ]

    fit = least_squares(
        residuals, x0=[-1.0, 3.0], bounds=([-10, 0], [10, 15]), xtol=1e-12, ftol=1e-12
    )
    return float(fit.x[0]), float(fit.x[1]), float(np.abs(fit.fun).max())


# -- one pass over the scenarios -------------------------------------------------------
@dataclass(frozen=True)
class ScenarioFit:
    """The values fitted for one scenario in one pass, with what they were fitted against."""

    rates: dict[str, float]
    consultation_shift: float
    consultation_shares: dict[str, float]
    resolution_level: float
    resolution: dict[str, float]
    inflation: dict[str, float]
    call_inflation: float
    expected: dict[str, Any]
    """Expected contacts, mix and resolution under the fitted values."""
    offered_load: float
    """Erlang-hours a day at the hotline."""
    calls_a_day: float = 0.0
    """Answered calls and callbacks a day at city scale (the pilot's)."""
    appeals_per_problem: dict[str, float] | None = None
    """Contacts per problem measured in the pilot, written as each category's
    ``problem.appeals_per_problem`` (None without problems)."""
    fix_probability: dict[str, float] | None = None
    """``problems.fix_probability`` (None without problems)."""


@dataclass(frozen=True)
class OperatorsFit:
    beijing: list[int]
    coefficients: dict[str, float]
    load_ratio_2019: float
    population_ratio_haidian: float
    beijing_2019: list[int]
    haidian: list[int]

    def plan(self, name: str) -> list[int]:
        return {"beijing": self.beijing, "beijing-2019": self.beijing_2019}.get(name, self.haidian)


@dataclass(frozen=True)
class FitPass:
    """Everything one pass fitted (an entry of fitted.json's ``iterations``)."""

    scenarios: dict[str, ScenarioFit]
    satisfaction: dict[str, float]
    operators: OperatorsFit

    def to_json(self) -> dict[str, Any]:
        ops = asdict(self.operators)
        return {
            **{name: asdict(fit) for name, fit in self.scenarios.items()},
            "satisfaction": dict(self.satisfaction),
            "operators": {
                "beijing": ops["beijing"],
                "coefficients": ops["coefficients"],
                "load_ratio_2019": ops["load_ratio_2019"],
                "population_ratio_haidian": ops["population_ratio_haidian"],
                "beijing-2019": ops["beijing_2019"],
                "haidian": ops["haidian"],
            },
        }


def with_shares(scenario: Scenario, shares: dict[str, float]) -> Scenario:
    """The scenario with the given consultation shares."""
    return scenario.model_copy(
        update={
            "categories": [
                c.model_copy(
                    update={"consultation_share": shares.get(c.name, c.consultation_share)}
                )
                for c in scenario.categories
            ]
        }
    )


def fit_pass(files: CalibrationFiles, pilots: dict[str, Measurement]) -> FitPass:
    """One pass of every closed-form / scipy fit against expected values from the pilots."""
    fits: dict[str, ScenarioFit] = {}
    fitted: dict[str, Scenario] = {}
    samples: dict[str, PilotSample] = {}
    resolved: dict[str, np.ndarray] = {}
    for name in FITTED_SCENARIOS:
        scenario = load_scenario(files.scenario(name))
        pilot = pilots[name]
        if pilot.pilot is None:
            raise ValueError(f"{name}: the pilot run kept no pilot sample")
        samples[name] = pilot.pilot
        infl = inflation([pilot])
        per_problem = contacts_per_problem([pilot])
        current = scenario
        for _ in range(3 if per_problem else 1):  # rates and shares move each other's inflation
            fit_infl = problem_inflation(current, infl, per_problem) if per_problem else infl
            rates = fit_rates(current, name, fit_infl)
            fitted[name] = with_rates(current, rates)
            theta, shares = fit_consultation(fitted[name], name, fit_infl)
            current = with_shares(fitted[name], shares)
        judging = Judging.of(pilot.pilot, scenario)
        level = fit_resolution_level(RATES[name]["resolution"].value, pilot.pilot, judging)
        resolution = resolution_dict(level)
        resolved[name] = resolved_probability(resolution, pilot.pilot, judging)
        hotline_share = scenario.arrivals.channels.get("hotline", 0.0)
        nominal = (
            float(expected_first_contacts(scenario).sum()) * pilot.scale
            if per_problem
            else pilot.total("first")
        )
        call_infl = pilot.calls_answered / (nominal * hotline_share)
        first = expected_first_contacts(fitted[name])
        fits[name] = ScenarioFit(
            rates=rates,
            consultation_shift=theta,
            consultation_shares=shares,
            resolution_level=level,
            resolution=resolution,
            inflation=fit_infl,
            call_inflation=call_infl,
            expected={
                "contacts": float(sum(first[c] * fit_infl[c] for c in rates)),
                "mix": expected_mix(fitted[name], fit_infl),
                "resolution": expected_resolution(level, pilot.pilot, judging),
            },
            offered_load=float(hourly_offered_load(fitted[name], call_infl).sum()),
            calls_a_day=(pilot.calls_answered + pilot.work_orders.cases) / pilot.scale / pilot.days,
            appeals_per_problem=per_problem or None,
            fix_probability=fix_dict(level) if judging is not None else None,
        )
    spec = load_scenario(files.scenario("beijing")).feedback.satisfaction
    a, b, resid = fit_satisfaction(samples, resolved, spec)
    plan, coef = fit_shift_plan(
        fitted["beijing"], fits["beijing"].call_inflation, fits["beijing"].calls_a_day
    )
    ratio = fits["beijing-2019"].offered_load / fits["beijing"].offered_load
    pop_ratio = population_of(load_scenario(files.scenario("haidian"))) / population_of(
        load_scenario(files.scenario("beijing"))
    )
    return FitPass(
        scenarios=fits,
        satisfaction={"intercept": a, "resolved_effect": b, "max_residual": resid},
        operators=OperatorsFit(
            beijing=plan,
            coefficients=coef,
            load_ratio_2019=ratio,
            population_ratio_haidian=pop_ratio,
            beijing_2019=[max(1, round(x * ratio)) for x in plan],
            haidian=[max(1, round(x * pop_ratio)) for x in plan],
        ),
    )


def scenario_edits(fit: FitPass) -> dict[str, dict[KeyPath, Value]]:
    """The key paths and values a pass writes, per scenario name (the digits are the
    files')."""
    edits: dict[str, dict[KeyPath, Value]] = {}
    for name, f in fit.scenarios.items():
        edits[name] = {}
        for category, rate in f.rates.items():
            item: KeyPath = ("categories", ("name", category))
            edits[name][(*item, "rate")] = Number.significant(rate, 4)
            edits[name][(*item, "consultation_share")] = Number.fixed(
                f.consultation_shares[category], 4
            )
        for category, a in (f.appeals_per_problem or {}).items():
            item = ("categories", ("name", category), "problem", "appeals_per_problem")
            edits[name][item] = Number.significant(a, 4)
        edits[name][("feedback", "resolution_probability")] = dict(f.resolution)
        if f.fix_probability is not None:
            edits[name][("problems", "fix_probability")] = dict(f.fix_probability)
        edits[name][("hotline", "operators")] = fit.operators.plan(name)
    edits["beijing"][("feedback", "satisfaction")] = {
        "intercept": Number.fixed(fit.satisfaction["intercept"], 4),
        "resolved_effect": Number.fixed(fit.satisfaction["resolved_effect"], 4),
    }
    edits["haidian"] = {("hotline", "operators"): fit.operators.haidian}
    return edits


def write_scenarios(files: CalibrationFiles, fit: FitPass) -> list[Path]:
    """Write a pass's values into the scenario files; the files that changed."""
    changed = []
    for name, edits in scenario_edits(fit).items():
        if set_values(files.scenario(name), edits):
            changed.append(files.scenario(name))
    return changed


# -- the whole scenario fit ------------------------------------------------------------
def pilot_tasks(files: CalibrationFiles, iteration: int) -> list[CalibrationTask]:
    """One pilot year of each fitted scenario's scaled copy."""
    tasks = []
    for name in FITTED_SCENARIOS:
        full = load_scenario(files.scenario(name))
        copy = scaled_copy(full)
        (seed,) = replication_seeds(PILOT_ROOT + iteration, 1)
        tasks.append(
            CalibrationTask(f"{name} pilot {iteration}", copy, seed, scale_factor(full, copy), True)
        )
    return tasks


def fit_scenarios(
    files: CalibrationFiles,
    executor: Executor,
    say: Callable[[str], None] = print,
    progress: bool = True,
) -> list[FitRecord]:
    """Fit the scenarios (ITERATIONS passes), write the values and fitted.json; the records."""
    history: list[FitPass] = []
    for it in range(1, ITERATIONS + 1):
        say(f"[fit] iteration {it}: pilot years (scaled copies, one replication each)")
        runs = run_tasks(pilot_tasks(files, it), executor, f"fit: pilots {it}", progress)
        fit = fit_pass(files, dict(zip(FITTED_SCENARIOS, runs, strict=True)))
        history.append(fit)
        write_scenarios(files, fit)
    records = describe(history)
    saved = read_fitted(files)
    saved.update(
        {"records": [r.to_json() for r in records], "iterations": [h.to_json() for h in history]}
    )
    write_fitted(files, saved)
    say(f"[fit] wrote fitted values into the scenario files and {files.fitted}")
    return records


def read_fitted(files: CalibrationFiles) -> dict[str, Any]:
    """fitted.json as it is (empty without one); keys ``records``, ``iterations``,
    ``fact_records``."""
    if not files.fitted.is_file():
        return {}
    try:
        data = json.loads(files.fitted.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserInputError(f"not valid JSON: {exc}", source=str(files.fitted)) from None
    return data if isinstance(data, dict) else {}


def write_fitted(files: CalibrationFiles, data: dict[str, Any]) -> None:
    text = json.dumps(
        {k: data[k] for k in ("records", "iterations", "fact_records") if k in data}, indent=2
    )
    write_text(files.fitted, text + "\n")


def _problem_records(name: str, v: ScenarioFit, p: ScenarioFit) -> list[FitRecord]:
    """The record of the contacts per problem (none without problems)."""
    now, before = v.appeals_per_problem, p.appeals_per_problem or {}
    if not now:
        return []
    change = max(abs(x / before.get(k, x) - 1) for k, x in now.items())
    return [
        FitRecord(
            name,
            "categories.*.problem.appeals_per_problem",
            {k: round(x, 4) for k, x in now.items()},
            "closed form: contacts per problem arisen in the pilot year (its first report, "
            "duplicates while a case is open, repeats after a closing without a fix), at the "
            "city's own time to close: the problems arising at rate x (1 - consultation share) "
            "/ this bring the rate's appeals",
            "",
            f"max relative change {change:.2%}",
        )
    ]


def describe(history: list[FitPass]) -> list[FitRecord]:
    """The records of a scenario fit: each parameter, its method, residual and last change."""
    last, prev = history[-1], history[0]
    out: list[FitRecord] = []
    for name in FITTED_SCENARIOS:
        v, p = last.scenarios[name], prev.scenarios[name]
        exp = v.expected
        change = max(abs(v.rates[k] / p.rates[k] - 1) for k in v.rates)
        out += [
            FitRecord(
                name,
                "categories.*.rate",
                {k: round(x, 5) for k, x in v.rates.items()},
                "closed form: rate_c = target share_c x target volume / (arrival model integrated "
                "over the year at rate 1 x contacts per first contact measured in a pilot year of "
                "the scaled copy)",
                f"expected contacts {exp['contacts']:,.0f} vs {VOLUME[name].value:,.0f}",
                f"max relative change {change:.2%}",
            ),
            *_problem_records(name, v, p),
            FitRecord(
                name,
                "consultation level (logit shift of the assumed spread)",
                round(v.consultation_shift, 4),
                "scipy brentq on the expected consultation share of contacts",
                f"target {CONSULTATION_TARGET[name].value:.3f} met to 1e-10",
                f"{v.consultation_shift - p.consultation_shift:+.4f}",
            ),
            FitRecord(
                name,
                "resolution level (grid/street; districts, departments -0.01)",
                round(v.resolution_level, 4),
                "brentq: expected work-order resolution of the pilot year's valid callbacks (their "
                "closing tier and true fix); the level is the fix probability "
                "(problems.fix_probability; feedback.resolution_probability carries the same "
                "profile), residents say resolved with problems.resolved_if_fixed (0.98, "
                "assumed) after a fix and resolved_if_not_fixed (0.2, assumed) without one"
                if v.fix_probability is not None
                else "closed form: expected work-order resolution is linear in the level (tier "
                "mix of valid callbacks from the pilot year)",
                f"expected {exp['resolution']:.4f} vs {RATES[name]['resolution'].value}",
                f"{v.resolution_level - p.resolution_level:+.4f}",
            ),
        ]
    s, ps = last.satisfaction, prev.satisfaction
    o = last.operators
    out += [
        FitRecord(
            "beijing + beijing-2019",
            "feedback.satisfaction.intercept, resolved_effect",
            {
                "intercept": round(s["intercept"], 4),
                "resolved_effect": round(s["resolved_effect"], 4),
            },
            "scipy least_squares: expected satisfaction of the pilot years' valid work orders "
            "(their closing tier, lateness and hand-offs) = 97.3% (2024) and 87% (2019), one "
            "model for both years",
            f"max |expected - target| {s['max_residual']:.1e}",
            f"intercept {s['intercept'] - ps['intercept']:+.4f}, resolved_effect "
            f"{s['resolved_effect'] - ps['resolved_effect']:+.4f}",
        ),
        FitRecord(
            "beijing",
            "hotline.operators (shift plan)",
            o.beijing,
            "closed form (2 linear equations): operators = night crew + c x offered load of the "
            "hour; peak = 650, 90 calls (answered calls and callbacks) per operator per 8-hour "
            "shift (night crew 0 where that would need a negative one)",
            f"night crew {o.coefficients['night_crew']:.1f}, "
            f"{o.coefficients['per_erlang']:.3f} per erlang, "
            f"{o.coefficients['calls_per_shift']:.1f} calls per shift",
            "",
        ),
        FitRecord(
            "beijing-2019",
            "hotline.operators",
            o.beijing_2019,
            f"assumed rule: the 2024 plan x 2019/2024 offered load ({o.load_ratio_2019:.3f})",
            "",
            "",
        ),
        FitRecord(
            "haidian",
            "hotline.operators",
            o.haidian,
            "assumed rule: the 2024 plan x Haidian's population share "
            f"({o.population_ratio_haidian:.4f})",
            "",
            "",
        ),
    ]
    return out
