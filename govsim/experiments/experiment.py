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
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd
import yaml

from govsim.errors import UserInputError
from govsim.experiments import analysis
from govsim.experiments.design import Design, build_design
from govsim.experiments.executors import Executor, choose
from govsim.experiments.runner import perform
from govsim.experiments.schema import Experiment
from govsim.experiments.store import RunStore
from govsim.io import atomic_write
from govsim.scenario.loader import load_model

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
    out: Path
    tables: dict[str, pd.DataFrame]
    errors: list[dict] = field(default_factory=list)
    ran: int = 0

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name in TABLES:
            return self.tables.get(name, pd.DataFrame())
        raise AttributeError(name)


def load_experiment(path: str | Path) -> Experiment:
    return load_model(path, Experiment)


def run_experiment(
    path: str | Path,
    *,
    executor: Executor | None = None,
    resume: bool = False,
    out: str | Path | None = None,
    progress: bool = True,
) -> ExperimentResult:
    path = Path(path)
    experiment = load_experiment(path)
    design = build_design(experiment, path)
    target = (
        Path(out)
        if out
        else (
            (path.parent / experiment.out) if experiment.out else Path("results") / experiment.name
        )
    )
    store = RunStore(target)
    fingerprint = _fingerprint(design)
    _claim(target, store, fingerprint, resume)
    done = store.finished()
    pending = [t for t in design.tasks if t.run_id not in done]
    store.prepare()
    atomic_write(
        target / "experiment.yaml",
        lambda p: Path(p).write_text(_experiment_yaml(experiment, fingerprint)),
    )
    executor = executor or choose()
    bar = _bar(len(design.tasks), len(design.tasks) - len(pending), progress, experiment.name)
    ran = 0
    for outcome in executor.map(perform, pending):
        store.save(outcome)
        ran += 1
        if bar is not None:
            bar.update(1)
            if outcome.error:
                bar.write(
                    f"run failed: variant {outcome.variant}, sample {outcome.sample}, replication "
                    f"{outcome.replication}, seed {outcome.seed}: {outcome.error.splitlines()[0]}"
                )
    if bar is not None:
        bar.close()
    tables = assemble(design, store)
    for name, table in tables.items():
        atomic_write(target / f"{name}.parquet", partial(table.to_parquet, index=False))
    return ExperimentResult(target, tables, store.errors(), ran)


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


def _claim(target: Path, store: RunStore, fingerprint: str, resume: bool) -> None:
    """Refuse to mix runs of different experiments, or to overwrite runs without ``--resume``."""
    if target.exists() and not target.is_dir():
        raise UserInputError("the output path exists and is not a folder", source=str(target))
    if not store.finished():
        return
    recorded = target / "experiment.yaml"
    previous = (
        yaml.safe_load(recorded.read_text()).get("fingerprint") if recorded.is_file() else None
    )
    if previous != fingerprint:
        raise UserInputError(
            "the folder holds runs of a different experiment definition; choose another --out",
            source=str(target),
        )
    if not resume:
        raise UserInputError(
            "the folder already holds finished runs of this experiment; add --resume to run only "
            "what is missing, or choose another --out",
            source=str(target),
        )


def _experiment_yaml(experiment: Experiment, fingerprint: str) -> str:
    data = {"fingerprint": fingerprint, **experiment.model_dump(mode="json")}
    return "# The experiment as run (written by govsim).\n" + yaml.safe_dump(data, sort_keys=False)


def _bar(total: int, done: int, progress: bool, label: str):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=done, unit="run", desc=label, disable=None)
