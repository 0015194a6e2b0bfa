"""The one-call entry point: a validated scenario in, the run's tables out."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from govsim.model import Model
from govsim.run_result import RunResult, collect
from govsim.scenario.schema import Scenario


def simulate(
    scenario: Scenario,
    seed: int | np.random.SeedSequence | None = None,
    progress: bool = False,
    cases_file: str | Path | None = None,
    problems_file: str | Path | None = None,
) -> RunResult:
    """Run ``scenario`` once (with ``seed``, default the scenario's own) and return its tables.

    With ``cases_file``, the case table is streamed to that parquet file as cases finish
    (the result's ``cases`` is then None) instead of being kept in memory; ``problems_file``
    likewise for the problems table of a run with problems.
    Raises :class:`govsim.errors.LedgerError` if any case was lost or duplicated.
    """
    model = Model(scenario, seed, cases_file=cases_file, problems_file=problems_file)
    return collect(model.run(progress=progress))
