"""From an experiment to its runs: samples of the uncertainties, seeds, one task per run.

A run is (variant, sample, replication). Replication r gets one seed, spawned from the
experiment's root seed with numpy's SeedSequence, and shares it across every variant and
sample: the same arrivals, the same handling times (common random numbers). Inside a run
each random purpose has its own stream (:mod:`govsim.randomness`).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from govsim.errors import UserInputError
from govsim.experiments.schema import Experiment
from govsim.scenario.loader import load_scenario
from govsim.scenario.schema import Scenario


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs to perform one run; picklable."""

    run_id: str
    variant: str
    sample: int
    replication: int
    seed: int
    scenario: Scenario
    warmup_hours: float
    outcomes: tuple[str, ...]


@dataclass(frozen=True)
class Design:
    experiment: Experiment
    tasks: list[RunTask]
    variants: pd.DataFrame
    samples: pd.DataFrame


def run_id(variant: str, sample: int, replication: int) -> str:
    return f"{variant}__s{sample:04d}__r{replication:03d}"


def replication_seeds(root: int, n: int) -> list[int]:
    """One 63-bit seed per replication, spawned from ``root``."""
    return [
        int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
        for child in np.random.SeedSequence(root).spawn(n)
    ]


def sample_table(experiment: Experiment) -> pd.DataFrame:
    """One row per sample of the uncertain parameters (a single empty sample if there are none)."""
    uncertain = experiment.uncertainties
    method = experiment.sampling.method
    fixed = {u.key: u.value for u in uncertain if u.kind == "fixed"}
    if method == "grid":
        grids = [u for u in uncertain if u.kind == "grid"]
        combos = itertools.product(*[u.grid_values for u in grids]) if grids else [()]
        rows = [
            {**fixed, **{u.key: v for u, v in zip(grids, combo, strict=True)}} for combo in combos
        ]
    else:
        ranges = [u for u in uncertain if u.kind == "range"]
        unit = _unit_samples(experiment, len(ranges))
        rows = []
        for point in unit:
            row = dict(fixed)
            for u, x in zip(ranges, point, strict=True):
                low, high = u.bounds
                value = low + x * (high - low) if method == "lhs" else x
                row[u.key] = int(round(value)) if u.integer else float(value)
            rows.append(row)
    table = pd.DataFrame(rows)
    table.insert(0, "sample", range(len(table)))
    return table


def _unit_samples(experiment: Experiment, d: int) -> np.ndarray:
    method, n = experiment.sampling.method, experiment.sampling.samples
    if method == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=d, seed=experiment.seed).random(n)
    from govsim.experiments.sensitivity import salib_samples

    return salib_samples(experiment)


def build_design(experiment: Experiment, path: Path) -> Design:
    """Validate every (variant, sample) scenario up front and list the runs."""
    base = (path.parent / experiment.scenario).resolve()
    if not base.is_file():
        raise UserInputError(
            f"scenario file '{experiment.scenario}' does not exist",
            source=str(path),
            key_path="scenario",
        )
    samples = sample_table(experiment)
    seeds = replication_seeds(experiment.seed, experiment.replications)
    common = [
        f"output.timeseries_interval_hours={experiment.timeseries_interval_hours}",
        "output.cases_table=false",
    ]  # outcomes come from the streaming statistics
    if experiment.days is not None:
        common.append(f"days={experiment.days}")
    base_scenario = load_scenario(base, common)
    base_policies = [p.model_dump(mode="json") for p in base_scenario.policies]
    tasks: list[RunTask] = []
    variant_rows = []
    for name, variant in experiment.variants.items():
        variant_rows.append(
            {
                "variant": name,
                "description": variant.description,
                "set": json.dumps(variant.set, sort_keys=True),
                "policies": json.dumps(variant.policies, sort_keys=True),
            }
        )
        overrides = [*common, *(f"{k}={json.dumps(v)}" for k, v in variant.set.items())]
        if variant.policies:
            overrides.append(f"policies={json.dumps(base_policies + variant.policies)}")
        for _, row in samples.iterrows():
            values = [f"{k}={json.dumps(_plain(v))}" for k, v in row.items() if k != "sample"]
            try:
                scenario = load_scenario(base, [*overrides, *values])
            except UserInputError as exc:
                raise UserInputError(
                    f"variant '{name}' sample {row['sample']}: {exc}",
                    source=str(path),
                    key_path=f"variants.{name}",
                ) from None
            for r, seed in enumerate(seeds):
                tasks.append(
                    RunTask(
                        run_id(name, int(row["sample"]), r),
                        name,
                        int(row["sample"]),
                        r,
                        seed,
                        scenario,
                        experiment.warmup_days * 24,
                        tuple(experiment.outcomes),
                    )
                )
    return Design(experiment, tasks, pd.DataFrame(variant_rows), samples)


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value
