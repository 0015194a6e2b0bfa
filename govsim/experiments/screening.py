"""Morris screening of a policy comparison's conclusions over the scenario's assumed parameters.

Every parameter :mod:`govsim.experiments.assumed` finds in the comparison's base scenario and
in the policies of the screened variants is a factor: a multiplier on its value between
``1 - spread`` and ``1 + spread`` (SALib's Morris design on ``levels`` levels, ``trajectories``
trajectories), shares clipped to [0, 1] and to the schema's bounds, whole numbers rounded
(half up, at least 1 where the value is), the shares of a composition (summing to 1)
renormalised after their factors act. A policy's parameter moves its value in every variant
carrying that policy. A dummy factor changes no parameter but the seeds: its level picks the
design point's seeds, so its elementary effect is what a fresh draw of random numbers does to
a conclusion, the noise floor that a parameter's effect must stand above.

Each design point runs every variant at the same seeds (common random numbers; the points of
a trajectory share them while the dummy stays put, so a parameter's step is paired too); the outcome
of a point is the paired difference (variant minus its reference at the same seed), so an
elementary effect is how an assumed parameter moves a *conclusion*, not a level. The nominal
point (every factor 1) runs with more seeds for the conclusions' own size and interval.

Runs go through the experiment machinery (:func:`govsim.experiments.runner.perform`, an
executor, :class:`govsim.experiments.store.RunStore`): each run's file is written atomically
the moment it finishes and an interrupted screening resumes where it stopped. The result, with
its provenance, is one JSON file (:func:`write_result`) that
:mod:`govsim.calibration.sensitivity` turns into the table of ``docs/calibration.md``.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from govsim.core.errors import UserInputError
from govsim.core.intervals import mean_ci
from govsim.core.io import atomic_write
from govsim.experiments.assumed import Assumed, Excluded, policy_parameters, scenario_parameters
from govsim.experiments.design import RunTask, replication_seeds, run_id
from govsim.experiments.schema import Experiment
from govsim.scenario.loader import Override, ScenarioSource, read_model
from govsim.scenario.schema import Scenario

DUMMY = "(dummy: the seeds)"
OUTCOMES = ("backlog_mean", "time_to_close_cross_department", "true_fix_rate", "resolution_gap")
SOURCE = "sensitivity screening"


@dataclass(frozen=True)
class Screening:
    """What is screened and how (the defaults: the shipped comparison, shortened)."""

    comparison: Path
    """The policy comparison's experiment file: its base scenario and variants."""
    variants: tuple[str, ...]
    """The variants screened, the reference first (``baseline``)."""
    contrasts: tuple[tuple[str, str], ...]
    """(variant, reference) pairs whose paired difference is a conclusion."""
    days: float = 40
    warmup_days: int = 10
    trajectories: int = 4
    levels: int = 4
    spread: float = 0.5
    seed: int = 2024
    replications: int = 1
    """Seeds per design point."""
    nominal_replications: int = 10
    outcomes: tuple[str, ...] = OUTCOMES
    only: tuple[str, ...] | None = None
    """Screen only these parameters (by name); None: every assumed parameter."""


@dataclass
class Plan:
    screening: Screening
    factors: list[Assumed]
    excluded: list[Excluded]
    multipliers: np.ndarray
    """One row per design point, one column per factor then the dummy."""
    tasks: list[RunTask] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.factors] + [DUMMY]

    @property
    def nominal(self) -> int:
        """The sample number of the nominal point (after the design's points)."""
        return len(self.multipliers)


def discover(screening: Screening) -> tuple[list[Assumed], list[Excluded]]:
    """The assumed parameters of the comparison's scenario and of the screened variants'
    policies, and those excluded with why."""
    experiment = _experiment(screening.comparison)
    scenario = (screening.comparison.parent / experiment.scenario).resolve()
    own = scenario_parameters(scenario)
    policies = policy_parameters(screening.comparison, list(screening.variants))
    factors = own.parameters + policies.parameters
    if screening.only is not None:
        unknown = sorted(set(screening.only) - {f.name for f in factors})
        if unknown:
            raise UserInputError(f"not assumed parameters of the comparison: {unknown}")
        factors = [f for f in factors if f.name in screening.only]
    return factors, own.excluded + policies.excluded


def morris_design(n_factors: int, screening: Screening) -> np.ndarray:
    """SALib's Morris design over ``n_factors`` multipliers and a dummy."""
    from SALib.sample import morris

    low, high = 1 - screening.spread, 1 + screening.spread
    problem = {
        "num_vars": n_factors + 1,
        "names": [f"x{i}" for i in range(n_factors + 1)],
        "bounds": [[low, high]] * (n_factors + 1),
    }
    return morris.sample(
        problem, screening.trajectories, num_levels=screening.levels, seed=screening.seed
    )


