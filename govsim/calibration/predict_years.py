"""Predictions in other years: Beijing 2020-2021 from the 2019 fit, 2019 from the 2024 fit.

Two settings, each a scaled copy (:mod:`~govsim.calibration.scaling`) of a calibrated
scenario changed only where a published figure or a fitted mechanism says so:

- **2020-2021** (``experiments/calibration/beijing-2020-21.yaml``, ``base:`` the 2019
  scenario): the 2019 fit carried forward (resolution level, satisfaction model,
  consultation level, category rates), the ranking behaviour fitted on 2019 (facts (a) and
  (c)) running on from January 2020, the 2021 monthly topics with fact (b)'s efficacy; the
  volumes of 2020 and 2021 from the published series (:func:`setting_2020_21`). It predicts
  the 2021 rates, 2019-2021 as a whole (with the fitted 2019 year), the 2020 epidemic
  cases' rates and the 2020 dispatched orders.
- **2019 from the 2024 fit** (item 4 of issue 30): the 2019 scenario's inputs (volume, mix,
  consultation share) with 2024's quality (its resolution level). The model has no
  mechanism that moves quality between the years outside ranking, so it predicts 2024's
  rates for 2019: a test it should fail, reported as it comes. Its figure is the one the
  2019 fit uses, so it is listed apart (:func:`out_of_sample`), not among the predictions.

Each :class:`Prediction` states its figure, tolerance and setting before its first run.
The runs are shared by the predictions of a setting (one batch per setting, cached for the
invocation). :func:`scale_comparison` runs the other out-of-sample check, Haidian at full
scale against the city, which has no published figure of its own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any, cast

from govsim.calibration.facts import GOVERNANCE, HEATING_TOPIC, RANKING, _policy
from govsim.calibration.files import CalibrationFiles
from govsim.calibration.measure import (
    CalibrationTask,
    Measurement,
    RateCounts,
    map_tasks,
    run_tasks,
)
from govsim.calibration.predictions import Prediction, PredictionContext, Tolerance
from govsim.calibration.scaling import SCALED_STREETS, scale_factor, scaled_copy
from govsim.calibration.targets import CONSULTATION_BASE, Figure
from govsim.core.intervals import Interval, mean_ci
from govsim.experiments.design import replication_seeds
from govsim.scenario.loader import load_scenario, validate
from govsim.scenario.schema import Scenario

SETTING_2020_21 = "beijing-2020-21.yaml"
"""The 2020-2021 setting's file, under ``experiments/calibration/``."""


# -- the published volumes the settings are built from (contacts, 10,000s) ----------------
CONTACTS_2019 = 696.0
"""2019 (Beijing press; the 2019 scenario is fitted to it)."""
CONTACTS_2020 = 1104.0
"""2020 (Beijing Daily 2021-01-08)."""
EPIDEMIC_2020 = 107.7
"""COVID contacts in 2020, of the 2020 top ten (Beijing Daily 2021-01-08)."""
CONTACTS_2019_TO_2021_11 = 3134.0
"""January 2019 to November 2021 (Beijing Youth Daily 2021-12)."""
EPIDEMIC_2019_21 = 424.0
"""Epidemic-control requests 2019-2021 (seed 004; the category began in 2020)."""
DAYS_2021_TO_NOVEMBER = 334
CONTACTS_2021 = (
    (CONTACTS_2019_TO_2021_11 - CONTACTS_2019 - CONTACTS_2020) * 365 / (DAYS_2021_TO_NOVEMBER)
)
"""2021: January-November by difference (1,334), December at the months' mean (assumed)."""
EPIDEMIC_2021 = EPIDEMIC_2019_21 - EPIDEMIC_2020
"""2021's epidemic requests by difference (seed 004's 2019-2021 less 2020's)."""
GOVERNANCE_STREETS = 10
"""Streets in the governance class each month (Beijing press: the 10 with most appeals)."""
EPIDEMIC = "epidemic"
EPIDEMIC_SPEC: dict[str, Any] = {
    "urgency": "utility",
    "department": "health",
    "department_route_share": 0.5,
}
"""The epidemic category's handling when beijing.yaml has none (assumed, as beijing.yaml had
it before issue 30): a 24-hour limit, the health department, half routed straight to it; its
problems as market regulation's (the category its rate is taken from)."""

