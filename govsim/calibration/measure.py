"""One calibration run: simulate a task, measure it into a typed record.

A :class:`Measurement` holds what the verification, the fits and the stylized facts read
from one run: counts per category, day and hour, the counts the three rates are made of
(:class:`RateCounts`, turned into rates by :mod:`govsim.core.rates`, the one home of the
formulas), monthly work-order counts, the streets of the governance class. The per-case
assessment (is a response due, on time; a valid callback) is
:func:`govsim.results.kpis_from_cases.assess`,
the table-based reference of the streaming tallies. Records are small, so they travel
back from worker processes; the runs are spread by the experiment executors
(:mod:`govsim.experiments.executors`), local or Dask.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Protocol, TypeVar, cast

import numpy as np
import pandas as pd

from govsim.calibration.expected import shift_plan
from govsim.calibration.targets import group_of
from govsim.core.rates import rates_from_counts
from govsim.experiments.executors import Executor
from govsim.results.kpis_from_cases import assess
from govsim.results.run_tables import RunResult
from govsim.scenario.schema import Scenario
from govsim.simulate import simulate


@dataclass(frozen=True)
class CalibrationTask:
    """One run to simulate and measure; picklable (it goes to a worker process)."""

    run_id: str
    scenario: Scenario
    seed: int
    scale: float = 1.0
    """Residents of this run over residents of the city it stands for."""
    pilot: bool = False
    """Also keep per-work-order arrays for the fits (:class:`PilotSample`)."""
    variant: str = ""
    replication: int = 0


@dataclass(frozen=True)
class RateCounts:
    """The counts the three rates are made of (assessed cases; see
    :func:`govsim.results.kpis_from_cases.assess`)."""

    cases: int
    due: int
    """First responses due: came, or the urgency limit passed before the end."""
    on_time: int
    valid: int
    """Valid callbacks (the resident was reached within the run)."""
    resolved: int
    satisfied: int
    basic: int
    """Basically satisfied (counts 0.9 in the satisfaction rate, :mod:`govsim.core.rates`)."""

    @classmethod
    def of(cls, assessed: pd.DataFrame) -> RateCounts:
        valid = assessed["valid"].to_numpy(bool)
        level = assessed["satisfaction"].astype(object)
        return cls(
            cases=len(assessed),
            due=int(assessed["due"].sum()),
            on_time=int(assessed["on_time"].sum()),
            valid=int(valid.sum()),
            resolved=int(assessed["resolved_n"].sum()),
            satisfied=int((level.eq("satisfied").to_numpy(bool) & valid).sum()),
            basic=int((level.eq("basic").to_numpy(bool) & valid).sum()),
        )

    def rates(self) -> dict[str, float]:
        """Response, resolution and satisfaction rates (NaN without a denominator)."""
        return rates_from_counts({f.name: getattr(self, f.name) for f in fields(self)})

    def rate(self, name: str) -> float:
        return self.rates()[name]


@dataclass(frozen=True)
class CategoryCounts:
    """Cases of one category in one run."""

    created: int
    contacts: int
    """Answered calls and online appeals (abandoned calls excluded), repeats included."""
    first: int
    """First contacts (not a repeat appeal)."""
    consultations: int
    """Answered by the operator (closed at the hotline)."""
    work_orders: int
    """Dispatched."""
    problems: int = 0
    """Problems arisen (problems on; 0 without)."""
    problem_contacts: int = 0
    """Contacts of a problem (its first report, duplicates, repeats); 0 without problems."""
    plain_first: int = 0
    """First contacts without a problem behind them (consultations, with problems on)."""


@dataclass(frozen=True)
class PilotSample:
    """Per valid work order of a pilot run: what the resolution and satisfaction fits need."""

    tier: np.ndarray
    """Closing tier (names)."""
    lateness: np.ndarray
    """Time to close over the urgency limit, less 1, at least 0 (rounded to 4 decimals)."""
    handoffs: np.ndarray
    """Escalations + returns + whistles."""
    fixed: np.ndarray | None = None
    """The case really fixed its problem (problems on; None without)."""


@dataclass(frozen=True)
class Measurement:
    """What the calibration reads from one run."""

    run_id: str
    variant: str
    replication: int
    seed: int
    scale: float
    days: float
    start_date: dt.date
    created: int
    categories: dict[str, CategoryCounts]
    daily: pd.DataFrame
    """Contacts per day (index: dates) and category (columns)."""
    daily_orders: pd.DataFrame
    """Work orders (dispatched) per day of creation and category, as ``daily``."""
    hourly: np.ndarray
    """Contacts per hour of the day (24)."""
    abandoned: int
    calls: int
    calls_answered: int
    work_orders: RateCounts
    """Dispatched cases: the published rates are those of work orders."""
    contacts: RateCounts
    """Every contact, consultations included (what summary.json rates)."""
    monthly: dict[str, RateCounts]
    """Work orders by month of creation (YYYY-MM)."""
    street_month: dict[tuple[str, str], int]
    """Work orders per (month of creation, street)."""
    hotline_utilisation: float
    operator_hours: float
    """Operator-hours staffed over the run (whole days of the daily plan)."""
    prevented: dict[str, int]
    governance: dict[str, list[str]]
    """Month -> the streets the ranking put in the governance class that month."""
    wall: float
    """Seconds to simulate and measure."""
    sim_wall: float
    """Seconds the simulation alone took (its summary's performance block)."""
    pilot: PilotSample | None = None
    dispatch_minutes: float = float("nan")
    """Mean minutes from creation to dispatch of the work orders (the hotline stage: the wait
    for an operator and the talk; none for an online appeal)."""

    def total(self, column: str) -> int:
        """A :class:`CategoryCounts` field summed over categories."""
        return sum(getattr(c, column) for c in self.categories.values())

    @property
    def consultation_share(self) -> float:
        return self.total("consultations") / self.total("contacts")

    def group_counts(self, column: str = "contacts") -> dict[str, float]:
        """A :class:`CategoryCounts` field per published category group."""
        out: dict[str, float] = {}
        for category, counts in self.categories.items():
            group = group_of(category)
            out[group] = out.get(group, 0) + getattr(counts, column)
        return out


def inflation(runs: Sequence[Measurement]) -> dict[str, float]:
    """Contacts (answered calls and online appeals, repeats and redials included) per first
    contact, by category, pooled over ``runs``; with problems on, per first contact without
    a problem (consultations: their redials and repeats)."""
    totals: dict[str, list[float]] = {}
    for run in runs:
        for category, counts in run.categories.items():
            t = totals.setdefault(category, [0.0, 0.0])
            if counts.problems:
                t[0] += counts.contacts - counts.problem_contacts
                t[1] += counts.plain_first
            else:
                t[0] += counts.contacts
                t[1] += counts.first
    return {c: (a / b if b else 1.0) for c, (a, b) in totals.items()}


def contacts_per_problem(runs: Sequence[Measurement]) -> dict[str, float]:
    """Contacts per problem arisen (its first report, duplicates, repeats, redials), by
    category, pooled over ``runs``; empty without problems."""
    totals: dict[str, list[float]] = {}
    for run in runs:
        for category, counts in run.categories.items():
            if counts.problems:
                t = totals.setdefault(category, [0.0, 0.0])
                t[0] += counts.problem_contacts
                t[1] += counts.problems
    return {c: a / b for c, (a, b) in totals.items()}


# -- one run ---------------------------------------------------------------------------
def measure_task(task: CalibrationTask) -> Measurement:
    """Simulate ``task`` with its case table on and measure it (runs in a worker process)."""
    started = time.perf_counter()
    scenario = task.scenario
    if not scenario.output.cases_table:  # experiments switch the table off; we measure from it
        scenario = scenario.model_copy(
            update={"output": scenario.output.model_copy(update={"cases_table": True})}
        )
    result = simulate(scenario, seed=task.seed)
    return measure(result, task, started)


def measure(result: RunResult, task: CalibrationTask, started: float) -> Measurement:
    """The :class:`Measurement` of a finished run (its case table is needed)."""
    cases = result.cases
    if cases is None:
        raise ValueError(f"{task.run_id}: the calibration measures from the case table")
    scenario = task.scenario
    horizon = scenario.days * 24
    names = [c.name for c in scenario.categories]
    category = cases["category"].astype(str)
    contact = cases["status"].astype(str) != "abandoned"
    dispatched = cases["dispatched"].notna()
    of_problem = cases["problem_id"].notna().to_numpy(bool)
    problems = result.problems
    by_category = (
        pd.DataFrame(
            {
                "created": category.value_counts(),
                "contacts": category[contact].value_counts(),
                "first": category[cases["repeat_of"].isna()].value_counts(),
                "consultations": category[
                    cases["final_tier"].astype(str).eq("hotline")
                ].value_counts(),
                "work_orders": category[dispatched].value_counts(),
                "problems": (
                    problems["category"].astype(str).value_counts()
                    if problems is not None
                    else pd.Series(dtype=int)
                ),
                "problem_contacts": category[contact & of_problem].value_counts(),
                "plain_first": category[cases["repeat_of"].isna() & ~of_problem].value_counts(),
            }
        )
        .reindex(names)
        .fillna(0)
        .astype(int)
    )
    n_days = math.ceil(scenario.days)
    day = np.floor(cases["created"] / 24).astype(int)
    daily = pd.crosstab(day[contact], category[contact]).reindex(
        index=range(n_days), columns=names, fill_value=0
    )
    daily.index = pd.date_range(scenario.start_date, periods=n_days, freq="D", name="date")
    daily.columns.name = None
    daily_orders = pd.crosstab(day[dispatched], category[dispatched]).reindex(
        index=range(n_days), columns=names, fill_value=0
    )
    daily_orders.index = daily.index
    daily_orders.columns.name = None
    hour = np.floor(cases["created"] % 24).astype(int)
    assessed = assess(cases, scenario, horizon)  # the contacts, with their assessment flags
    work = assessed[assessed["dispatched"].notna()]
    monthly = {str(m): RateCounts.of(g) for m, g in work.groupby("month", sort=True)}
    street_month = work.groupby(["month", work["street"].astype(str)]).size()
    calls = cases["channel"].astype(str).eq("hotline")
    summary = result.summary
    return Measurement(
        run_id=task.run_id,
        variant=task.variant,
        replication=task.replication,
        seed=task.seed,
        scale=task.scale,
        days=float(scenario.days),
        start_date=scenario.start_date,
        created=len(cases),
        categories={
            str(c): CategoryCounts(**{str(k): int(v) for k, v in row.items()})
            for c, row in by_category.to_dict(orient="index").items()
        },
        daily=daily,
        daily_orders=daily_orders,
        hourly=np.bincount(hour[contact], minlength=24),
        abandoned=int((~contact).sum()),
        calls=int(calls.sum()),
        calls_answered=int((calls & contact).sum()),
        work_orders=RateCounts.of(work),
        contacts=RateCounts.of(assessed),
        monthly=monthly,
        street_month={
            (str(key[0]), str(key[1])): int(n)
            for key, n in ((cast(tuple[str, str], k), v) for k, v in street_month.items())
        },
        hotline_utilisation=float(summary["utilisation"].get("hotline") or float("nan")),
        operator_hours=float(sum(shift_plan(scenario)) * scenario.days),
        prevented={k: int(v) for k, v in (summary.get("prevented_appeals") or {}).items()},
        governance=_governance(result.rankings),
        wall=time.perf_counter() - started,
        sim_wall=float((summary.get("performance") or {}).get("wall_seconds") or float("nan")),
        pilot=_pilot(cases, scenario) if task.pilot else None,
        dispatch_minutes=float((work["dispatched"] - work["created"]).mean() * 60)
        if len(work)
        else float("nan"),
    )


def _governance(rankings: pd.DataFrame) -> dict[str, list[str]]:
    if rankings is None or not len(rankings):
        return {}
    listed = rankings[rankings["group"] == "governance"]
    return {str(m): [str(u) for u in g["unit"]] for m, g in listed.groupby("month", sort=True)}


def _pilot(cases: pd.DataFrame, scenario: Scenario) -> PilotSample:
    wo = cases[cases["dispatched"].notna() & cases["callback"].notna()]
    names = (c.name for c in scenario.categories)
    by_category = dict(zip(names, scenario.category_limits(), strict=True))
    limits = wo["category"].astype(str).map(by_category).astype(float)
    lateness = np.maximum(0.0, (wo["closed"] - wo["created"]) / limits - 1.0)
    handoffs = wo["escalations"] + wo["returns"] + wo["whistles"]
    return PilotSample(
        tier=wo["final_tier"].astype(str).to_numpy(object),
        lateness=np.round(np.asarray(lateness, dtype=float), 4),
        handoffs=handoffs.to_numpy(int),
        fixed=wo["outcome"].astype(str).eq("fixed").to_numpy(bool)
        if scenario.problems.enabled
        else None,
    )


# -- many runs -------------------------------------------------------------------------
class _Measured(Protocol):
    @property
    def run_id(self) -> str: ...


M = TypeVar("M", bound=_Measured)


def map_tasks(
    tasks: Sequence[CalibrationTask],
    executor: Executor,
    measure: Callable[[CalibrationTask], M],
    label: str = "runs",
    progress: bool = True,
) -> list[M]:
    """``measure`` every task on ``executor`` (a picklable function of one task returning a
    record with the task's ``run_id``); the records in task order, whatever order the runs
    finish in."""
    order = {t.run_id: i for i, t in enumerate(tasks)}
    if len(order) != len(tasks):
        raise ValueError(f"{label}: run ids must be unique")
    out: list[M | None] = [None] * len(tasks)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), unit="run", desc=label, disable=None, leave=False)
    try:
        for record in executor.map(measure, tasks):
            out[order[record.run_id]] = record
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    missing = [t.run_id for t, m in zip(tasks, out, strict=True) if m is None]
    if missing:
        raise RuntimeError(f"{label}: no result for {missing}")
    return [m for m in out if m is not None]


def run_tasks(
    tasks: Sequence[CalibrationTask],
    executor: Executor,
    label: str = "runs",
    progress: bool = True,
) -> list[Measurement]:
    """Measure every task on ``executor`` into a :class:`Measurement`, in task order."""
    return map_tasks(tasks, executor, measure_task, label, progress)
