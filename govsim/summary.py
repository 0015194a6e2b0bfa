"""The headline figures of a run (``summary.json``), from its streaming statistics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from govsim.codes import DISCOVERED_BY, FIXED_BY, TIERS

if TYPE_CHECKING:
    from govsim.model import RunState

QUANTILES = {"p50": 0.5, "p90": 0.9, "p99": 0.99}


def summarise(state: RunState) -> dict[str, Any]:
    """The headline figures of a run (summary.json), from its streaming statistics."""
    ledger = state.ledger
    statistics = state.recorder.statistics
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
        "share_closed_by_tier": {t: round_number(closed_by_tier[t] / n_closed) for t in TIERS},
        "utilisation": {tier: round_number(u) for tier, u in state.utilisation.items()},
        "prevented_appeals": state.prevented,
        "problems": problems_block(state, statistics.rates()["resolution"]),
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


def problems_block(state: RunState, resolution_rate: float) -> dict[str, Any] | None:
    """The ``problems`` block: how many problems arose, were reported and really fixed, and
    the gap between the reported resolution rate and the true fix rate (None without
    problems)."""
    recorder = state.problem_recorder
    if recorder is None:
        return None
    tallies = recorder.tallies
    true_fix = tallies.true_fix_rate()
    gap = resolution_rate - true_fix if resolution_rate == resolution_rate else float("nan")
    return {
        "arisen": tallies.total("arisen"),
        "reported": tallies.total("reported"),
        "fixed": tallies.total("fixed"),
        "open_at_end": tallies.total("open_at_end"),
        "prevented": sum(state.prevented.values()),
        "appeals": tallies.total("appeals"),
        "appeals_per_reported_problem": round_number(tallies.appeals_per_reported_problem()),
        "true_fix_rate": round_number(true_fix),
        "resolution_gap": round_number(gap),
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
