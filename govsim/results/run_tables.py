"""Turn a finished run into the tables a researcher loads into pandas, and write them.

Outputs of a run folder:

- ``cases.parquet``: one row per case (times in hours since the start, NaN where a step
  was not reached);
- ``problems.parquet``: one row per problem (runs with ``problems.enabled``);
- ``timeseries.parquet``: the state per tier at a fixed interval;
- ``kpis.parquet``: the three rates per assessed unit (street, department) and month;
- ``equity.parquet``: work orders, time to close and rates per street and grid kind of
  where the problem is (:mod:`govsim.results.equity`);
- ``summary.json``: the headline figures;
- ``scenario.yaml``: the fully resolved scenario, to repeat the run exactly.

The folder is written in one step (:func:`govsim.core.io.output_folder`): every table goes into
a temporary folder beside it, which then takes its place, so a crash never leaves a
half-written table, and a folder never mixes the tables of two runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from govsim.core.io import atomic_write, check_output_folder, output_folder, resolve_out
from govsim.engine.run import RunState
from govsim.engine.statistics import RunStatistics
from govsim.policies.points import with_points
from govsim.policies.ranking import composite_weights
from govsim.results.equity import place_table
from govsim.results.kpi_table import kpi_table
from govsim.results.summary import summarise
from govsim.scenario.schema import Scenario

if TYPE_CHECKING:
    from govsim.engine.run_levers import RankingRow
    from govsim.mechanisms.problems.tallies import ProblemTallies


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
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Further tables by name, each written as ``NAME.parquet``: ``places``, work orders by
    street and grid kind (:func:`govsim.results.equity.place_table`, every run), then the
    mechanisms' tables (govsim/engine/mechanism.py): ``problems``, one row per problem
    ordered by problem id (runs with ``problems.enabled``, unless ``output.cases_table`` is
    off or the table was streamed to a file)."""
    tallies: dict[str, Any] = field(default_factory=dict)
    """The mechanisms' streaming tallies by mechanism name (``problems``: its
    :class:`~govsim.mechanisms.problems.tallies.ProblemTallies`)."""

    @property
    def problems(self) -> pd.DataFrame | None:
        """The problems table (see :attr:`tables`), or None."""
        return self.tables.get("problems")

    @property
    def problem_tallies(self) -> ProblemTallies | None:
        """The problems' streaming tallies (runs with ``problems.enabled``), or None."""
        return self.tallies.get("problems")

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
        for name, table in self.tables.items():
            atomic_write(out / f"{name}.parquet", partial(table.to_parquet, index=False))
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
    timeseries = state.monitor.frame()
    equity = place_table(statistics)
    return RunResult(
        scenario=state.scenario,
        cases=table.frame() if table is not None else None,
        timeseries=timeseries,
        kpis=kpi_table(statistics, state.calendar, composite_weights(state.scenario.policies)),
        summary=summarise(state, timeseries, equity),
        rankings=with_points(
            pd.DataFrame(
                state.rankings, columns=ranking_columns(state.rankings, state.ranking_extra)
            ),
            state.scenario.policies,
        ),
        statistics=statistics,
        tables={
            "equity": equity,
            **{name: t for m in state.mechanisms for name, t in m.tables().items()},
        },
        tallies={m.name: kept for m in state.mechanisms if (kept := m.tallies()) is not None},
    )


RANKING_COLUMNS = ("month", "unit_type", "unit", "rank", "composite", "group")
"""rankings.parquet: the league tables made during the run (ranking policy); rank 0 for the
governance class, which is not ranked by score."""
BACKLOG_COLUMNS = ("open_cases_mean", "open_past_limit", "open_counted")
"""rankings.parquet's columns after RANKING_COLUMNS when the ranking's ``open_orders`` are
recorded (:mod:`govsim.policies.backlog`)."""


def ranking_columns(rows: list[RankingRow], extra: tuple[str, ...] = ()) -> list[str]:
    """The columns of rankings.parquet for ``rows``, whose last values are the ``extra``
    columns (:meth:`govsim.policies.levers.Levers.record_ranking`)."""
    wide = bool(rows) and len(rows[0]) - len(extra) > len(RANKING_COLUMNS)
    base = [*RANKING_COLUMNS, *BACKLOG_COLUMNS] if wide else list(RANKING_COLUMNS)
    return [*base, *extra]


NONDETERMINISTIC_SUMMARY_KEYS = ("performance",)
"""Summary keys that measure the machine, not the model: excluded from determinism checks."""


def scenario_yaml(scenario: Scenario) -> str:
    data = scenario.model_dump(mode="json")
    header = "# Fully resolved scenario written by govsim: defaults and overrides filled in.\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
