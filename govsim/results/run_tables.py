"""Turn a finished run into the tables a researcher loads into pandas, and write them.

Outputs of a run folder:

- ``cases.parquet``: one row per case (times in hours since the start, NaN where a step
  was not reached);
- ``problems.parquet``: one row per problem (runs with ``problems.enabled``);
- ``timeseries.parquet``: the state per tier at a fixed interval;
- ``kpis.parquet``: the three rates per assessed unit (street, department) and month;
- ``summary.json``: the headline figures;
- ``scenario.yaml``: the fully resolved scenario, to repeat the run exactly.

The folder is written in one step (:func:`govsim.core.io.output_folder`): every table goes into
a temporary folder beside it, which then takes its place, so a crash never leaves a
half-written table, and a folder never mixes the tables of two runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from govsim.core.io import atomic_write, check_output_folder, output_folder, resolve_out
from govsim.core.rates import composite_weights
from govsim.engine.run import RunState
from govsim.engine.statistics import RunStatistics
from govsim.mechanisms.problems.tallies import ProblemTallies
from govsim.results.kpi_table import kpi_table
from govsim.results.summary import summarise
from govsim.scenario.schema import Scenario


@dataclass
class RunResult:
    """The tables of one run (what ``govsim run`` writes and ``govsim.load`` reads)."""

    scenario: Scenario
    cases: pd.DataFrame | None
    """One row per case, ordered by case id; None when ``output.cases_table`` is off or the
    table was streamed to a file (``govsim run``)."""
    timeseries: pd.DataFrame
    kpis: pd.DataFrame
    summary: dict[str, Any]
    rankings: pd.DataFrame
    statistics: RunStatistics
    """The streaming tallies the summary and the experiment outcomes are computed from."""
    problems: pd.DataFrame | None = None
    """One row per problem, ordered by problem id (runs with ``problems.enabled``); None
    otherwise, when ``output.cases_table`` is off, or when streamed to a file."""
    problem_tallies: ProblemTallies | None = None
    """The problems' streaming tallies (runs with ``problems.enabled``)."""

    def write(self, out: str | Path, *, replace: bool = True) -> Path:
        """Write the tables to the folder ``out`` in one step, replacing the results there
        (``replace=False``: refuse a folder that holds results). A folder holding files
        govsim did not write is refused (:class:`govsim.core.io.FolderInUse`)."""
        out = resolve_out(out)
        check_output_folder(out, replace=replace)
        with output_folder(out) as folder:
            self.write_files(folder)
        return out

    def write_files(self, out: Path) -> None:
        """Write every table into the folder ``out`` (each file atomically)."""
        cases = self.cases
        if cases is not None:
            atomic_write(out / "cases.parquet", lambda p: cases.to_parquet(p, index=False))
        problems = self.problems
        if problems is not None:
            atomic_write(out / "problems.parquet", lambda p: problems.to_parquet(p, index=False))
        atomic_write(
            out / "timeseries.parquet", lambda p: self.timeseries.to_parquet(p, index=False)
        )
        atomic_write(out / "kpis.parquet", lambda p: self.kpis.to_parquet(p, index=False))
        if len(self.rankings):
            atomic_write(
                out / "rankings.parquet", lambda p: self.rankings.to_parquet(p, index=False)
            )
        atomic_write(
            out / "summary.json",
            lambda p: Path(p).write_text(
                json.dumps(self.summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            ),
        )
        atomic_write(
            out / "scenario.yaml",
            lambda p: Path(p).write_text(scenario_yaml(self.scenario), encoding="utf-8"),
        )


def collect(state: RunState) -> RunResult:
    """Build the tables of a finished run from its recorder (statistics and case table)."""
    statistics = state.recorder.tallies
    table = state.recorder.table
    problems = state.problem_recorder
    timeseries = state.monitor.frame()
    return RunResult(
        scenario=state.scenario,
        cases=table.frame() if table is not None else None,
        timeseries=timeseries,
        kpis=kpi_table(statistics, state.calendar, composite_weights(state.scenario)),
        summary=summarise(state, timeseries),
        rankings=pd.DataFrame(state.rankings, columns=list(RANKING_COLUMNS)),
        statistics=statistics,
        problems=problems.table.frame() if problems and problems.table else None,
        problem_tallies=problems.tallies if problems else None,
    )


RANKING_COLUMNS = ("month", "unit_type", "unit", "rank", "composite", "group")
"""rankings.parquet: the league tables made during the run (ranking policy); rank 0 for the
governance class, which is not ranked by score."""


NONDETERMINISTIC_SUMMARY_KEYS = ("performance",)
"""Summary keys that measure the machine, not the model: excluded from determinism checks."""


def scenario_yaml(scenario: Scenario) -> str:
    data = scenario.model_dump(mode="json")
    header = "# Fully resolved scenario written by govsim: defaults and overrides filled in.\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
