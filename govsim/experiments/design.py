"""From an experiment to its runs: samples of the uncertainties, seeds, one task per run.

A run is (variant, sample, replication). Replication r gets one seed, spawned from the
experiment's root seed with numpy's SeedSequence, and shares it across every variant and
sample: the same arrivals, the same handling times (common random numbers). Inside a run
each random purpose has its own stream (:mod:`govsim.core.randomness`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from govsim.core.bounds import MAX_RUNS
from govsim.core.errors import UserInputError
from govsim.experiments.outcomes import measured
from govsim.experiments.schema import Experiment
from govsim.scenario.loader import Override, ScenarioSource, _find
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
    companions: bool = False
    """Measure, beside a time to close, its companions too (open share, settled:
    :func:`govsim.experiments.outcomes.measured`); an experiment's runs do."""


def task_outcomes(task: RunTask) -> list[str]:
    """What one run measures: its outcomes, with their companions if the task asks
    (``RunTask.companions``: an experiment's runs do)."""
    return measured(task.outcomes) if task.companions else list(task.outcomes)


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


def planned_samples(experiment: Experiment) -> int:
    """How many samples the design will have, computed without building it."""
    method, n = experiment.sampling.method, experiment.sampling.samples
    ranges = sum(1 for u in experiment.uncertainties if u.kind == "range")
    if method == "grid":
        count = 1
        for u in experiment.uncertainties:
            if u.kind == "grid":
                count *= len(u.values or [])
                if count > MAX_RUNS:
                    return count  # enough to refuse; the full product may be astronomical
        return count
    if method == "lhs":
        return n
    return n * (ranges + 2) if method == "sobol" else n * (ranges + 1)


def check_size(experiment: Experiment, path: Path, root: yaml.Node | None) -> int:
    """Refuse a design of more than MAX_RUNS runs before building it; return its run count."""
    samples = planned_samples(experiment)
    runs = len(experiment.variants) * samples * experiment.replications
    if runs <= MAX_RUNS:
        return runs
    if experiment.replications >= samples:
        key = "replications"
    elif experiment.sampling.method == "grid":
        key = "uncertainties"
    else:
        key = "sampling.samples"
    raise UserInputError(
        f"{len(experiment.variants):,} variants x {samples:,} samples x "
        f"{experiment.replications:,} replications = {runs:,} runs, more than the "
        f"{MAX_RUNS:,} an experiment may have",
        source=str(path),
        key_path=key,
        line=_line(root, tuple(key.split("."))),
    )


def build_design(
    experiment: Experiment,
    path: Path,
    root: yaml.Node | None = None,
    budget: Callable[[Scenario, int], None] | None = None,
) -> Design:
    """Validate every (variant, sample) scenario up front and list the runs.

    ``root`` is the experiment file's YAML node tree: an error in a variant's ``set`` or
    ``policies``, or in an uncertainty's key or value, names its line there. ``budget``
    is called with the base scenario and the number of runs before the variants are
    built (validating 100,000 samples takes minutes): it may refuse the experiment.
    """
    where = str(path)
    base = (path.parent / experiment.scenario).resolve()
    if base.is_dir() or not base.is_file():
        state = "is a folder, not a scenario file" if base.is_dir() else "does not exist"
        raise UserInputError(
            f"scenario file '{experiment.scenario}' {state}",
            source=where,
            key_path="scenario",
            line=_line(root, ("scenario",)),
        )
    check_size(experiment, path, root)
    source = ScenarioSource.read(base)
    common = [
        _at("output.timeseries_interval_hours", experiment.timeseries_interval_hours, where, root),
        Override("output.cases_table", False, where),  # outcomes come from the streaming tallies
    ]
    if experiment.days is not None:
        common.append(_at("days", experiment.days, where, root, key_path="days"))
    base_scenario = source.build(common)
    if budget is not None:
        budget(base_scenario, check_size(experiment, path, root))
    check_warmup(
        experiment.warmup_days,
        base_scenario.days,
        source=where,
        key_path="warmup_days",
        line=_line(root, ("warmup_days",)),
    )
    base_policies = [p.model_dump(mode="json") for p in base_scenario.policies]
    samples = sample_table(experiment)
    seeds = replication_seeds(experiment.seed, experiment.replications)
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
        overrides = [*common]
        for key, value in variant.set.items():
            overrides.append(
                _at(key, value, where, root, key_path=f"variants.{name}.set.{key}", dotted=True)
            )
        if variant.policies:
            overrides.append(
                _at(
                    "policies",
                    base_policies + variant.policies,
                    where,
                    root,
                    key_path=f"variants.{name}.policies",
                    offset=len(base_policies),
                )
            )
        for row in samples.to_dict("records"):
            sample = int(row.pop("sample"))
            values = [
                _sampled(experiment, str(key), _plain(value), name, sample, where, root)
                for key, value in row.items()
            ]
            scenario = source.build([*overrides, *values])
            for r, seed in enumerate(seeds):
                tasks.append(
                    RunTask(
                        run_id(name, sample, r),
                        name,
                        sample,
                        r,
                        seed,
                        scenario,
                        experiment.warmup_days * 24,
                        tuple(experiment.outcomes),
                        companions=True,
                    )
                )
    return Design(experiment, tasks, pd.DataFrame(variant_rows), samples)


