"""Re-simulate an experiment's runs to get the case-level tables it does not keep.

An experiment stores each run's outcomes and time series, not its cases, so the rates
per month, time to close, closing tiers, street league and unit loads need the runs
again. Runs are deterministic (seed and resolved scenario are in the design), so a
replay reproduces them exactly: :func:`replay` checks the design's fingerprint against
``experiment.yaml`` and each replayed run's outcomes against ``results.parquet``, and
caches the small tables it keeps in ``DIR/replay/`` so the next ``govsim plot`` or
``govsim report`` reads them instead.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from govsim.core.errors import UserInputError
from govsim.experiments.design import Design, RunTask, build_design, task_outcomes
from govsim.results.case_views import case_views
from govsim.results.loading import ExperimentData
from govsim.scenario.schema import Scenario

VIEWS = ("kpis", "closed", "loads")
CACHE = "replay"


@dataclass
class Replayed:
    """Case-level tables of the replayed runs (columns variant, sample, replication first)."""

    kpis: pd.DataFrame
    closed: pd.DataFrame
    loads: pd.DataFrame
    mismatches: int = 0


def locate_design(data: ExperimentData) -> Design | None:
    """Rebuild the experiment's design, finding its base scenario file; None if it cannot be found.

    ``experiment.yaml`` names the scenario relative to the original experiment file,
    which is not recorded, so the folder, its ancestors and the working directory (and
    their ``experiments/`` subfolders) are tried. A design matching the recorded
    fingerprint wins; failing that (the scenario schema gained a default since, say) the
    first that builds is used, and :func:`replay` checks the replayed outcomes against
    ``results.parquet``.
    """
    from govsim.experiments.experiment import _fingerprint
    from govsim.experiments.schema import Experiment
    from govsim.scenario.loader import validate

    spec = dict(data.experiment)
    recorded = spec.pop("fingerprint", None)
    try:
        experiment = validate(spec, source=str(data.path / "experiment.yaml"), model=Experiment)
    except UserInputError as exc:
        warnings.warn(f"cannot rebuild the experiment to replay its runs: {exc}", stacklevel=2)
        return None
    fallback = None
    for folder in _candidates(data.path, Path(str(experiment.scenario))):
        try:
            design = build_design(experiment, folder / "experiment.yaml")
        except UserInputError:
            continue
        if recorded is None or _fingerprint(design) == recorded:
            return design
        fallback = fallback or design
    return fallback


def _candidates(out: Path, scenario: Path) -> list[Path]:
    if scenario.is_absolute():
        return [out]
    roots = [out.resolve(), *out.resolve().parents, Path.cwd()]
    folders = [f for root in roots for f in (root, root / "experiments")]
    return [f for f in dict.fromkeys(folders) if (f / scenario).is_file()]


def choose_tasks(
    design: Design, replications: int | None = None, sample: int | None = None
) -> list[RunTask]:
    """The runs to replay: one sample (default the first) and up to ``replications``
    replications."""
    first = int(design.samples["sample"].iloc[0]) if len(design.samples) else 0
    sample = first if sample is None else sample
    return [
        t
        for t in design.tasks
        if t.sample == sample and (replications is None or t.replication < replications)
    ]


def replay_task(task: RunTask) -> tuple[RunTask, dict[str, pd.DataFrame], dict[str, float]]:
    """Simulate one run and keep its case views and outcomes (runs in a worker process)."""
    from govsim.experiments.outcomes import OUTCOMES
    from govsim.simulate import simulate

    # Experiments may run without a per-case table; the replay needs one.
    scenario = task.scenario.model_copy(
        update={"output": task.scenario.output.model_copy(update={"cases_table": True})}
    )
    result = simulate(scenario, seed=task.seed)
    assert result.cases is not None, "the replay keeps the case table"
    views = case_views(
        result.cases,
        task.scenario,
        task.scenario.days * 24.0,
        task.warmup_hours,
        variant=task.variant,
        sample=task.sample,
        replication=task.replication,
    )
    outcomes = {name: OUTCOMES[name](result, task.warmup_hours) for name in task_outcomes(task)}
    return task, views, outcomes


def replay(
    data: ExperimentData,
    *,
    replications: int | None = None,
    workers: int | None = None,
    progress: bool = True,
    cache: bool = True,
) -> Replayed | None:
    """The case-level tables of ``data``'s runs (first sample), from the cache or by re-running.

    Returns None, with a warning, when the base scenario cannot be found or no longer
    matches the experiment.
    """
    design = locate_design(data)
    if design is None:
        warnings.warn(
            f"{data.path}: cannot find the experiment's base scenario as it was run; "
            "case-level figures are skipped",
            stacklevel=2,
        )
        return None
    return replay_design(
        data,
        design,
        choose_tasks(design, replications),
        workers=workers,
        progress=progress,
        cache=cache,
    )


def replay_design(
    data: ExperimentData,
    design: Design,
    tasks: list[RunTask],
    *,
    workers: int | None = None,
    progress: bool = True,
    cache: bool = True,
) -> Replayed:
    """Replay ``tasks`` of ``design`` (or read them from ``DIR/replay/`` if cached)."""
    key = {"fingerprint": data.experiment.get("fingerprint"), "runs": [t.run_id for t in tasks]}
    folder = data.path / CACHE
    if cache and _cached_key(folder) == key:
        kpis, closed, loads = (pd.read_parquet(folder / f"{name}.parquet") for name in VIEWS)
        return Replayed(kpis, closed, loads)
    replayed = _execute(tasks, data, workers, progress)
    if cache:
        _write_cache(folder, replayed, key)
    return replayed


def _execute(
    tasks: list[RunTask], data: ExperimentData, workers: int | None, progress: bool
) -> Replayed:
    from govsim.core.progress import Progress
    from govsim.experiments.executors import choose

    stored = (
        data.results.set_index(["variant", "sample", "replication", "metric"])["value"]
        if len(data.results)
        else pd.Series(dtype=float)
    )
    done: dict[str, dict[str, pd.DataFrame]] = {}
    mismatches = 0
    if progress and tasks:
        print(
            f"govsim: re-simulating {len(tasks)} runs of {data.name} (an experiment keeps no "
            "case tables) for the rates, time to close, tiers, league and network figures; "
            "`--no-replay` skips them, and the next plot or report reads them from "
            f"{data.path / CACHE}/",
            file=sys.stderr,
            flush=True,
        )
    with Progress(len(tasks), unit="run", desc="re-simulating runs", enabled=progress) as bar:
        for task, views, outcomes in choose(workers=workers).map(replay_task, tasks):
            done[task.run_id] = views
            mismatches += any(
                not _same(stored.get((task.variant, task.sample, task.replication, m)), v)
                for m, v in outcomes.items()
            )
            bar.update(1)
    if mismatches:
        warnings.warn(
            f"{mismatches} replayed runs differ from results.parquet (the model changed since "
            "the experiment ran); case-level figures show the replay",
            stacklevel=3,
        )
    ordered = [done[t.run_id] for t in tasks]  # design order, whatever order the runs finished in
    tables = {
        name: pd.concat([v[name] for v in ordered], ignore_index=True)
        if ordered
        else pd.DataFrame()
        for name in VIEWS
    }
    return Replayed(**tables, mismatches=mismatches)


def _same(stored: float | None, value: float) -> bool:
    if stored is None:
        return True
    if math.isnan(stored) and math.isnan(value):
        return True
    return math.isclose(stored, value, rel_tol=1e-9, abs_tol=1e-12)


def _cached_key(folder: Path) -> dict | None:
    path = folder / "key.json"
    if not path.is_file() or not all((folder / f"{n}.parquet").is_file() for n in VIEWS):
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _write_cache(folder: Path, replayed: Replayed, key: dict) -> None:
    from govsim.core.io import atomic_write

    try:
        folder.mkdir(exist_ok=True)
        for name in VIEWS:
            frame = getattr(replayed, name)
            atomic_write(folder / f"{name}.parquet", partial(frame.to_parquet, index=False))
        atomic_write(folder / "key.json", lambda p: Path(p).write_text(json.dumps(key)))
    except OSError as exc:  # a read-only results folder: plot anyway
        warnings.warn(f"cannot cache the replay in {folder}: {exc}", stacklevel=3)


def experiment_scenario(data: ExperimentData) -> Scenario | None:
    """The baseline variant's resolved scenario (for the report), or None if it cannot be
    rebuilt."""
    design = locate_design(data)
    if design is None:
        return None
    return next((t.scenario for t in design.tasks if t.variant == data.baseline), None)
