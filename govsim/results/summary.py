"""The headline figures of a run (``summary.json``), from its streaming statistics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from govsim.core.codes import DISCOVERED_BY, FIXED_BY, TIERS
from govsim.results.censoring import censoring
from govsim.results.settling import settling, summary_warmup_hours

if TYPE_CHECKING:
    import pandas as pd

    from govsim.engine.run import RunState
    from govsim.engine.statistics import RunStatistics

QUANTILES = {"p50": 0.5, "p90": 0.9, "p99": 0.99}


def summarise(state: RunState, timeseries: pd.DataFrame) -> dict[str, Any]:
    """The headline figures of a run (summary.json), from its streaming statistics and its
    time series (``timeseries``, for the settling check)."""
    ledger = state.ledger
    statistics = state.recorder.tallies
    closed_by_tier = statistics.closed_by_tier()
    n_closed = max(ledger.closed, 1)
    return {
        "scenario": state.scenario.name,
        "seed": state.scenario.seed,
        "days": state.scenario.days,
        "created": ledger.created,
        "closed": ledger.closed,
        "abandoned": ledger.abandoned,
        "open_at_end": len(ledger.open),
        "repeat_cases": statistics.day_total("repeats"),
        "rates": {
            **{name: round_number(value) for name, value in statistics.rates().items()},
            "valid_callbacks": statistics.day_total("valid_callbacks"),
        },
        "time_to_close_hours": quantile_summary(statistics.time_to_close()),
        "time_to_close_censoring": censoring_block(statistics, state.scenario.days * 24.0),
        "settling": settling(timeseries, summary_warmup_hours(state.scenario.days)).as_dict(),
        "share_closed_by_tier": {t: round_number(closed_by_tier[t] / n_closed) for t in TIERS},
        "utilisation": {tier: round_number(u) for tier, u in state.utilisation.items()},
        "prevented_appeals": state.prevented,
        "problems": problems_block(state),
        "policy_costs": {
            policy: {k: round_number(v) for k, v in spent.items()}
            for policy, spent in (state.policy_costs or {}).items()
        },
        "policy_events": [{"time": t, "event": text} for t, text in state.policy_log],
        "performance": {
            "wall_seconds": round(state.wall_seconds, 3),
            "cases_per_wall_second": round(ledger.created / state.wall_seconds, 1)
            if state.wall_seconds > 0
            else None,
        },
    }


def censoring_block(statistics: RunStatistics, horizon: float) -> dict[str, Any]:
    """What ``time_to_close_hours`` (closed cases only) leaves out, over the same cases (all
    created in the run): the open share, the open cases' ages, and the Kaplan-Meier
    restricted mean time to close (:mod:`govsim.results.censoring`)."""
    figures = censoring(
        statistics.time_to_close(),
        statistics.open_ages(),
        statistics.day_total("created"),
        horizon,
    )
    return {
        "open_share": round_number(figures.open_share),
        "open_age_hours": {
            "mean": round_number(figures.open_age_mean),
            "p90": round_number(figures.open_age_p90),
            "max": round_number(figures.open_age_max),
        },
        "restricted_mean_hours": round_number(figures.restricted_mean),
        "restricted_to_hours": round_number(figures.restricted_to),
    }


def problems_block(state: RunState) -> dict[str, Any] | None:
    """The ``problems`` block: how many problems arose, were reported and really fixed, and
    the resolution gap: over closed cases of problems with a valid callback, the share
    reported resolved minus the share that truly fixed the problem (None without
    problems)."""
    recorder = state.problem_recorder
    if recorder is None:
        return None
    tallies = recorder.tallies
    true_fix = tallies.true_fix_rate()
    shares = state.recorder.tallies.resolution_gap()
    return {
        "arisen": tallies.total("arisen"),
        "reported": tallies.total("reported"),
        "fixed": tallies.total("fixed"),
        "open_at_end": tallies.total("open_at_end"),
        "prevented": sum(state.prevented.values()),
        "appeals": tallies.total("appeals"),
        "appeals_per_reported_problem": round_number(tallies.appeals_per_reported_problem()),
        "true_fix_rate": round_number(true_fix),
        "problem_callbacks": state.recorder.tallies.day_total("judged_callbacks"),
        "reported_resolved_share": round_number(shares["reported_resolved"]),
        "truly_fixed_share": round_number(shares["truly_fixed"]),
        "resolution_gap": round_number(shares["gap"]),
        "time_from_arising_to_fix_hours": quantile_summary(tallies.fix_hours()),
        "fixed_by": {name: tallies.total(f"fixed_by_{name}") for name in FIXED_BY},
        "discovered_by": {name: tallies.total(f"discovered_by_{name}") for name in DISCOVERED_BY},
    }


def quantile_summary(values: np.ndarray) -> dict[str, float | None]:
    """Mean and the QUANTILES of ``values`` (None when empty), rounded for JSON."""
    if len(values) == 0:
        return {"mean": None, **{k: None for k in QUANTILES}}
    return {
        "mean": round_number(values.mean()),
        **{k: round_number(np.quantile(values, q)) for k, q in QUANTILES.items()},
    }


def round_number(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 6)