ROOTS = {
    "2020-21": 2021,
    "2020-21 without prevention": 2021,
    "2019": 20190,
    "2019-from-2024": 20240,
}
"""Root seeds of each setting's replications (apart from the verification's and the fits').
"2020-21 without prevention" is a diagnostic beside the predictions, not one of their
settings: the same runs (common random numbers) with fact (c)'s governance prevention off."""
HAIDIAN_ROOT, HAIDIAN_DAYS, HAIDIAN_START = 3402, 30, "2024-03-04"


# -- the settings ------------------------------------------------------------------------
def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def setting_2020_21(files: CalibrationFiles, prevention: bool = True) -> Scenario:
    """The 2020-2021 setting at full scale: the setting file with what it cannot say.

    - the ranking's and the topic's values from the fact files (facts (a), (c), (b));
    - an epidemic category (2020's 107.7 of 1,104 contacts, at the rate of market regulation
      x 107.7 / 98, their 2020 ratio; its problems as market regulation's), its consultation
      share the assumed base moved by the 2019 consultation level (the logit shift of market
      regulation's share);
    - the volumes as surges on the 2019 rates: 2020 at (1,104 - 107.7) / 696 contacts a day
      of 2019's; 2021's other categories at (2021 - epidemic 2021) / 696 and the epidemic
      at its 2021 requests over its 2019-rate volume;
    - the hotline's shift plan of 2024 (no 2020-21 operator figure; 2024's volume is larger).

    ``prevention`` off: fact (c)'s governance prevention at 0 (a diagnostic: a listed
    street's appeals fall for good, so two years of listings cut the city's volume).
    """
    scenario = load_scenario(files.data / SETTING_2020_21)
    full_2024 = load_scenario(files.scenario("beijing"))
    data = scenario.model_dump(mode="json")
    ranking = _policy(files, "a_ranking", RANKING)
    governance = _policy(files, "c_governance", GOVERNANCE)
    topic = _policy(files, "b_heating", HEATING_TOPIC)
    for policy in data["policies"]:
        if policy["type"] == "ranking":
            for key in ("improvement_rate", "service_gain", "quality_ceiling"):
                policy[key] = ranking[key]
            for key in ("governance_months", "governance_prevention"):
                policy[key] = governance[key]
            if not prevention:
                policy["governance_prevention"] = 0.0
        if policy["type"] == "monthly_topic":
            for key in ("efficacy", "lag_days"):
                policy[key] = topic[key]
    categories = data["categories"]
    by_name = {c["name"]: c for c in categories}
    market = by_name["market_regulation"]
    level = _logit(market["consultation_share"]) - _logit(CONSULTATION_BASE["market_regulation"])
    known = {c.name: c for c in full_2024.categories}
    spec = (
        known[EPIDEMIC].model_dump(mode="json", exclude={"rate", "consultation_share"})
        if EPIDEMIC in known
        else {**EPIDEMIC_SPEC, "name": EPIDEMIC, "problem": market["problem"]}
    )
    epidemic_rate = market["rate"] * EPIDEMIC_2020 / 98.0
    share = 1 / (1 + math.exp(-(_logit(CONSULTATION_BASE[EPIDEMIC]) + level)))
    categories.append({**spec, "rate": epidemic_rate, "consultation_share": round(share, 4)})
    year_2019 = 365
    others = [c["name"] for c in categories if c["name"] != EPIDEMIC]
    epidemic_at_2019_rate = CONTACTS_2019 * EPIDEMIC_2020 / (CONTACTS_2020 - EPIDEMIC_2020)
    data["arrivals"]["surges"] = [
        {
            "name": "2020 volume",
            "start_day": 0,
            "end_day": 366,
            "multiplier": (CONTACTS_2020 - EPIDEMIC_2020) / CONTACTS_2019 * year_2019 / 366,
        },
        {
            "name": "2021 volume",
            "start_day": 366,
            "end_day": 731,
            "multiplier": (CONTACTS_2021 - EPIDEMIC_2021) / CONTACTS_2019,
            "categories": others,
        },
        {
            "name": "2021 epidemic",
            "start_day": 366,
            "end_day": 731,
            "multiplier": EPIDEMIC_2021 / epidemic_at_2019_rate,
            "categories": [EPIDEMIC],
        },
    ]
    data["hotline"]["operators"] = full_2024.hotline.operators
    return validate(data, source=str(files.data / SETTING_2020_21))


