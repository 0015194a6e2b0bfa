"""From a study to candidate scenarios: resolve lever keys, apply values, count heads and yuan.

Every lever key is resolved once against the base scenario as loaded (with its defaults),
so a key that does not exist is reported before anything runs. Two extensions of the
``--set`` syntax: a policy entry is addressed by its type
(``policies.resource_sinking.department_share``), and ``*`` stands for every item of a
list (``departments.*.staff``). Every value a lever can take at the ends of its range
(or each of its choices) is validated up front too.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from govsim.core.errors import UserInputError
from govsim.experiments.design import check_warmup, sample_table
from govsim.network.city import build_city
from govsim.scenario import yaml_safe
from govsim.scenario.loader import Override, load_model, load_scenario
from govsim.scenario.schema import Scenario
from govsim.search.study import Lever, Study

REPAIR_EVALUATIONS = 300  # candidates a repair may try before it gives up
FIXED_OUTPUT = ("output.timeseries_interval_hours=24", "output.cases_table=false")


@dataclass(frozen=True)
class Candidate:
    """One point of the search space, completed (fill lever) and checked against the budgets."""

    levers: dict[str, Any]
    headcount: int | None = None
    cost_yuan: float | None = None
    violations: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    @property
    def feasible(self) -> bool:
        return self.error is None and not any(v > 0 for v in self.violations.values())

    @property
    def key(self) -> str:
        """Identity of the candidate: equal keys simulate identically on equal seeds."""
        return json.dumps(self.levers, sort_keys=True, default=str)


@dataclass
class Space:
    """A validated study with everything needed to build the scenario of any candidate."""

    study: Study
    source: str
    base: Path
    common: list[str | Override]
    paths: dict[str, list[str]]
    samples: pd.DataFrame
    base_scenario: Scenario
    sample_paths: dict[str, list[str]] = field(default_factory=dict)

    @property
    def warmup_hours(self) -> float:
        return float(self.study.warmup_days or 0) * 24

    @property
    def drawn(self) -> list[Lever]:
        """The levers the sampler draws (all but the fill lever)."""
        head = self.study.constraints.headcount
        fill = head.fill if head is not None else None
        return [lever for lever in self.study.levers if lever.key != fill]

    def overrides(self, values: dict[str, Any], sample: int | None = None) -> list[str | Override]:
        items = list(self.common)
        for key, value in values.items():
            items += [f"{p}={json.dumps(_plain(value))}" for p in self.paths[key]]
        if sample is not None:
            row = self.samples.loc[self.samples["sample"] == sample].iloc[0]
            for key, paths in self.sample_paths.items():
                items += [f"{p}={json.dumps(_plain(row[key]))}" for p in paths]
        return items

    def scenario(self, values: dict[str, Any], sample: int | None = None) -> Scenario:
        return load_scenario(self.base, self.overrides(values, sample))

    def candidate(self, drawn: dict[str, Any]) -> Candidate:
        """Complete ``drawn`` (the sampler's values) and check it against the budgets."""
        values = {lever.key: drawn.get(lever.key) for lever in self.study.levers}
        head = self.study.constraints.headcount
        try:
            if head is not None and head.fill is not None:
                values[head.fill] = self._fill(values)
            scenario = self.scenario(values)
        except (UserInputError, ValueError) as exc:
            return Candidate(values, error=str(exc))
        staff = staff_by_tier(scenario)
        violations: dict[str, float] = {}
        headcount = None
        if head is not None:
            headcount = sum(staff[t] for t in head.tiers)
            violations["headcount"] = float(headcount - head.max)
            if head.min is not None:
                violations["headcount_min"] = float(head.min - headcount)
        cost = self.cost(values, staff)
        if cost is not None:
            budget = self.study.constraints.cost.budget_yuan  # type: ignore[union-attr]
            violations["cost"] = (
                cost - budget
            ) / budget  # relative, so it compares with head counts
        return Candidate(values, headcount, cost, violations)

    def repair(self, drawn: dict[str, Any], tried: Collection[str] = frozenset()) -> dict[str, Any]:
        """The feasible point nearest ``drawn`` not ``tried`` yet: no trial is spent over a
        budget, nor on a candidate already run (a repeat on the same seeds adds nothing).

        Nearest in grid steps: the numeric levers (integer and stepped ranges; continuous
        ones and choices stay as drawn) move one step at a time, breadth first, within
        their ranges; of the fitting points at the least distance the one closest to the
        budget (least slack) wins, ties to the first found. ``tried`` holds
        :func:`point_key` of the drawn levers of earlier trials. When every feasible point
        within ``REPAIR_EVALUATIONS`` evaluations was tried, the nearest feasible one is
        returned (a repeat: its runs are reused); when none is feasible, or ``drawn`` is
        invalid, ``drawn`` itself (told as infeasible or failed, as before).
        """
        first = self.candidate(drawn)
        if first.error is not None or (first.feasible and point_key(drawn) not in tried):
            return drawn
        fallback = drawn if first.feasible else None
        movable = [lv for lv in self.drawn if lv.range is not None and (lv.integer or lv.step)]
        seen = {point_key(drawn)}
        layer = [drawn]
        evaluations = 0
        while layer and evaluations < REPAIR_EVALUATIONS:
            nxt: list[dict[str, Any]] = []
            found: list[tuple[float, dict[str, Any]]] = []
            for point in layer:
                for lever in movable:
                    for direction in (-1, 1):
                        moved = _step(lever, point[lever.key], direction)
                        if moved is None:
                            continue
                        other = {**point, lever.key: moved}
                        if point_key(other) in seen:
                            continue
                        seen.add(point_key(other))
                        nxt.append(other)
                        candidate = self.candidate(other)
                        evaluations += 1
                        if not candidate.feasible:
                            continue
                        if point_key(other) in tried:
                            fallback = fallback or other
                            continue
                        slack = -sum(
                            v for k, v in candidate.violations.items() if k != "headcount_min"
                        )
                        found.append((slack, other))
            if found:
                return min(found, key=lambda f: f[0])[1]
            layer = nxt
        return fallback if fallback is not None else drawn

    def _fill(self, values: dict[str, Any]) -> int:
        head = self.study.constraints.headcount
        assert head is not None and head.fill is not None
        lever = next(lv for lv in self.study.levers if lv.key == head.fill)
        assert lever.range is not None
        low, high = int(lever.range[0]), int(lever.range[1])
        at_low = self.headcount({**values, head.fill: low})
        per_unit = self.headcount({**values, head.fill: low + 1}) - at_low
        if per_unit <= 0:
            raise ValueError(f"the fill lever '{head.fill}' does not change the head count")
        units = (head.max - at_low) // per_unit
        return low if units < 0 else min(high, low + units)  # below low: infeasible, reported

    def headcount(self, values: dict[str, Any]) -> int:
        head = self.study.constraints.headcount
        assert head is not None
        staff = staff_by_tier(self.scenario(values))
        return sum(staff[t] for t in head.tiers)

    def cost(self, values: dict[str, Any], staff: dict[str, int]) -> float | None:
        """Yearly cost of a candidate (yuan), or None without a cost model."""
        model = self.study.constraints.cost
        if model is None:
            return None
        prices = {str(tier): price for tier, price in model.staff_year_yuan.items()}
        total = model.fixed_yuan + sum(prices.get(t, 0.0) * n for t, n in staff.items())
        total += sum(price * float(values[key]) for key, price in model.per_unit_yuan.items())
        total += sum(
            prices.get(str(values[key]), 0.0) for key, prices in model.per_choice_yuan.items()
        )
        return float(total)


def _step(lever: Lever, value: Any, direction: int) -> Any:
    """``value`` moved one grid step up or down within the lever's range (None past its end)."""
    assert lever.range is not None
    low, high = lever.range
    size = lever.step or 1
    moved = value + direction * size
    if lever.integer:
        moved = int(round(moved))
    else:
        moved = round(low + round((moved - low) / size) * size, 12)
    return moved if low - 1e-9 <= moved <= high + 1e-9 else None


def point_key(values: dict[str, Any]) -> str:
    """Identity of a point of the drawn levers (5 and 5.0 are one point)."""
    plain = {
        k: float(v) if isinstance(v, int | float | np.number) and not isinstance(v, bool) else v
        for k, v in values.items()
    }
    return json.dumps(plain, sort_keys=True, default=str)


def staff_by_tier(scenario: Scenario) -> dict[str, int]:
    """Case-handling staff per tier as the city is laid out at the start (sunk staff in grids)."""
    layout = build_city(scenario)
    return {
        "grid": sum(u.staff for u in layout.grids),
        "street": sum(u.staff for u in layout.streets),
        "district": sum(u.staff for u in layout.districts),
        "department": sum(u.staff for u in layout.departments),
    }


# -- building and validating the space ----------------------------------------------------------
class Locator:
    """Errors about a study (or experiment) file, with the line of the key they are about.

    ``variant`` is the key of the section a study takes its ``set`` and ``policies`` from:
    none in the study itself, ``variants.<name>`` in the experiment it is based on.
    """

    def __init__(self, path: Path, variant: tuple[str, ...] = ()) -> None:
        self.source = str(path)
        self.variant = variant
        try:
            self.root = yaml_safe.parse(yaml_safe.read_text(path, self.source), self.source)[1]
        except UserInputError:
            self.root = None

    def error(self, message: str, *key: str | int) -> UserInputError:
        return UserInputError(
            message,
            source=self.source,
            key_path=".".join(map(str, key)) or None,
            line=self.line(key),
        )

    def override(self, path: str, value: Any, *key: str | int, offset: int = 0) -> Override:
        """Scenario key ``path`` set to ``value`` as written at ``key`` of this file: an error in
        the value names this file, the key and its line."""
        return Override(
            path,
            value,
            self.source,
            key_path=".".join(map(str, key)),
            line=self.line(key),
            node=self.node(key),
            offset=offset,
        )

    def line(self, key: tuple[str | int, ...]) -> int | None:
        return self._walk(key)[0]

    def node(self, key: tuple[str | int, ...]) -> yaml.Node | None:
        """The node of the value at ``key``; None if the file does not hold it."""
        _, node, found = self._walk(key)
        return node if found else None

    def _walk(self, key: tuple[str | int, ...]) -> tuple[int | None, yaml.Node | None, bool]:
        """Line and node of the deepest part of ``key`` in the file, and whether that is all."""
        node = self.root
        if node is None:
            return None, None, False
        line = node.start_mark.line + 1
        for part in key:
            if isinstance(node, yaml.MappingNode):
                match = next((kv for kv in node.value if kv[0].value == part), None)
                if match is None:
                    return line, node, False
                line, node = match[0].start_mark.line + 1, match[1]
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and part < len(node.value)
            ):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line, node, False
        return line, node, True


