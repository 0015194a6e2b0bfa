"""The headline figures of a run (``summary.json``), from its streaming statistics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govsim.core.codes import TIERS
from govsim.core.json_numbers import quantile_summary, round_number
from govsim.policies.points import points_block
from govsim.results.censoring import censoring
from govsim.results.equity import equity_block
from govsim.results.settling import settling, summary_warmup_hours

if TYPE_CHECKING:
    import pandas as pd

    from govsim.engine.run import RunState
    from govsim.engine.statistics import RunStatistics


def summarise(
    state: RunState, timeseries: pd.DataFrame, places: pd.DataFrame | None = None
) -> dict[str, Any]:
    """The headline figures of a run (summary.json), from its streaming statistics and its
    time series (``timeseries``, for the settling check); ``places``: its work orders by street
    (:func:`govsim.results.equity.place_table`), if already made."""
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
        "equity": equity_block(statistics, places),
        **mechanism_blocks(state),
        "policy_costs": {
            policy: {k: round_number(v) for k, v in spent.items()}
            for policy, spent in (state.policy_costs or {}).items()
        },
        **({"movers": state.movers} if state.movers else {}),
        **points_block(state.scenario.policies, state.rankings),
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


def mechanism_blocks(state: RunState) -> dict[str, Any]:
    """One block per mechanism: each built-in mechanism's block is always there (null when
    it is off, so that the summary's keys do not depend on the scenario), then the blocks of
    any other mechanism the run was given."""
    from govsim.mechanisms import BUILT_IN

    blocks: dict[str, Any] = {factory.name: None for factory in BUILT_IN}
    for mechanism in state.mechanisms:
        blocks[mechanism.name] = mechanism.summary(state)
    return blocks
