"""Run an experiment: design, execute (any backend), store each run, assemble the tables.

Phases: load and validate (every variant's scenario, before anything runs) -> list the
runs -> skip the finished ones (``resume``) -> execute, writing each run as it completes
-> assemble the tables from the run files alone. Because the tables are built from the
files, sorted in design order, an interrupted and resumed experiment yields exactly the
tables of an uninterrupted one, whatever the backend or number of workers.

Output folder:

- ``results.parquet``: experiment, variant, sample, replication, seed, metric, value;
- ``timeseries.parquet``: the same keys with time (hours), tier, metric, value;
- ``variants.parquet``, ``samples.parquet``: what each variant and sample is (once, not per row);
- ``summary.parquet``: mean, sd and 95% CI per variant, sample and metric;
- ``paired.parquet``: differences against the baseline variant, paired by replication;
- ``sweep.parquet``: outcome versus parameter values (when there are uncertainties);
- ``sensitivity.parquet``: SALib indices (sobol / morris designs);
- ``experiment.yaml``: the experiment as run; ``runs/``: one file per finished run.

Each run's files are written the moment it finishes; the tables are put in place together,
in one step, once assembled (:func:`publish`), so the folder never holds tables of two
different sets of runs. An interrupted or failed experiment keeps its finished runs and
says so; ``--resume`` runs the rest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd
import yaml

from govsim.core.errors import UserInputError
from govsim.core.interrupts import Interrupted
from govsim.core.io import (
    FolderInUse,
    atomic_write,
    check_output_folder,
    discard,
    link_tree,
    output_folder,
    resolve_out,
    shown,
)
from govsim.core.progress import Progress
from govsim.engine.cost import check_experiment, estimate
from govsim.experiments import analysis
from govsim.experiments.design import Design, build_design
from govsim.experiments.executors import Executor, choose
from govsim.experiments.runner import perform
from govsim.experiments.schema import Experiment
from govsim.experiments.store import RunStore
from govsim.scenario import yaml_safe
from govsim.scenario.loader import load_model, read_model
from govsim.scenario.schema import Scenario

TABLES = (
    "results",
    "timeseries",
    "variants",
    "samples",
    "summary",
    "paired",
    "sweep",
    "sensitivity",
)


@dataclass
class ExperimentResult:
    """What :func:`run_experiment` returns; each table is also an attribute (``.paired``)."""

    out: Path
    """The output folder."""
    tables: dict[str, pd.DataFrame]
    """The tables by name (``results``, ``timeseries``, ``summary``, ``paired``, ...)."""
    errors: list[dict] = field(default_factory=list)
    """The runs that raised: variant, sample, replication, seed and the error."""
    ran: int = 0
    """Runs made by this call (a resume skips the finished ones)."""
    variants: list[str] = field(default_factory=list)
    """Variant names in the experiment file's order."""
    outcomes: list[str] = field(default_factory=list)
    """Outcome names in the experiment file's order."""

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name in TABLES:
            return self.tables.get(name, pd.DataFrame())
        raise AttributeError(name)


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate the experiment YAML at ``path`` (bad input: ``UserInputError``)."""
    return load_model(path, Experiment)


def run_experiment(
    path: str | Path,
    *,
    executor: Executor | None = None,
    resume: bool = False,
    out: str | Path | None = None,
    progress: bool = True,
    force: bool = False,
) -> ExperimentResult:
    """Run the experiment at ``path`` into its folder; see the module docstring.

    ``resume``: run only what the folder does not hold yet. ``force``: discard what the
    folder holds (runs and tables) and start again. Bad input, a design beyond the bounds
    and a run that would not fit the machine are refused before anything is written.
    """
    path = Path(path)
    experiment, root = read_model(path, Experiment)
    executor = executor or choose()

    def budget(base: Scenario, runs: int) -> None:  # before 100,000 samples are validated
        _check_resources([base], runs, executor, path)

    design = build_design(experiment, path, root, budget)
    default = Path("results") / experiment.name
    given = out if out else ((path.parent / experiment.out) if experiment.out else default)
    target = resolve_out(given)  # checked and written as one path (``..`` and symlinks applied)
    store = RunStore(target)
    fingerprint = _fingerprint(design)
    made = [f for f in (target, *target.parents) if not f.exists()]  # deepest first
    state = _claim(target, store, fingerprint, resume, force, shown(given, target))
    done = store.finished()
    pending = [t for t in design.tasks if t.run_id not in done]
    _check_resources(_spread(design), len(pending), executor, path)
    resume_hint = f"govsim experiment run {path}" + (f" --out {out}" if out else "") + " --resume"
    ran = 0
    try:
        store.prepare()
        atomic_write(
            target / "experiment.yaml",
            lambda p: Path(p).write_text(_experiment_yaml(experiment, fingerprint)),
        )
        ran = _execute(design, store, pending, executor, progress)
        tables = assemble(design, store)
        publish(target, tables, _experiment_yaml(experiment, fingerprint))
    except BaseException as exc:
        kept = _what_is_kept(design, store, target, state, made, resume_hint)
        if isinstance(exc, KeyboardInterrupt):
            raise Interrupted(f"interrupted; {kept}") from None
        if isinstance(exc, OSError):
            raise UserInputError(
                f"cannot write the experiment's results ({exc.strerror or exc}); {kept}",
                source=str(target),
            ) from None
        if isinstance(exc, UserInputError) and not exc.message.endswith(kept):
            exc.message += f"; {kept}"
        raise
    return ExperimentResult(
        target,
        tables,
        store.errors(),
        ran,
        variants=list(experiment.variants),
        outcomes=list(experiment.outcomes),
    )


def _execute(
    design: Design, store: RunStore, pending: list, executor: Executor, progress: bool
) -> int:
    """Perform the pending runs, saving each the moment it finishes; return how many ran."""
    total = len(design.tasks)
    ran = 0
    with Progress(
        total,
        initial=total - len(pending),
        desc=design.experiment.name,
        unit="run",
        enabled=progress,
    ) as bar:
        for outcome in executor.map(perform, pending):
            store.save(outcome)
            ran += 1
            bar.update(1)
            if outcome.error and progress:
                bar.write(
                    f"run failed: variant {outcome.variant}, sample {outcome.sample}, "
                    f"replication {outcome.replication}, seed {outcome.seed}: "
                    f"{outcome.error.splitlines()[0]}"
                )
    return ran


def _what_is_kept(
    design: Design, store: RunStore, target: Path, state: str, made: list[Path], resume_hint: str
) -> str:
    """What a failed or interrupted experiment leaves in its folder, said truthfully; a folder
    that got nothing is put back as it was (removed, with the folders above it, if this
    experiment created them: ``made``, deepest first)."""
    try:
        finished = len({t.run_id for t in design.tasks} & store.finished())
    except OSError:
        finished = 0
    total = len(design.tasks)
    if finished == 0 and state != "reused":
        for name in ("runs", "experiment.yaml"):
            with suppress(OSError):
                (shutil.rmtree if name == "runs" else os.remove)(target / name)
        for folder in made:  # the folder, and those above it, that this experiment created
            with suppress(OSError):
                folder.rmdir()
        discarded = "; --force discarded what the folder held" if state == "discarded" else ""
        return f"nothing was written{discarded}"
    if finished == 0:
        return f"no run finished; {target} holds what it held before"
    if finished == total:
        return (
            f"all {total} runs are finished and kept in {target / 'runs'}; "
            f"`{resume_hint}` assembles the tables"
        )
    return (
        f"{finished} of {total} runs are finished and kept in {target / 'runs'}; "
        f"`{resume_hint}` runs the other {total - finished} and assembles the tables"
    )


def _check_resources(scenarios: list[Scenario], runs: int, executor: Executor, path: Path) -> None:
    """Refuse an experiment that would not fit the machine (:mod:`govsim.engine.cost`)."""
    if getattr(executor, "scheduler", None) is not None or not runs:
        return  # a remote cluster's memory is its own; each run checks itself there
    estimates = [estimate(s) for s in scenarios]
    workers = getattr(executor, "workers", None) or 1
    check_experiment(estimates, runs, min(workers, runs), str(path))


def _spread(design: Design) -> list[Scenario]:
    """Up to ESTIMATED_SCENARIOS of the design's scenarios, spread over it."""
    scenarios = list({id(t.scenario): t.scenario for t in design.tasks}.values())
    return scenarios[:: max(1, len(scenarios) // ESTIMATED_SCENARIOS)]


ESTIMATED_SCENARIOS = 32
"""Scenarios (variant x sample) whose cost is estimated before an experiment starts, spread
over the design (a sweep of 100,000 samples is not estimated one by one)."""


def publish(target: Path, tables: dict[str, pd.DataFrame], experiment_yaml: str) -> None:
    """Put the assembled tables in place in one step, beside the runs they came from.

    A staging folder beside ``target`` receives the tables, ``experiment.yaml`` and hard
    links to the run files (and the replay cache); it then takes ``target``'s place, so
    the folder always holds one consistent set of tables (figures drawn from older tables
    are dropped). A crash before the swap leaves ``target`` as it was.
    """
    with output_folder(target) as stage:
        for name, table in tables.items():
            atomic_write(stage / f"{name}.parquet", partial(_parquet, table))
        atomic_write(stage / "experiment.yaml", lambda p: Path(p).write_text(experiment_yaml))
        for carried in ("runs", "replay"):
            if (target / carried).is_dir():
                link_tree(target / carried, stage / carried)


def assemble(design: Design, store: RunStore) -> dict[str, pd.DataFrame]:
    """The experiment's tables, from the run files alone, in design order."""
    experiment = design.experiment
    results, series = store.load(design.tasks)
    order = list(experiment.variants)
    for frame in (results, series):
        frame.insert(0, "experiment", experiment.name)
        frame["variant"] = pd.Categorical(frame["variant"], categories=order)
    tables = {
        "results": results,
        "timeseries": series,
        "variants": design.variants,
        "samples": design.samples,
        "summary": analysis.summarise(results),
        "paired": analysis.paired_differences(results, experiment.baseline),
    }
    if experiment.uncertainties:
        tables["sweep"] = tables["summary"].merge(design.samples, on="sample")
    if experiment.sampling.method in ("sobol", "morris") and len(results):
        from govsim.experiments.sensitivity import analyse

        tables["sensitivity"] = analyse(experiment, results, design.samples)
    return tables


def _fingerprint(design: Design) -> str:
    """What the runs depend on: any change to it makes old run files invalid."""
    parts = [
        (t.run_id, t.seed, t.scenario.model_dump_json(), t.warmup_hours, t.outcomes)
        for t in design.tasks
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def _claim(
    target: Path, store: RunStore, fingerprint: str, resume: bool, force: bool, where: str
) -> str:
    """Check the output folder can take this experiment; return ``new`` (absent or empty),
    ``discarded`` (emptied by ``force``) or ``reused`` (this experiment's, to resume).

    An absent or empty folder is taken. One holding this experiment's runs needs
    ``resume`` (run what is missing) or ``force``; one holding anything else of govsim's
    (another experiment, a run's results) needs ``force``, which discards it first. A
    folder holding files govsim did not write is never touched.
    """
    try:
        holds = check_output_folder(target, replace=True)
    except FolderInUse as exc:
        raise UserInputError(exc.reason, source=where) from None
    if not holds:
        return "new"
    if force:
        discard(target)
        return "discarded"
    recorded = _recorded_fingerprint(target / "experiment.yaml")
    if recorded is None:
        raise UserInputError(
            "the folder holds results that are not this experiment's; add --force to discard "
            "them, or choose another --out",
            source=where,
        )
    if recorded != fingerprint:
        raise UserInputError(
            "the folder holds runs of a different experiment definition; add --force to "
            "discard them, or choose another --out",
            source=where,
        )
    if store.finished() and not resume:
        raise UserInputError(
            "the folder already holds finished runs of this experiment; add --resume to run only "
            "what is missing, --force to run everything again, or choose another --out",
            source=where,
        )
    return "reused"


def _recorded_fingerprint(path: Path) -> str | None:
    if not path.is_file():
        return None
    try:
        data = yaml_safe.parse(yaml_safe.read_text(path, str(path)), str(path))[0]
    except UserInputError:
        return None
    value = data.get("fingerprint") if isinstance(data, dict) else None
    return str(value) if value is not None else None


def _parquet(table: pd.DataFrame, path: str) -> None:
    table.to_parquet(path, index=False)


def _experiment_yaml(experiment: Experiment, fingerprint: str) -> str:
    data = {"fingerprint": fingerprint, **experiment.model_dump(mode="json")}
    return "# The experiment as run (written by govsim).\n" + yaml.safe_dump(data, sort_keys=False)