def build_space(study: Study, path: Path) -> Space:
    """Resolve and validate everything about ``study`` that needs the scenario; write nothing.

    The study's own settings reach the scenario as overrides located in the study file (and
    an experiment's in the experiment file), so a value the scenario refuses is reported at
    the file, line and key where it is written.
    """
    where = Locator(path)
    given = study
    base, study, origin = _base(study, path, where)
    _check_storage(study, where)
    common: list[str | Override] = list(FIXED_OUTPUT)
    if study.days is not None:
        common.append(
            (where if given.days is not None else origin).override("days", study.days, "days")
        )
    base_raw = load_scenario(base, common)
    for key, value in study.set.items():
        at = where if key in given.set else origin
        common.append(at.override(key, value, *at.variant, "set", key))
    policies = base_raw.model_dump(mode="json")["policies"]
    inherited = study.policies[: len(study.policies) - len(given.policies)]  # the variant's
    for at, items in ((origin, inherited), (where, given.policies)):
        if items:
            offset = len(policies)
            policies = policies + items
            common.append(at.override("policies", policies, *at.variant, "policies", offset=offset))
    base_scenario = load_scenario(base, common)
    horizon = base_scenario.days  # a `set` may change it
    check_warmup(study.warmup_days or 0, horizon, **_blame_warmup(given, where, origin))
    data = base_scenario.model_dump(mode="json")
    paths = {}
    for i, lever in enumerate(study.levers):
        try:
            paths[lever.key] = resolve(data, lever.key)
        except KeyError as exc:
            raise where.error(f"{exc.args[0]} (in {base})", "levers", i, "key") from None
    experiment = study.design_experiment(base)
    samples = sample_table(experiment)
    sample_paths = {}
    for i, u in enumerate(study.uncertainties):
        try:
            sample_paths[u.key] = resolve(data, u.key)
        except KeyError as exc:
            raise where.error(f"{exc.args[0]} (in {base})", "uncertainties", i, "key") from None
    _check_overlaps(study, paths, sample_paths, where)
    space = Space(study, str(path), base, common, paths, samples, base_scenario, sample_paths)
    _check_values(space, where)
    return space


