"""``govsim.load(DIR)``: the tables of a run, experiment or study folder as pandas DataFrames.

A run folder is what ``govsim run`` writes (``summary.json``, ``timeseries.parquet``,
``kpis.parquet``, ``scenario.yaml``, usually ``cases.parquet``); an experiment folder is
what ``govsim experiment run`` writes (``experiment.yaml``, ``results.parquet``,
``summary.parquet``, ...); a study folder is what ``govsim optimize`` writes
(``study.yaml``, ``trials.parquet``, ``front.parquet``, ``runs.parquet``). One call reads
every table, so a notebook starts with::

    data = govsim.load("results/baseline")
    data.timeseries.query("tier == 'city'").plot(x="time", y="open")
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from govsim.core.errors import UserInputError
from govsim.scenario.schema import Scenario

RUN_MARKERS = ("summary.json", "timeseries.parquet")
EXPERIMENT_MARKERS = ("experiment.yaml", "results.parquet")
STUDY_MARKERS = ("study.yaml", "trials.parquet")
STUDY_TABLES = ("trials", "front", "runs", "samples", "selection")
EXPERIMENT_TABLES = (
    "results",
    "timeseries",
    "variants",
    "samples",
    "summary",
    "paired",
    "sweep",
    "sensitivity",
)


class NotAResultsFolder(UserInputError, ValueError):
    """The folder holds neither a run's nor an experiment's tables (the CLI exits 2)."""


@dataclass
class RunData:
    """The tables of one run; ``cases`` is empty when the run kept no case table."""

    path: Path
    scenario: Scenario
    cases: pd.DataFrame
    timeseries: pd.DataFrame
    kpis: pd.DataFrame
    summary: dict[str, Any]
    rankings: pd.DataFrame
    problems: pd.DataFrame = field(default_factory=pd.DataFrame)
    """One row per problem (runs with problems; empty otherwise)."""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Any other table of the folder, by name: those of mechanisms of one's own
    (govsim/engine/mechanism.py)."""
    kind: str = "run"

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def summary_table(self) -> pd.DataFrame:
        """``summary.json`` flattened to one row per dotted key (``rates.response``, ...)."""
        return _flatten(self.summary)


@dataclass
class ExperimentData:
    """The tables of an experiment; tables it did not produce (``sweep``, ...) are empty."""

    path: Path
    experiment: dict[str, Any]
    results: pd.DataFrame
    timeseries: pd.DataFrame
    variants: pd.DataFrame
    samples: pd.DataFrame
    summary: pd.DataFrame
    paired: pd.DataFrame
    sweep: pd.DataFrame
    sensitivity: pd.DataFrame
    errors: list[dict[str, Any]] = field(default_factory=list)
    kind: str = "experiment"

    @property
    def name(self) -> str:
        return str(self.experiment.get("name", self.path.name))

    @property
    def baseline(self) -> str:
        return str(self.experiment.get("baseline", "baseline"))

    @property
    def variant_names(self) -> list[str]:
        """Variants in the experiment's order."""
        return list(self.experiment.get("variants", {})) or list(self.variants.get("variant", []))


@dataclass
class StudyData:
    """The tables of a policy search (``govsim optimize``): trials, the re-evaluated front, runs,
    and with one objective the selection (contenders and the indifference set)."""

    path: Path
    study: dict[str, Any]
    trials: pd.DataFrame
    front: pd.DataFrame
    runs: pd.DataFrame
    samples: pd.DataFrame
    selection: pd.DataFrame = field(default_factory=pd.DataFrame)  # one objective: contenders
    kind: str = "study"

    @property
    def name(self) -> str:
        return str(self.study.get("name", self.path.name))

    @property
    def levers(self) -> list[str]:
        """Lever keys, in the study's order (also the lever columns of the tables)."""
        return [lever["key"] for lever in self.study.get("levers", [])]

    @property
    def objectives(self) -> list[tuple[str, bool]]:
        """(outcome, minimise) per objective."""
        return [
            (o["outcome"], o["direction"] in ("minimise", "minimize"))
            for o in self.study.get("objectives", [])
        ]


