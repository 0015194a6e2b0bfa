"""Outcomes: the figures an experiment compares, each computed from one run after warm-up.

Every outcome takes the run's tables and the warm-up (hours, whole days) and returns
one number. Case-based outcomes use the run's streaming statistics of the cases created
after the warm-up (so they need no per-case table); backlog outcomes use the time series
after it.

Time to close (``time_to_close_*``) counts closed cases only: a case still open at the end
is left out, however long it has waited. Beside it: ``open_share`` and ``open_age_*`` (what
it leaves out), ``time_to_close_restricted`` (censoring-aware: a Kaplan-Meier restricted
mean that counts the open cases for the time they have waited) and ``settled`` /
``backlog_trend`` (does the backlog stop growing after the warm-up, :mod:`govsim.results.settling`).
The ``equity_*`` outcomes compare streets (:mod:`govsim.results.equity`: work orders by the
street of the problem, created after the warm-up).
An experiment that asks for a time to close measures ``open_share`` and ``settled`` too
(:func:`measured`, :func:`govsim.experiments.design.task_outcomes`), so a variant whose
backlog grows is flagged wherever its time to close is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from weakref import WeakKeyDictionary

import numpy as np
import pandas as pd

from govsim.core.rates import composite
from govsim.engine.mechanism import MechanismOutcome
from govsim.engine.statistics import BEYOND_STREET, CROSS_DEPARTMENT, RunStatistics
from govsim.mechanisms import BUILT_IN
from govsim.policies.ranking import composite_weights
from govsim.results.censoring import Censoring, censoring
from govsim.results.equity import (
    StreetSpread,
    gini,
    most_backlogged,
    place_table,
    share_over,
    spreads,
    street_rows,
    theil,
    worst_decile_ratio,
)
from govsim.results.run_tables import RunResult
from govsim.results.settling import Settling, settling

Outcome = Callable[[RunResult, float], float]


def backlog_mean(result: RunResult, warmup: float) -> float:
    """Mean number of open cases city-wide over time after warm-up."""
    ts = result.timeseries
    city = ts[(ts["tier"] == "city") & (ts["time"] >= warmup)]
    return float(city["open"].mean())


def backlog_end(result: RunResult, warmup: float) -> float:
    """Open cases city-wide at the end of the run."""
    ts = result.timeseries
    return float(ts[ts["tier"] == "city"]["open"].iloc[-1])


def created(result: RunResult, warmup: float) -> float:
    """Cases created after warm-up."""
    return float(result.statistics.day_total("created", warmup))


def time_to_close_mean(result: RunResult, warmup: float) -> float:
    """Mean hours from appeal to closing, closed cases created after warm-up."""
    values = result.statistics.time_to_close(warmup)
    return float(values.mean()) if len(values) else float("nan")


def time_to_close_p90(result: RunResult, warmup: float) -> float:
    """90th percentile of hours from appeal to closing."""
    values = result.statistics.time_to_close(warmup)
    return float(np.quantile(values, 0.9)) if len(values) else float("nan")


def time_to_close_beyond_street(result: RunResult, warmup: float) -> float:
    """Mean hours from appeal to closing of closed work orders beyond the street's powers (their
    lowest closing tier is the district): the cases a whistle is for."""
    values = result.statistics.time_to_close(warmup, BEYOND_STREET)
    return float(values.mean()) if len(values) else float("nan")


def time_to_close_cross_department(result: RunResult, warmup: float) -> float:
    """Mean hours from appeal to closing of closed work orders beyond the street's powers in
    categories that need several departments (``joint_departments``)."""
    values = result.statistics.time_to_close(warmup, CROSS_DEPARTMENT)
    return float(values.mean()) if len(values) else float("nan")


def _censoring(result: RunResult, warmup: float) -> Censoring:
    statistics = result.statistics
    return censoring(
        statistics.time_to_close(warmup),
        statistics.open_ages(warmup),
        statistics.day_total("created", warmup),
        result.scenario.days * 24.0 - warmup,
    )


def open_share(result: RunResult, warmup: float) -> float:
    """Cases still open at the end over cases created, both after warm-up: the share that
    time to close leaves out."""
    return result.statistics.open_share(warmup)


def open_age_mean(result: RunResult, warmup: float) -> float:
    """Mean age at the end (hours) of the cases still open then, created after warm-up."""
    ages = result.statistics.open_ages(warmup)
    return float(ages.mean()) if len(ages) else float("nan")


def open_age_max(result: RunResult, warmup: float) -> float:
    """Age at the end (hours) of the oldest case still open then, created after warm-up."""
    ages = result.statistics.open_ages(warmup)
    return float(ages.max()) if len(ages) else float("nan")


def time_to_close_restricted(result: RunResult, warmup: float) -> float:
    """Restricted mean hours from appeal to closing, censoring-aware: the area under the
    Kaplan-Meier curve of cases created after warm-up (open cases censored at their age) up
    to 720 h, or the run's length after warm-up if shorter."""
    return _censoring(result, warmup).restricted_mean