def _blame_warmup(given: Study, where: Locator, origin: Locator) -> dict[str, Any]:
    """Where a warm-up as long as the horizon is written: the study's warmup_days or days,
    else the experiment's warmup_days."""
    at, key = (
        (where, "warmup_days")
        if given.warmup_days is not None
        else (where, "days")
        if given.days is not None
        else (origin, "warmup_days")
    )
    return {"source": at.source, "key_path": key, "line": at.line((key,))}


def _check_overlaps(
    study: Study, paths: dict[str, list[str]], sample_paths: dict[str, list[str]], where: Locator
) -> None:
    """Refuse two levers, or a lever and an uncertainty, that set one scenario value
    (``departments.*.staff`` beside ``departments.0.staff``, a department by index and by
    name): the later would silently overwrite the earlier."""
    owner: dict[str, int] = {}
    for i, lever in enumerate(study.levers):
        for p in paths[lever.key]:
            if p in owner:
                j = owner[p]
                raise where.error(
                    f"levers '{study.levers[j].key}' (line {where.line(('levers', j, 'key'))}) "
                    f"and '{lever.key}' both set {p}: give each scenario value one lever",
                    "levers",
                    i,
                    "key",
                )
            owner[p] = i
    for i, u in enumerate(study.uncertainties):
        for p in sample_paths[u.key]:
            if p in owner:
                j = owner[p]
                raise where.error(
                    f"'{u.key}' sets {p}, which lever '{study.levers[j].key}' (line "
                    f"{where.line(('levers', j, 'key'))}) sets too: a value is either searched "
                    "or uncertain",
                    "uncertainties",
                    i,
                    "key",
                )