Results = RunData | ExperimentData | StudyData


def load(path: str | Path) -> Results:
    """Read the run or experiment folder ``path``; raise :class:`NotAResultsFolder` otherwise."""
    folder = Path(path)
    if not folder.is_dir():
        raise NotAResultsFolder(
            "not a folder (expected a run or experiment results folder)", source=str(folder)
        )
    if all((folder / m).is_file() for m in EXPERIMENT_MARKERS):
        return _load_experiment(folder)
    if all((folder / m).is_file() for m in STUDY_MARKERS):
        return _load_study(folder)
    if all((folder / m).is_file() for m in RUN_MARKERS):
        return _load_run(folder)
    if (folder / "experiment.yaml").is_file():
        hint = (
            "an experiment folder without results.parquet: "
            "finish it with `govsim experiment run --resume`"
        )
    elif (folder / "study.yaml").is_file():
        hint = "a study folder without trials.parquet: finish it with `govsim optimize --resume`"
    else:
        hint = (
            "neither a run folder (summary.json, timeseries.parquet), an experiment folder "
            "(experiment.yaml, results.parquet) nor a study folder (study.yaml, trials.parquet)"
        )
    raise NotAResultsFolder(hint, source=str(folder))


def _load_run(folder: Path) -> RunData:
    from govsim.scenario.loader import load_scenario

    scenario_file = folder / "scenario.yaml"
    if not scenario_file.is_file():
        raise NotAResultsFolder("run folder without scenario.yaml", source=str(folder))
    return RunData(
        path=folder,
        scenario=load_scenario(scenario_file),
        cases=read_run_table(folder, "cases"),
        timeseries=read_run_table(folder, "timeseries"),
        kpis=read_run_table(folder, "kpis"),
        summary=_summary(folder / "summary.json"),
        rankings=read_run_table(folder, "rankings"),
        problems=read_run_table(folder, "problems"),
        tables={
            path.stem: read_run_table(folder, path.stem)
            for path in sorted(folder.glob("*.parquet"))
            if path.stem not in RUN_TABLES
        },
    )


RUN_TABLES = ("cases", "timeseries", "kpis", "rankings", "problems")
"""The tables of a run folder that :class:`RunData` names."""


def read_run_table(folder: Path, name: str) -> pd.DataFrame:
    """The table ``name`` of the run folder ``folder`` (empty if absent), its shape checked.

    Each column the readers need must be there with the kind of values govsim writes
    (:func:`run_table_kinds`); anything else (a table overwritten by another program, a
    file that is not parquet) is refused naming the file and the column, before it is read
    whole, rather than stopping a command later with a traceback.
    """
    path = folder / f"{name}.parquet"
    if not path.is_file():
        return pd.DataFrame()
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        found = pq.read_schema(path).empty_table().to_pandas().dtypes
    except (OSError, ValueError, pa.ArrowException) as exc:  # not a parquet table
        raise NotAResultsFolder(
            f"not a parquet table govsim wrote ({type(exc).__name__}: {str(exc)[:200]})",
            source=str(path),
        ) from None
    for column, kind in run_table_kinds().get(name, {}).items():
        if column not in found:
            raise NotAResultsFolder(
                f"column '{column}' is missing: not the table `govsim run` writes (run it "
                "again to rewrite the folder)",
                source=str(path),
            )
        held = _kind(found[column])
        if held != kind and not (kind == "number" and held == "integer"):
            raise NotAResultsFolder(
                f"column '{column}' holds {held} values ({found[column]}), not {kind}: not the "
                "table `govsim run` writes (run it again to rewrite the folder)",
                source=str(path),
            )
    return _table(path)


