"""The headline figures of a run (``summary.json``), from its streaming statistics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from govsim.codes import TIERS

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
        "policy_events": [{"time": t, "event": text} for t, text in state.policy_log],
        "performance": {
            "wall_seconds": round(state.wall_seconds, 3),
            "cases_per_wall_second": round(ledger.created / state.wall_seconds, 1)
            if state.wall_seconds > 0
            else None,
        },
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