def _settling(result: RunResult, warmup: float) -> Settling:
    return settling(result.timeseries, warmup)


def settled(result: RunResult, warmup: float) -> float:
    """1 if no tier's backlog grows after warm-up (one-sided trend test at 5%, Bonferroni over
    the tiers), 0 if one does; NaN when the run after warm-up is too short to test."""
    verdict = _settling(result, warmup).settled
    return float("nan") if verdict is None else float(verdict)


def backlog_trend(result: RunResult, warmup: float) -> float:
    """Growth of the steepest tier's backlog after warm-up (open cases per day)."""
    return _settling(result, warmup).largest_slope


def response_rate(result: RunResult, warmup: float) -> float:
    """On-time first responses over responses due."""
    return result.statistics.rates(warmup)["response"]


def resolution_rate(result: RunResult, warmup: float) -> float:
    """Resolved over valid callbacks."""
    return result.statistics.rates(warmup)["resolution"]


def satisfaction_rate(result: RunResult, warmup: float) -> float:
    """(Satisfied + 0.9 basically satisfied) over valid callbacks."""
    return result.statistics.rates(warmup)["satisfaction"]


def composite_score(result: RunResult, warmup: float) -> float:
    """Composite of the three rates (ranking weights, else 0.1 / 0.5 / 0.4)."""
    rates = {f"{k}_rate": v for k, v in result.statistics.rates(warmup).items()}
    return float(composite(rates, composite_weights(result.scenario.policies)))


def share_closed_low(result: RunResult, warmup: float) -> float:
    """Share of closed work orders closed at a grid or street (small matters stay local)."""
    closed = result.statistics.closed_by_tier(warmup)
    work = sum(n for tier, n in closed.items() if tier != "hotline")
    return (closed["grid"] + closed["street"]) / work if work else float("nan")


def abandonment_rate(result: RunResult, warmup: float) -> float:
    """Abandoned calls over hotline calls."""
    calls = result.statistics.day_total("calls", warmup)
    return result.statistics.day_total("abandoned_calls", warmup) / calls if calls else float("nan")


def prevented(result: RunResult, warmup: float) -> float:
    """Appeals (problems, in a run with problems) prevented by proactive governance over the
    whole run."""
    return float(sum(result.summary["prevented_appeals"].values()))


_STREETS: WeakKeyDictionary[RunStatistics, dict[float, pd.DataFrame]] = WeakKeyDictionary()
"""Each finished run's street rows by warm-up, made once for all its equity outcomes (the
entry goes with the run's statistics)."""


def _streets(result: RunResult, warmup: float) -> pd.DataFrame:
    by_warmup = _STREETS.setdefault(result.statistics, {})
    if warmup not in by_warmup:
        by_warmup[warmup] = street_rows(place_table(result.statistics, warmup))
    return by_warmup[warmup]


def _spread(result: RunResult, warmup: float, name: str) -> StreetSpread:
    return spreads(_streets(result, warmup))[name]


def equity_ttc_gini(result: RunResult, warmup: float) -> float:
    """Gini coefficient across streets of their median time to close, over the work orders
    created after warm-up and closed (streets with at least 20 closed work orders)."""
    return gini(_spread(result, warmup, "time_to_close").values)


def equity_ttc_theil(result: RunResult, warmup: float) -> float:
    """Theil's T across streets of their median time to close (as ``equity_ttc_gini``)."""
    return theil(_spread(result, warmup, "time_to_close").values)