def run_table_kinds() -> dict[str, dict[str, str]]:
    """The kind of values (:func:`_kind`) of each column of each run table, as govsim writes
    them: the cases and problems tables' from their codecs (an empty table), the others'
    from their column lists."""
    import numpy as np

    from govsim.core.case import RECORD
    from govsim.engine.monitor import COUNTS
    from govsim.engine.recording.cases import CaseCodec
    from govsim.mechanisms.problems.record import PROBLEM_RECORD
    from govsim.mechanisms.problems.recording import ProblemCodec
    from govsim.results.equity import TIME_COLUMNS
    from govsim.results.run_tables import RANKING_COLUMNS

    none = np.empty(0, dtype=np.int64)
    cases = CaseCodec([], [], [], none, none, [], [], [], none, none)
    problems = ProblemCodec([], [], [], none, none, [], [])
    return {
        "cases": _kinds(cases.frame(cases.columns(np.empty(0, dtype=RECORD)))),
        "problems": _kinds(problems.frame(problems.columns(np.empty(0, dtype=PROBLEM_RECORD)))),
        "timeseries": {"time": "number", "tier": "text", **dict.fromkeys(COUNTS, "integer")},
        "kpis": {"month": "text", "unit_type": "text", "unit": "text", "cases": "integer"},
        "rankings": {c: "integer" if c == "rank" else "text" for c in RANKING_COLUMNS}
        | {"composite": "number"},
        "equity": {"unit_type": "text", "unit": "text"}
        | dict.fromkeys(("population", "work_orders", "closed", "open_at_end"), "integer")
        | dict.fromkeys(("open_per_10k", *TIME_COLUMNS), "number"),
    }


def _kinds(frame: pd.DataFrame) -> dict[str, str]:
    return {str(c): _kind(t) for c, t in frame.dtypes.items()}


def _kind(dtype: Any) -> str:
    """A column's kind of values, as a message names it: text, boolean, integer, number..."""
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype):
        return "text"
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date-time"
    return str(dtype)


def _summary(path: Path) -> dict[str, Any]:
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise NotAResultsFolder(f"cannot read the summary ({exc})", source=str(path)) from None
    if not isinstance(summary, dict):
        raise NotAResultsFolder("the summary is not a JSON object", source=str(path))
    return summary


def _load_experiment(folder: Path) -> ExperimentData:
    spec = yaml.safe_load((folder / "experiment.yaml").read_text(encoding="utf-8"))
    if not isinstance(spec, dict):
        raise NotAResultsFolder(
            "experiment.yaml is not a mapping", source=str(folder / "experiment.yaml")
        )
    tables = {name: _table(folder / f"{name}.parquet") for name in EXPERIMENT_TABLES}
    runs = folder / "runs"
    errors = (
        [json.loads(p.read_text()) for p in sorted(runs.glob("*.error.json"))]
        if runs.is_dir()
        else []
    )
    return ExperimentData(
        path=folder,
        experiment=spec,
        results=tables["results"],
        timeseries=tables["timeseries"],
        variants=tables["variants"],
        samples=tables["samples"],
        summary=tables["summary"],
        paired=tables["paired"],
        sweep=tables["sweep"],
        sensitivity=tables["sensitivity"],
        errors=errors,
    )


def _load_study(folder: Path) -> StudyData:
    spec = yaml.safe_load((folder / "study.yaml").read_text(encoding="utf-8"))
    if not isinstance(spec, dict):
        raise NotAResultsFolder("study.yaml is not a mapping", source=str(folder / "study.yaml"))
    tables = {name: _table(folder / f"{name}.parquet") for name in STUDY_TABLES}
    return StudyData(
        path=folder,
        study=spec,
        trials=tables["trials"],
        front=tables["front"],
        runs=tables["runs"],
        samples=tables["samples"],
        selection=tables["selection"],
    )


def _table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame()
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise NotAResultsFolder(
            f"cannot read the table ({type(exc).__name__}: {str(exc)[:200]})", source=str(path)
        ) from None


def _flatten(data: dict[str, Any], prefix: str = "") -> pd.DataFrame:
    rows: list[tuple[str, Any]] = []

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{key}.{k}" if key else str(k))
        elif not isinstance(value, list):
            rows.append((key, value))

    walk(data, prefix)
    return pd.DataFrame(rows, columns=["key", "value"])