def _check_storage(study: Study, where: Locator) -> None:
    """A SQLite storage's folder must exist (the URL itself is checked with the study)."""
    if study.storage is None:
        return
    from sqlalchemy.engine import make_url

    url = make_url(study.storage)
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database not in ("", ":memory:"):
        folder = Path(database).parent
        if not folder.is_dir():
            raise where.error(
                f"the folder of the SQLite database ({folder}) does not exist", "storage"
            )


def _base(study: Study, path: Path, where: Locator) -> tuple[Path, Study, Locator]:
    """The base scenario file, the study with an experiment's settings filled in, and the file
    those settings come from (the experiment's, else the study's)."""
    if study.scenario is not None:
        base = (path.parent / study.scenario).resolve()
        if not base.is_file():
            state = "is not a file" if base.exists() else "does not exist"
            raise where.error(f"scenario file '{study.scenario}' {state}", "scenario")
        return base, study, where
    from govsim.experiments.experiment import load_experiment

    assert study.experiment is not None
    exp_path = (path.parent / study.experiment).resolve()
    if not exp_path.is_file():
        state = "is not a file" if exp_path.exists() else "does not exist"
        raise where.error(f"experiment file '{study.experiment}' {state}", "experiment")
    experiment = load_experiment(exp_path)
    name = study.variant or experiment.baseline
    if name not in experiment.variants:
        raise where.error(
            f"no variant '{name}' in {exp_path} (it has {sorted(experiment.variants)})", "variant"
        )
    variant = experiment.variants[name]
    origin = Locator(exp_path, ("variants", name))
    base = (exp_path.parent / experiment.scenario).resolve()
    if not base.is_file():
        raise origin.error(f"scenario file '{experiment.scenario}' does not exist", "scenario")
    filled = study.model_copy(
        update={
            "days": study.days if study.days is not None else experiment.days,
            "warmup_days": study.warmup_days
            if study.warmup_days is not None
            else experiment.warmup_days,
            "set": {**variant.set, **study.set},
            "policies": [*variant.policies, *study.policies],
            "uncertainties": study.uncertainties or experiment.uncertainties,
            "sampling": study.sampling
            or (experiment.sampling if not study.uncertainties else None),
        }
    )
    if filled.sampling is not None and filled.sampling.method not in ("grid", "lhs"):
        raise where.error(
            f"the experiment samples by {filled.sampling.method}; a study needs grid or lhs",
            "experiment",
        )
    return base, filled, origin