def setting_2019_from_2024(files: CalibrationFiles) -> Scenario:
    """Beijing 2019's inputs (volume, mix, consultation share, its hotline) with 2024's
    quality: the 2024 fit's resolution probabilities and the problems' fix probabilities tied
    to them (the satisfaction model is one for both years already)."""
    scenario = load_scenario(files.scenario("beijing-2019"))
    fitted_2024 = load_scenario(files.scenario("beijing"))
    quality = fitted_2024.feedback.resolution_probability
    feedback = scenario.feedback.model_copy(update={"resolution_probability": dict(quality)})
    problems = scenario.problems.model_copy(
        update={"fix_probability": dict(fitted_2024.problems.fix_probability)}
    )
    return scenario.model_copy(
        update={"name": "beijing-2019-from-2024", "feedback": feedback, "problems": problems}
    )


def _copy(full: Scenario) -> Scenario:
    """The scaled copy, its governance class cut to the copy's share of Beijing's 10 streets."""
    copy = scaled_copy(full)
    if not any(p.type == "ranking" for p in copy.policies):
        return copy
    data = copy.model_dump(mode="json")
    for policy in data["policies"]:
        if policy["type"] == "ranking":
            streets = full.city.synthetic.streets if full.city.synthetic else SCALED_STREETS
            policy["governance_count"] = max(
                1, round(GOVERNANCE_STREETS * SCALED_STREETS / streets)
            )
    return validate(data, source=f"<{copy.name}>")


# -- one run, by year of creation --------------------------------------------------------
@dataclass(frozen=True)
class YearCounts:
    """One calendar year of a run: contacts, work orders and their rate counts."""

    contacts: int
    work_orders: int
    rates: RateCounts
    """Work orders created in the year."""
    epidemic: RateCounts | None
    """The epidemic category's work orders (None without the category)."""


@dataclass(frozen=True)
class YearsRun:
    run_id: str
    scale: float
    years: dict[str, YearCounts]
    wall: float


def measure_years(task: CalibrationTask) -> YearsRun:
    """Simulate ``task`` and count it by year of creation (runs in a worker process)."""
    from govsim.results.kpis_from_cases import assess
    from govsim.simulate import simulate

    started = time.perf_counter()
    scenario = task.scenario.model_copy(
        update={"output": task.scenario.output.model_copy(update={"cases_table": True})}
    )
    result = simulate(scenario, seed=task.seed)
    if result.cases is None:
        raise ValueError(f"{task.run_id}: no case table")
    assessed = assess(result.cases, scenario, scenario.days * 24)
    year = assessed["month"].str[:4]
    work = assessed["dispatched"].notna()
    epidemic = assessed["category"].astype(str).eq(EPIDEMIC)
    has_epidemic = any(c.name == EPIDEMIC for c in scenario.categories)
    years = {}
    for y in sorted(year.unique()):
        in_year = year.eq(y)
        years[str(y)] = YearCounts(
            contacts=int(in_year.sum()),
            work_orders=int((in_year & work).sum()),
            rates=RateCounts.of(assessed[in_year & work]),
            epidemic=RateCounts.of(assessed[in_year & work & epidemic]) if has_epidemic else None,
        )
    return YearsRun(task.run_id, task.scale, years, time.perf_counter() - started)


def runs(ctx: PredictionContext, key: str) -> list[YearsRun]:
    """The replications of setting ``key`` (simulated once per context, then reused)."""
    handle = f"years: {key}"
    if handle not in ctx.settings:
        full = {
            "2020-21": lambda: setting_2020_21(ctx.files),
            "2020-21 without prevention": lambda: setting_2020_21(ctx.files, prevention=False),
            "2019": lambda: load_scenario(ctx.files.scenario("beijing-2019")),
            "2019-from-2024": lambda: setting_2019_from_2024(ctx.files),
        }[key]()
        copy = _copy(full)
        f = scale_factor(full, copy)
        tasks = [
            CalibrationTask(f"{key} r{r}", copy, seed, f)
            for r, seed in enumerate(replication_seeds(ROOTS[key], ctx.replications))
        ]
        ctx.settings[handle] = map_tasks(tasks, ctx.executor, measure_years, key, ctx.progress)
    return cast(list[YearsRun], ctx.settings[handle])