def check_warmup(
    warmup_days: float, days: float, *, source: str, key_path: str, line: int | None
) -> None:
    """Refuse a warm-up as long as the horizon (the outcomes would have no cases), at
    ``key_path`` and ``line`` of ``source``."""
    if warmup_days >= days:
        raise UserInputError(
            f"warmup_days ({warmup_days:g}) must be less than the horizon ({days:g} days): the "
            "outcomes would have no cases",
            source=source,
            key_path=key_path,
            line=line,
        )


def _at(
    path: str,
    value: object,
    source: str,
    root: yaml.Node | None,
    *,
    key_path: str | None = None,
    dotted: bool = False,
    offset: int = 0,
) -> Override:
    """An override written at ``key_path`` of the experiment file (default: the scenario key
    of the same name at the experiment's top level)."""
    key_path = key_path or path.rsplit(".", 1)[-1]
    parts: tuple[str | int, ...] = tuple(key_path.split("."))
    if dotted:  # a `set` key is one YAML key with dots in it
        parts = (*parts[:3], path)
    node = _node(root, parts)
    return Override(
        path,
        value,
        source,
        key_path=key_path,
        line=_line(root, parts),
        node=node,
        offset=offset,
    )


def _sampled(
    experiment: Experiment,
    key: str,
    value: object,
    variant: str,
    sample: int,
    source: str,
    root: yaml.Node | None,
) -> Override:
    """The override of one uncertain key in one sample, blamed on the uncertainty's value."""
    index = next(i for i, u in enumerate(experiment.uncertainties) if u.key == key)
    u = experiment.uncertainties[index]
    if u.kind == "grid":
        position = next((j for j, v in enumerate(u.values or []) if v == value), None)
        kind: tuple[str | int, ...] = ("values",) if position is None else ("values", position)
    else:
        kind = (u.kind if u.kind == "range" else "value",)
    parts = ("uncertainties", index, *kind)
    key_parts = ("uncertainties", index, "key")
    return Override(
        key,
        value,
        source,
        key_path=".".join(map(str, parts)),
        line=_line(root, parts),
        note=f"variant '{variant}', sample {sample} ({key} = {value!r}): ",
        path_key_path=".".join(map(str, key_parts)),
        path_line=_line(root, key_parts),
    )


def _node(root: yaml.Node | None, parts: tuple[str | int, ...]) -> yaml.Node | None:
    node = root
    for part in parts:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            return None
    return node


def _line(root: yaml.Node | None, parts: tuple[str | int, ...]) -> int | None:
    if root is None:
        return None
    depth, line = _find(root, parts)
    return line if depth else None


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value