def equity_ttc_worst_decile_ratio(result: RunResult, warmup: float) -> float:
    """Mean median time to close of the worst tenth of streets (at least one) over the median
    street's (as ``equity_ttc_gini``)."""
    return worst_decile_ratio(_spread(result, warmup, "time_to_close").values)


def equity_share_streets_over_limit(result: RunResult, warmup: float) -> float:
    """Share of streets whose closed work orders' median ratio of time to close to the
    case's urgency limit exceeds 1 (streets with at least 20 closed work orders)."""
    return share_over(_spread(result, warmup, "time_over_limit").values)


def equity_backlog_worst_over_median(result: RunResult, warmup: float) -> float:
    """Work orders created after warm-up and still open at the end in the most backlogged
    street over the median street's (NaN when the median street has none)."""
    value = most_backlogged(_streets(result, warmup))["open_over_median"]
    return float(value) if value is not None else float("nan")


def equity_backlog_gini(result: RunResult, warmup: float) -> float:
    """Gini coefficient across streets of their open work orders at the end per 10,000
    residents (work orders created after warm-up; streets with residents)."""
    return gini(_spread(result, warmup, "backlog_per_10k").values)


OUTCOMES: dict[str, Outcome] = {
    fn.__name__: fn
    for fn in (
        backlog_mean,
        backlog_end,
        created,
        time_to_close_mean,
        time_to_close_p90,
        time_to_close_beyond_street,
        time_to_close_cross_department,
        time_to_close_restricted,
        open_share,
        open_age_mean,
        open_age_max,
        settled,
        backlog_trend,
        response_rate,
        resolution_rate,
        satisfaction_rate,
        composite_score,
        share_closed_low,
        abandonment_rate,
        prevented,
        equity_ttc_gini,
        equity_ttc_theil,
        equity_ttc_worst_decile_ratio,
        equity_share_streets_over_limit,
        equity_backlog_worst_over_median,
        equity_backlog_gini,
    )
}


def _mechanism_outcome(mechanism: str, outcome: MechanismOutcome) -> Outcome:
    """A mechanism's outcome (of its tallies, the case statistics and the warm-up) as an
    outcome of a run's tables, with the same name and docstring."""

    def of_result(result: RunResult, warmup: float) -> float:
        return outcome(result.tallies.get(mechanism), result.statistics, warmup)

    of_result.__name__ = outcome.__name__
    of_result.__doc__ = outcome.__doc__
    return of_result


OUTCOMES.update(
    (name, _mechanism_outcome(mechanism.name, outcome))
    for mechanism in BUILT_IN
    for name, outcome in mechanism.outcomes.items()
)
"""Each built-in mechanism's outcomes follow (NaN in a run where it is off)."""


TIME_TO_CLOSE = (
    "time_to_close_mean",
    "time_to_close_p90",
    "time_to_close_beyond_street",
    "time_to_close_cross_department",
    "equity_ttc_gini",
    "equity_ttc_theil",
    "equity_ttc_worst_decile_ratio",
    "equity_share_streets_over_limit",
)
"""The outcomes of closed cases only (the equity ones: each street's median time to close)."""
COMPANIONS = ("open_share", "settled")
"""Measured beside any of TIME_TO_CLOSE, whether asked for or not (:func:`measured`)."""


def measured(names: tuple[str, ...] | list[str]) -> list[str]:
    """The outcomes a run measures for the requested ``names``: those, then COMPANIONS if a
    closed-only time to close is among them (so its caveats travel with it)."""
    wanted = list(names)
    if any(n in TIME_TO_CLOSE for n in wanted):
        wanted += [c for c in COMPANIONS if c not in wanted]
    return wanted


def known_outcomes(names: list[str]) -> list[str]:
    """``names`` unchanged if each is an outcome's name, else ValueError naming the others
    (for the validators of experiments and studies)."""
    unknown = [n for n in names if n not in OUTCOMES]
    if unknown:
        listed = f"'{unknown[0]}'" if len(unknown) == 1 else str(unknown)
        raise ValueError(f"unknown outcome {listed}; known: {sorted(OUTCOMES)}")
    return names
