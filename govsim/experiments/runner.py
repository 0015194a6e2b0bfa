"""Perform one run of an experiment, in whatever process a backend chose.

A run measures its outcomes and, beside a time to close, its companions when the task asks
(an experiment's runs; :func:`govsim.experiments.design.task_outcomes`: the open share and
whether the backlog settled).

A run that raises does not stop the experiment: its error comes back as data, with the
variant, replication and seed, and the run is tried again on ``--resume``.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass

import pandas as pd

from govsim.experiments.design import RunTask, task_outcomes
from govsim.experiments.outcomes import OUTCOMES
from govsim.simulate import simulate

TIMESERIES_METRICS = ("open", "queued", "in_service", "staff", "arrived", "closed", "abandoned")


@dataclass
class RunOutcome:
    run_id: str
    variant: str
    sample: int
    replication: int
    seed: int
    metrics: dict[str, float] | None
    timeseries: pd.DataFrame | None
    error: str | None
    wall_seconds: float


def perform(task: RunTask) -> RunOutcome:
    """Simulate ``task`` and measure its outcomes; never raises for a failing model."""
    started = time.perf_counter()
    try:
        result = simulate(task.scenario, seed=task.seed)
        metrics = {name: OUTCOMES[name](result, task.warmup_hours) for name in task_outcomes(task)}
        series = result.timeseries.melt(
            id_vars=["time", "tier"], value_vars=list(TIMESERIES_METRICS), var_name="metric"
        )
        error = None
    except Exception as exc:  # noqa: BLE001 - reported per run, the experiment goes on
        metrics, series = None, None
        error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
    return RunOutcome(
        task.run_id,
        task.variant,
        task.sample,
        task.replication,
        task.seed,
        metrics,
        series,
        error,
        time.perf_counter() - started,
    )
