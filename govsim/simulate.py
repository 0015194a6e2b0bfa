"""The one-call entry point: a validated scenario in, the run's tables out."""

from __future__ import annotations

import numpy as np

from govsim.model import Model
from govsim.results import RunResult, collect
from govsim.scenario.schema import Scenario


def simulate(
    scenario: Scenario,
    seed: int | np.random.SeedSequence | None = None,
    progress: bool = False,
) -> RunResult:
    """Run ``scenario`` once (with ``seed``, default the scenario's own) and return its tables.

    Raises :class:`govsim.errors.LedgerError` if any case was lost or duplicated.
    """
    return collect(Model(scenario, seed).run(progress=progress))