def moved(parameter: Assumed, multiplier: float, value: float | None = None) -> float | int:
    """``value`` (default the parameter's) times ``multiplier``: a share clipped to [0, 1], any
    value to the schema's bounds, a whole number rounded half up (at least 1 if it was)."""
    base = parameter.value if value is None else value
    x = base * multiplier
    if parameter.share:
        x = min(max(x, 0.0), 1.0)
    low, high = parameter.bounds
    if low is not None:
        x = max(x, low)
    if high is not None:
        x = min(x, high)
    if parameter.integer:
        n = math.floor(x + 0.5)
        return max(n, 1) if base >= 1 else n
    return x


def point_overrides(
    factors: list[Assumed], row: np.ndarray, data: dict[str, Any]
) -> list[Override]:
    """The scenario's overrides at one design point (its policies' factors apart)."""
    overrides: list[Override] = []
    compositions: dict[tuple[Any, ...], dict[Any, tuple[Assumed, float]]] = {}
    for parameter, m in zip(factors, row, strict=False):
        if parameter.policy is not None:
            continue
        if parameter.composition is not None:
            compositions.setdefault(parameter.composition, {})[parameter.path[-1]] = (
                parameter,
                m,
            )
            continue
        overrides.append(Override(parameter.name, moved(parameter, float(m)), SOURCE))
    for path, members in compositions.items():
        first = next(iter(members.values()))[0]
        prefix = first.name.rsplit(".", 1)[0]
        shares = dict(_get(data, path) or {})
        for key, (parameter, m) in members.items():
            shares[key] = parameter.value * float(m)
        total = sum(shares.values())
        for key, share in shares.items():
            overrides.append(Override(f"{prefix}.{key}", round(share / total, 12), SOURCE))
    return overrides