def pooled(*counts: RateCounts) -> RateCounts:
    """Rate counts summed (rates of the union: volume-weighted)."""
    return RateCounts(
        **{f.name: sum(getattr(c, f.name) for c in counts) for f in fields(RateCounts)}
    )


# -- the predictions ---------------------------------------------------------------------
Values = Callable[[PredictionContext], list[float]]


def _year_rate(key: str, year: str, rate: str, epidemic: bool = False) -> Values:
    def values(ctx: PredictionContext) -> list[float]:
        out = []
        for run in runs(ctx, key):
            counts = run.years[year].epidemic if epidemic else run.years[year].rates
            if counts is None:
                raise ValueError(f"{run.run_id}: no epidemic category")
            out.append(counts.rate(rate))
        return out

    return values


def _pooled_2019_21(rate: str) -> Values:
    def values(ctx: PredictionContext) -> list[float]:
        later = runs(ctx, "2020-21")
        first = runs(ctx, "2019")
        return [
            pooled(a.years["2019"].rates, b.years["2020"].rates, b.years["2021"].rates).rate(rate)
            for a, b in zip(first, later, strict=True)
        ]

    return values


def _dispatched_2020(ctx: PredictionContext) -> list[float]:
    return [run.years["2020"].work_orders / run.scale for run in runs(ctx, "2020-21")]


SETTING_TEXT = (
    "experiments/calibration/beijing-2020-21.yaml: the 1:16.3 copy of beijing-2019.yaml from "
    "1 January 2020 to 31 December 2021 (731 days); volumes from the published series (2020: "
    "11.04 M contacts with 107.7 (10,000s) COVID; 2021: 31.34 M to November 2021 less 2019 "
    "and 2020, epidemic 4.24 M (004) less 2020's); ranking (fact (a), fact (c)) from January "
    "2020, monthly topics (fact (b)) from January 2021"
)
UNTOUCHED_2020_21 = (
    "no parameter was fitted to a 2020 or 2021 figure: resolution level, consultation level "
    "and rates are the 2019 fit's, the satisfaction model the joint 2019 + 2024 fit's, the "
    "ranking behaviour fitted on January-October 2019 (fact (a)) and the governance street "
    "(fact (c)), the topic's efficacy on heating (fact (b)); the rates move only through "
    "the ranking running on"
)


def predictions() -> tuple[Prediction, ...]:
    """The predictions of this module, in report order (each with what a miss would say)."""
    return tuple(replace(p, miss_means=MISS_MEANS[p.key]) for p in _predictions())


