"""The one-call entry point: a validated scenario in, the run's tables out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from govsim.core.bounds import MAX_SEED
from govsim.engine.cost import check_run
from govsim.engine.mechanism import Mechanism
from govsim.engine.run import Run
from govsim.mechanisms import build
from govsim.results.run_tables import RunResult, collect
from govsim.scenario.schema import Scenario


def simulate(
    scenario: Scenario,
    seed: int | np.random.SeedSequence | None = None,
    progress: bool = False,
    cases_file: str | Path | None = None,
    problems_file: str | Path | None = None,
    mechanisms: Sequence[Mechanism] = (),
) -> RunResult:
    """Run ``scenario`` once (with ``seed``, default the scenario's own) and return its tables.

    The seed that ran is the one recorded: the result's scenario (and so ``summary.json``
    and ``scenario.yaml``) carries ``seed``, so rerunning the written scenario repeats the
    run exactly. With ``cases_file``, the case table is streamed to that parquet file as
    cases finish (the result's ``cases`` is then None) instead of being kept in memory;
    ``problems_file`` likewise for the problems table of a run with problems. ``mechanisms``
    of one's own (govsim/engine/mechanism.py) are installed after the scenario's built-in ones.
    A run that would not fit the machine is refused first (:mod:`govsim.engine.cost`).
    Raises :class:`govsim.core.errors.LedgerError` if any case was lost or duplicated.
    """
    scenario = with_seed(scenario, seed)
    check_run(scenario, f"scenario '{scenario.name}'", cases_in_memory=cases_file is None)
    run = new_run(scenario, cases_file=cases_file, problems_file=problems_file, extra=mechanisms)
    return collect(run.run(progress=progress))


def new_run(
    scenario: Scenario,
    seed: int | np.random.SeedSequence | None = None,
    cases_file: str | Path | None = None,
    problems_file: str | Path | None = None,
    extra: Sequence[Mechanism] = (),
) -> Run:
    """A run of ``scenario`` assembled with its mechanisms (the built-in ones it switches on,
    then ``extra``), not started: :meth:`Run.run` runs it. ``seed`` overrides the
    scenario's own for this run only (unlike :func:`simulate`, it is not recorded)."""
    files = {} if problems_file is None else {"problems": problems_file}
    mechanisms = build(scenario, extra)
    return Run(scenario, seed, cases_file=cases_file, table_files=files, mechanisms=mechanisms)


def with_seed(scenario: Scenario, seed: int | np.random.SeedSequence | None) -> Scenario:
    """``scenario`` with its ``seed`` set to ``seed`` (unchanged if None).

    A SeedSequence is taken by its entropy; one with a spawn key (a child sequence) has no
    integer seed to record and is refused.
    """
    if seed is None:
        return scenario
    if isinstance(seed, np.random.SeedSequence):
        if seed.spawn_key or not isinstance(seed.entropy, int):
            raise ValueError(
                "a spawned SeedSequence cannot be recorded as the scenario's seed; pass an "
                "integer seed (e.g. int(sequence.generate_state(1)[0]))"
            )
        seed = seed.entropy
    seed = int(seed)
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be between 0 and {MAX_SEED}, not {seed}")
    if seed == scenario.seed:
        return scenario
    return scenario.model_copy(update={"seed": seed})