def _check_values(space: Space, where: Locator) -> None:
    """Both ends of each lever's range (each choice) and every sample give valid scenarios."""
    study = space.study
    for i, lever in enumerate(study.levers):
        if lever.range is not None:
            low, high = lever.range
            values: list[Any] = [int(low), int(high)] if lever.integer else [low, high]
        else:
            values = list(lever.choices or [])
        for value in values:
            try:
                space.scenario({lever.key: value})
            except UserInputError as exc:
                raise where.error(
                    f"the scenario rejects {lever.key}={value!r}: {exc.message}", "levers", i, "key"
                ) from None
    for sample in space.samples["sample"]:
        try:
            space.scenario({}, int(sample))
        except UserInputError as exc:
            raise where.error(
                f"sample {sample} gives an invalid scenario: {exc}", "uncertainties"
            ) from None
    head = study.constraints.headcount
    if head is not None and head.fill is not None:
        lever = next(lv for lv in study.levers if lv.key == head.fill)
        assert lever.range is not None
        low = int(lever.range[0])
        if space.headcount({head.fill: low + 1}) <= space.headcount({head.fill: low}):
            raise where.error(
                f"'{head.fill}' does not change the head count of tiers {head.tiers}",
                "constraints",
                "headcount",
                "fill",
            )


def resolve(data: dict[str, Any], key: str) -> list[str]:
    """The concrete ``--set`` paths of ``key`` in the scenario ``data``; KeyError says why not."""
    parts = key.strip().split(".")
    if not key.strip() or any(not p for p in parts):
        raise KeyError(f"'{key}' is not a dotted key")
    found: list[tuple[list[str], Any]] = [([], data)]
    for part in parts:
        step: list[tuple[list[str], Any]] = []
        for prefix, node in found:
            here = ".".join(prefix) or "the scenario"
            if isinstance(node, dict):
                if part not in node:
                    known = ", ".join(sorted(map(str, node))[:12])
                    raise KeyError(f"no key '{part}' in {here} (it has: {known})")
                step.append(([*prefix, part], node[part]))
            elif isinstance(node, list):
                step += [([*prefix, str(i)], node[i]) for i in _indices(node, part, prefix, here)]
            else:
                raise KeyError(f"'{here}' is a value ({json.dumps(node)}), it has no key '{part}'")
        found = step
    for prefix, node in found:
        if isinstance(node, dict | list):
            raise KeyError(f"'{'.'.join(prefix)}' is a section, not a single value")
    return [".".join(prefix) for prefix, _ in found]


def _indices(items: list[Any], part: str, prefix: list[str], here: str) -> list[int]:
    if part == "*":
        if not items:
            raise KeyError(f"'{here}' is an empty list")
        return list(range(len(items)))
    if part.isdigit():
        if int(part) >= len(items):
            raise KeyError(f"'{here}' has {len(items)} items, no item {part}")
        return [int(part)]
    named = [
        i for i, item in enumerate(items) if isinstance(item, dict) and item.get("name") == part
    ]
    if prefix == ["policies"] and not named:
        named = [
            i for i, item in enumerate(items) if isinstance(item, dict) and item.get("type") == part
        ]
        if len(named) > 1:
            raise KeyError(
                f"several '{part}' policies; address one by its index (policies.{named[0]}...)"
            )
    if not named:
        raise KeyError(
            f"no item '{part}' in {here} (give an index, an item's name"
            + (
                ", or a policy type listed under the study's `policies`)"
                if prefix == ["policies"]
                else ")"
            )
        )
    return named[:1]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def check_study(path: str | Path) -> str:
    """``govsim optimize --check``: validate the study at ``path`` as a run would, run and write
    nothing; a line saying what the search would do."""
    space = build_space(load_model(path, Study), Path(path))
    study = space.study
    uncertain = (
        f"{len(space.samples)} samples of {len(study.uncertainties)} uncertainties"
        if study.uncertainties
        else "no uncertainties"
    )
    return (
        f"{path}: valid: {_count(study.levers, 'lever')}, "
        f"{_count(study.objectives, 'objective')}, {uncertain}, "
        f"{_count(range(study.search.trials), 'trial')}"
    )


def _count(items: Any, noun: str) -> str:
    n = len(items)
    return f"{n} {noun}{'' if n == 1 else 's'}"