def _predictions() -> tuple[Prediction, ...]:
    pct = "{:.1%}"
    share = "share of valid callbacks"
    points = "satisfaction points per valid callback"
    return (
        Prediction(
            key="rates_2021_resolution",
            target="2021 resolution rate of work orders, from the 2019 fit and the reforms",
            published=Figure(0.89, share, "rates_2021"),
            tolerance=Tolerance("points", 0.03),
            setting=SETTING_TEXT + "; work orders created in 2021",
            untouched=UNTOUCHED_2020_21,
            measure=_year_rate("2020-21", "2021", "resolution"),
            fmt=pct,
        ),
        Prediction(
            key="rates_2021_satisfaction",
            target="2021 satisfaction rate of work orders, from the 2019 fit and the reforms",
            published=Figure(0.92, points, "rates_2021"),
            tolerance=Tolerance("points", 0.03),
            setting=SETTING_TEXT + "; work orders created in 2021",
            untouched=UNTOUCHED_2020_21,
            measure=_year_rate("2020-21", "2021", "satisfaction"),
            fmt=pct,
        ),
        Prediction(
            key="rates_2019_21_resolution",
            target="2019-2021 resolution rate as a whole (valid callbacks pooled over the years)",
            published=Figure(0.85, share, "rates_2019_21"),
            tolerance=Tolerance("points", 0.03),
            setting="2019: the 1:16.3 copy of beijing-2019.yaml (a year); 2020-2021: "
            + SETTING_TEXT,
            untouched=UNTOUCHED_2020_21
            + "; 2019's part (a third of the work orders in the runs: 2.5 of 7.3 M) is "
            "the fitted 2019 year (75%), so the figure is predicted in its 2020-2021 part only",
            measure=_pooled_2019_21("resolution"),
            fmt=pct,
        ),
        Prediction(
            key="rates_2019_21_satisfaction",
            target="2019-2021 satisfaction rate as a whole (valid callbacks pooled over the years)",
            published=Figure(0.90, points, "rates_2019_21"),
            tolerance=Tolerance("points", 0.03),
            setting="2019: the 1:16.3 copy of beijing-2019.yaml (a year); 2020-2021: "
            + SETTING_TEXT,
            untouched=UNTOUCHED_2020_21
            + "; 2019's part (a third of the work orders in the runs: 2.5 of 7.3 M) is "
            "the fitted 2019 year (87%), so the figure is predicted in its 2020-2021 part only",
            measure=_pooled_2019_21("satisfaction"),
            fmt=pct,
        ),
        Prediction(
            key="epidemic_2020_resolution",
            target="2020 resolution rate of the epidemic category's work orders",
            published=Figure(0.943, share, "epidemic_2020"),
            tolerance=Tolerance("points", 0.03),
            setting=SETTING_TEXT + "; epidemic work orders created in 2020",
            untouched=UNTOUCHED_2020_21 + "; the epidemic category's handling (urgency, "
            "department, routing) is assumed, its volume the 2020 top ten's",
            measure=_year_rate("2020-21", "2020", "resolution", epidemic=True),
            fmt=pct,
        ),
        Prediction(
            key="epidemic_2020_satisfaction",
            target="2020 satisfaction rate of the epidemic category's work orders",
            published=Figure(0.941, points, "epidemic_2020"),
            tolerance=Tolerance("points", 0.03),
            setting=SETTING_TEXT + "; epidemic work orders created in 2020",
            untouched=UNTOUCHED_2020_21 + "; the epidemic category's handling (urgency, "
            "department, routing) is assumed, its volume the 2020 top ten's",
            measure=_year_rate("2020-21", "2020", "satisfaction", epidemic=True),
            fmt=pct,
        ),
        Prediction(
            key="dispatched_2020",
            target="2020 work orders dispatched to handling units",
            published=Figure(4.5e6, "work orders a year", "dispatch_2020"),
            tolerance=Tolerance("relative", 0.10),
            setting=SETTING_TEXT + "; work orders created in 2020 / the scale factor",
            untouched="the 2020 contacts (11.04 M) and mix are inputs; the share dispatched is "
            "2019's consultation level (fitted to 2019's 2.52 M of 6.96 M) on the 2020 mix "
            "(the epidemic category's assumed base share moved by it); no 2020 share was used "
            "(the 58.5% of 2019-2021 is fitted in the 2024 scenario only)",
            measure=_dispatched_2020,
            fmt="{:,.0f}",
        ),
    )


def out_of_sample() -> tuple[Prediction, ...]:
    """The out-of-sample runs with a published figure (item 4 of issue 30), stated like the
    predictions but listed apart: their figure is one a calibrated scenario is fitted to (here
    2019's 75%, in the 2019 fit), so they cannot count among the figures no fit touched; the
    run replaces that fit by another year's."""
    return tuple(replace(p, miss_means=MISS_MEANS[p.key]) for p in _out_of_sample())


def _out_of_sample() -> tuple[Prediction, ...]:
    pct = "{:.1%}"
    share = "share of valid callbacks"
    return (
        Prediction(
            key="rates_2019_from_2024_resolution",
            target="2019 resolution rate of work orders from the 2024 fit (out of sample)",
            published=Figure(0.75, share, "rates_2019"),
            tolerance=Tolerance("points", 0.03),
            setting="the 1:16.3 copy of beijing-2019.yaml (volume, mix, consultation share and "
            "hotline of 2019: inputs) with beijing.yaml's resolution probabilities (the 2024 "
            "fit), a year",
            untouched="the resolution level is the 2024 fit's (97%); 2019's 75% was used only "
            "in the 2019 fit, which this run replaces; nothing in the model moves quality "
            "between the years but ranking, which is off in both calibrated years",
            measure=_year_rate("2019-from-2024", "2019", "resolution"),
            fmt=pct,
        ),
    )