def point_policies(
    factors: list[Assumed], row: np.ndarray, specs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A variant's policies at one design point: each policy's assumed parameters moved."""
    from pydantic import TypeAdapter

    from govsim.policies import Policy

    adapter: TypeAdapter[Any] = TypeAdapter(Policy)
    out = []
    for spec in specs:
        mine = [(p, m) for p, m in zip(factors, row, strict=False) if p.policy == spec["type"]]
        if not mine:
            out.append(copy.deepcopy(spec))
            continue
        full = adapter.validate_python(spec).model_dump(mode="json")
        for parameter, m in mine:
            holder = _get(full, parameter.path[:-1])
            key = parameter.path[-1]
            holder[key] = moved(parameter, float(m), holder[key])
        out.append(full)
    return out


def plan(screening: Screening) -> Plan:
    """The factors, the design and one run task per (point, variant, seed)."""
    factors, excluded = discover(screening)
    multipliers = morris_design(len(factors), screening)
    result = Plan(screening, factors, excluded, multipliers)
    experiment = _experiment(screening.comparison)
    missing = [v for v in screening.variants if v not in experiment.variants]
    if missing:
        raise UserInputError(
            f"variants {missing} are not in the comparison", source=str(screening.comparison)
        )
    source = ScenarioSource.read((screening.comparison.parent / experiment.scenario).resolve())
    common = [
        Override("days", screening.days, SOURCE),
        Override("output.timeseries_interval_hours", 24.0, SOURCE),
        Override("output.cases_table", False, SOURCE),
    ]
    seeds = point_seeds(screening)
    # a variant's policies follow the base scenario's own (as in an experiment), unmoved
    base_policies = [p.model_dump(mode="json") for p in source.build(common).policies]
    nominal_row = np.ones(len(factors) + 1)
    points = [*enumerate(multipliers), (result.nominal, nominal_row)]
    for sample, row in points:
        if sample == result.nominal:
            n, first = screening.nominal_replications, 0
        else:  # the dummy's level picks the seeds: its elementary effect is a change of seeds
            n, first = screening.replications, _level(row[-1], screening) * screening.replications
        own = point_overrides(factors, row, source.data)
        for name in screening.variants:
            specs = experiment.variants[name].policies
            policies = base_policies + point_policies(factors, row, specs) if specs else []
            scenario = source.build(
                [*common, *own, *([Override("policies", policies, SOURCE)] if policies else [])]
            )
            for r in range(n):
                result.tasks.append(_task(name, sample, r, seeds[first + r], scenario, screening))
    return result


def point_seeds(screening: Screening) -> list[int]:
    """The seeds of the design: ``replications`` for each level of the dummy, and the
    nominal point's (the first ``nominal_replications``)."""
    n = max(screening.levels * screening.replications, screening.nominal_replications)
    return replication_seeds(screening.seed, n)


def _level(multiplier: float, screening: Screening) -> int:
    """The level (0 .. levels - 1) of a multiplier of the Morris grid."""
    low = 1 - screening.spread
    step = 2 * screening.spread / (screening.levels - 1)
    return int(round((multiplier - low) / step))


def _task(
    variant: str, sample: int, r: int, seed: int, scenario: Scenario, screening: Screening
) -> RunTask:
    return RunTask(
        run_id(variant, sample, r),
        variant,
        sample,
        r,
        seed,
        scenario,
        screening.warmup_days * 24.0,
        screening.outcomes,
    )


def fingerprint(tasks: list[RunTask]) -> str:
    """What the runs depend on (a change makes the stored runs another screening's)."""
    parts = [
        (t.run_id, t.seed, t.scenario.model_dump_json(), t.warmup_hours, t.outcomes) for t in tasks
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def execute(
    the_plan: Plan,
    out: Path,
    *,
    workers: int = 1,
    force: bool = False,
    progress: bool = True,
) -> tuple[pd.DataFrame, int]:
    """Run what ``out`` does not hold yet (one file per run, atomically); return every
    run's outcomes (variant, sample, replication, seed, metric, value) and how many runs
    this call made."""
    from govsim.core.io import discard
    from govsim.core.progress import Progress
    from govsim.experiments.executors import choose
    from govsim.experiments.runner import perform
    from govsim.experiments.store import RunStore

    store = RunStore(out)
    mark = out / "screening.json"
    stamp = fingerprint(the_plan.tasks)
    if mark.is_file() and json.loads(mark.read_text()).get("fingerprint") != stamp:
        if not force:
            raise UserInputError(
                "the folder holds runs of another screening; add --force to discard them",
                source=str(out),
            )
        discard(out)
    store.prepare()
    atomic_write(mark, lambda p: Path(p).write_text(json.dumps({"fingerprint": stamp})))
    done = store.finished()
    pending = [t for t in the_plan.tasks if t.run_id not in done]
    total = len(the_plan.tasks)
    with Progress(
        total, initial=total - len(pending), desc="screening", unit="run", enabled=progress
    ) as bar:
        for outcome in choose(workers=workers).map(perform, pending):
            store.save(outcome)
            bar.update(1)
    errors = store.errors()
    if errors:
        raise UserInputError(
            f"{len(errors)} runs failed (first: {errors[0]['error'].splitlines()[0]}); their "
            "errors are in runs/*.error.json",
            source=str(out),
        )
    results, _ = store.load(the_plan.tasks)
    return results, len(pending)


def differences(results: pd.DataFrame, contrasts: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """Per contrast, sample and metric: the mean over seeds of variant minus reference at the
    same seed (columns contrast, sample, metric, value, n)."""
    table = results.pivot_table(
        index=["sample", "replication", "metric"], columns="variant", values="value", observed=True
    )
    rows = []
    for variant, reference in contrasts:
        diff = (table[variant] - table[reference]).rename("value").reset_index()
        for key, group in diff.groupby(["sample", "metric"]):
            sample, metric = cast(tuple[int, str], key)  # the group key of two levels
            values = group["value"].to_numpy(dtype=float)
            rows.append(
                {
                    "contrast": f"{variant} - {reference}",
                    "sample": int(sample),
                    "metric": metric,
                    "value": float(np.nanmean(values)) if np.isfinite(values).any() else np.nan,
                    "values": values,
                }
            )
    return pd.DataFrame(rows)


def analyse(the_plan: Plan, results: pd.DataFrame) -> dict[str, Any]:
    """mu*, sigma and the end means per contrast, outcome and factor, and each conclusion's
    nominal size (mean paired difference over the nominal seeds, 95% interval)."""
    from SALib.analyze import morris

    screening = the_plan.screening
    names = the_plan.names
    x = the_plan.multipliers
    low, high = 1 - screening.spread, 1 + screening.spread
    problem = {"num_vars": len(names), "names": names, "bounds": [[low, high]] * len(names)}
    diffs = differences(results, screening.contrasts)
    conclusions, indices = [], []
    for (contrast, metric), group in diffs.groupby(["contrast", "metric"], sort=False):
        by_sample = group.set_index("sample")
        nominal = by_sample.loc[the_plan.nominal, "values"]
        ci = mean_ci(np.asarray(nominal, dtype=float))
        y = by_sample["value"].reindex(range(len(x))).to_numpy(dtype=float)
        finite = y[np.isfinite(y)]
        conclusions.append(
            {
                "contrast": contrast,
                "outcome": metric,
                "mean": ci.mean,
                "ci_low": ci.low,
                "ci_high": ci.high,
                "n": ci.n,
                "points": int(len(finite)),
                "points_same_sign": float(np.mean(np.sign(finite) == np.sign(ci.mean)))
                if len(finite)
                else None,
                "points_p10": float(np.quantile(finite, 0.1)) if len(finite) else None,
                "points_p90": float(np.quantile(finite, 0.9)) if len(finite) else None,
            }
        )
        if not np.all(np.isfinite(y)):
            y = np.where(np.isfinite(y), y, np.nanmean(y))  # a point without such cases
        found = morris.analyze(problem, x, y, num_levels=screening.levels, seed=screening.seed)
        for j, name in enumerate(names):
            at_low, at_high = np.isclose(x[:, j], low), np.isclose(x[:, j], high)
            indices.append(
                {
                    "contrast": contrast,
                    "outcome": metric,
                    "parameter": name,
                    "mu": float(found["mu"][j]),
                    "mu_star": float(found["mu_star"][j]),
                    "mu_star_conf": float(found["mu_star_conf"][j]),
                    "sigma": float(found["sigma"][j]),
                    "low_mean": float(np.mean(y[at_low])) if at_low.any() else None,
                    "high_mean": float(np.mean(y[at_high])) if at_high.any() else None,
                }
            )
    return {"conclusions": conclusions, "indices": indices}


def write_result(
    path: Path,
    the_plan: Plan,
    analysed: dict[str, Any],
    *,
    wall_seconds: float,
    runs_made: int,
    workers: int = 1,
) -> dict[str, Any]:
    """The screening's JSON (design, seeds, date, wall time, parameters, indices), atomically."""
    screening = the_plan.screening
    settings = {k: v for k, v in asdict(screening).items() if k != "comparison"}
    stamp = fingerprint(the_plan.tasks)
    before = json.loads(path.read_text()).get("provenance", {}) if path.is_file() else {}
    if before.get("fingerprint") == stamp and runs_made < len(the_plan.tasks):
        # a resumed screening: its time is that of the calls that made its runs (a call that
        # made none only analysed them again)
        wall_seconds = before.get("wall_seconds", 0.0) + (wall_seconds if runs_made else 0.0)
        runs_made += before.get("runs_made", 0)
    document = {
        "provenance": {
            "comparison": str(_relative(screening.comparison)),
            **settings,
            "factors": len(the_plan.factors),
            "points": int(len(the_plan.multipliers)),
            "runs": len(the_plan.tasks),
            "seeds": point_seeds(screening),
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "wall_seconds": round(wall_seconds, 1),
            "runs_made": runs_made,
            "fingerprint": stamp,
            "workers": workers,
            "command": "python experiments/sensitivity/assumed.py",
        },
        "parameters": [
            {
                "name": p.name,
                "value": p.value,
                "low": float(moved(p, 1 - screening.spread)),
                "high": float(moved(p, 1 + screening.spread)),
                "integer": p.integer,
                "share": p.share,
                "composition": p.composition is not None,
                "why": p.why,
            }
            for p in the_plan.factors
        ],
        "excluded": [
            {"name": e.name, "value": e.value, "reason": e.reason} for e in the_plan.excluded
        ],
        **analysed,
    }
    text = _dumps(document)
    atomic_write(path, lambda p: Path(p).write_text(text))
    return document


def _dumps(document: dict[str, Any]) -> str:
    """The JSON with one line per parameter, conclusion and index row, numbers to 6
    significant digits (a diff shows what moved)."""

    def short(value: Any) -> Any:
        if isinstance(value, float) and math.isfinite(value):
            return float(f"{value:.6g}")
        if isinstance(value, dict):
            return {k: short(v) for k, v in value.items()}
        if isinstance(value, list):
            return [short(v) for v in value]
        return value

    parts = []
    for key, value in document.items():
        if isinstance(value, list):
            rows = ",\n  ".join(json.dumps(short(v), default=_plain) for v in value)
            parts.append(f' "{key}": [\n  {rows}\n ]')
        elif isinstance(value, dict):
            rows = ",\n  ".join(
                f"{json.dumps(k)}: {json.dumps(short(v), default=_plain)}" for k, v in value.items()
            )
            parts.append(f' "{key}": {{\n  {rows}\n }}')
        else:
            parts.append(f' "{key}": {json.dumps(short(value), default=_plain)}')
    return "{\n" + ",\n".join(parts) + "\n}\n"


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started


def _experiment(path: Path) -> Experiment:
    return read_model(path, Experiment)[0]


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    node = data
    for part in path:
        if isinstance(node, list) and isinstance(part, int):
            node = node[part]
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | Path):
        return list(value) if isinstance(value, tuple) else str(value)
    raise TypeError(type(value).__name__)