MISS_MEANS = {
    "rates_2021_resolution": "the ranking's pressure, fitted on 2019's ten months, does not "
    "carry on at that monthly rate through 2020-2021 (above: too fast; below: too slow), or "
    "2021's level came from what the model does not hold (the 2021 regulation, staff, mix)",
    "rates_2021_satisfaction": "satisfaction does not follow resolution as the model couples "
    "them (the joint 2019 + 2024 satisfaction model and the ranking's service gain on top): "
    "above, the service gain adds what the joint model already gives; below, the reverse",
    "rates_2019_21_resolution": "as the 2021 figure, weighted by the years' valid callbacks "
    "(2019 fitted): with 2021 a hit, 2020 is off",
    "rates_2019_21_satisfaction": "as the 2021 figure, weighted by the years' valid callbacks "
    "(2019 fitted): with 2021 a hit, 2020 is off",
    "epidemic_2020_resolution": "the epidemic category's handling (assumed: 24-hour limit, the "
    "health department, the city's quality) is not how epidemic cases were handled in 2020, "
    "a campaign with its own staff and priority the model does not hold",
    "epidemic_2020_satisfaction": "the epidemic category's handling (assumed: 24-hour limit, "
    "the health department, the city's quality) is not how epidemic cases were handled in "
    "2020, a campaign with its own staff and priority the model does not hold",
    "dispatched_2020": "2019's consultation level does not carry to 2020: the share of "
    "contacts dispatched moved between the years (58.5% consultations over 2019-2021 against "
    "63.8% in 2019), which the model holds only as an input of each year",
    "rates_2019_from_2024_resolution": "(expected) quality is an input of each year, not an "
    "outcome of anything modelled but ranking: the rates do not move with volume, load or mix",
}
"""What a miss would say about the model, per key (written after the development runs on the
unrefitted city, before the result runs): each prediction's ``miss_means``."""


# -- another scale: Haidian against the city ---------------------------------------------
@dataclass(frozen=True)
class ScaleRow:
    """One quantity of Haidian at full scale against Beijing's scaled copy, same days."""

    quantity: str
    haidian: Interval
    city: Interval

    @property
    def difference(self) -> float:
        return self.haidian.mean / self.city.mean - 1


def scale_comparison(ctx: PredictionContext) -> list[ScaleRow]:
    """Haidian (full scale, Beijing's fitted parameters) against Beijing 2024's scaled copy,
    both 30 days from 4 March 2024: volumes per resident, consultation share, the three rates
    of work orders. No Haidian figure is published: the out-of-sample question is whether
    the model's rates and per-resident volumes carry from the city to a district with its
    own structure (643 grids, 13,922 sunk staff, 29 streets)."""
    overrides = [f"days={HAIDIAN_DAYS}", f"start_date={HAIDIAN_START}"]
    haidian = load_scenario(ctx.files.scenario("haidian"), overrides)
    full = load_scenario(ctx.files.scenario("beijing"), overrides)
    copy = scaled_copy(full)
    f = scale_factor(full, copy)
    seeds = replication_seeds(HAIDIAN_ROOT, ctx.replications)
    tasks = [CalibrationTask(f"haidian r{r}", haidian, s, 1.0) for r, s in enumerate(seeds)] + [
        CalibrationTask(f"city r{r}", copy, s, f) for r, s in enumerate(seeds)
    ]
    measured = run_tasks(tasks, ctx.executor, "haidian against the city", ctx.progress)
    residents = {"haidian": _population(haidian), "city": _population(copy)}
    quantities: dict[str, Callable[[Measurement, int], float]] = {
        "contacts per 1,000 residents a day": lambda m, n: m.total("contacts") / n * 1000 / m.days,
        "work orders per 1,000 residents a day": lambda m, n: (
            m.total("work_orders") / n * 1000 / m.days
        ),
        "consultation share": lambda m, n: m.consultation_share,
        "response rate (work orders)": lambda m, n: m.work_orders.rate("response"),
        "resolution rate (work orders)": lambda m, n: m.work_orders.rate("resolution"),
        "satisfaction rate (work orders)": lambda m, n: m.work_orders.rate("satisfaction"),
    }
    rows = []
    for name, value in quantities.items():
        sides = {
            side: mean_ci(
                [value(m, residents[side]) for m in measured if m.run_id.startswith(side)]
            )
            for side in residents
        }
        rows.append(ScaleRow(name, sides["haidian"], sides["city"]))
    return rows


def _population(scenario: Scenario) -> int:
    from govsim.calibration.expected import population_of

    return population_of(scenario)
