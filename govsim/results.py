"""Turn a finished run into the tables a researcher loads into pandas, and write them.

Outputs of a run folder:

- ``cases.parquet``: one row per case (times in hours since the start, NaN where a step
  was not reached);
- ``timeseries.parquet``: the state per tier at a fixed interval;
- ``kpis.parquet``: the three rates per assessed unit (street, department) and month;
- ``summary.json``: the headline figures;
- ``scenario.yaml``: the fully resolved scenario, to repeat the run exactly.

Every file is written atomically (a temporary file renamed into place), so a crash
never leaves a half-written table.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from govsim.case import SATISFACTION_WEIGHT
from govsim.ledger import RECORD_FIELDS, check_timestamps
from govsim.metrics import assess, kpi_frame, summarise
from govsim.model import RunState
from govsim.scenario.schema import CHANNELS, TIERS, Scenario



@dataclass
class RunResult:
    """The tables of one run (what ``govsim run`` writes and ``govsim.load`` reads)."""

    scenario: Scenario
    cases: pd.DataFrame
    timeseries: pd.DataFrame
    kpis: pd.DataFrame
    summary: dict[str, Any]
    rankings: pd.DataFrame

    def write(self, out: str | Path) -> Path:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        if self.scenario.output.cases_table:
            atomic_write(out / "cases.parquet", lambda p: self.cases.to_parquet(p, index=False))
        atomic_write(out / "timeseries.parquet", lambda p: self.timeseries.to_parquet(p, index=False))
        atomic_write(out / "kpis.parquet", lambda p: self.kpis.to_parquet(p, index=False))
        if len(self.rankings):
            atomic_write(out / "rankings.parquet", lambda p: self.rankings.to_parquet(p, index=False))
        atomic_write(out / "summary.json", lambda p: Path(p).write_text(
            json.dumps(self.summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"))
        atomic_write(out / "scenario.yaml", lambda p: Path(p).write_text(
            scenario_yaml(self.scenario), encoding="utf-8"))
        return out


def collect(state: RunState) -> RunResult:
    """Build the tables of a finished run and check its timestamps (raises LedgerError)."""
    cases = cases_frame(state)
    check_timestamps(cases)
    assessed = assess(cases, state.scenario, state.horizon)
    kpis = kpi_frame(cases, state.scenario, state.horizon, assessed)
    summary = summarise(cases, state, assessed)
    rankings = pd.DataFrame(state.rankings, columns=list(RANKING_COLUMNS))
    return RunResult(state.scenario, cases, state.monitor.frame(), kpis, summary, rankings)


RANKING_COLUMNS = ("month", "unit_type", "unit", "rank", "composite", "group")
"""rankings.parquet: the league tables made during the run (ranking policy); rank 0 for the
governance class, which is not ranked by score."""


def cases_frame(state: RunState) -> pd.DataFrame:
    scenario, layout = state.scenario, state.layout
    rows = state.ledger.table()
    columns = dict(zip(RECORD_FIELDS, zip(*rows))) if rows else {f: () for f in RECORD_FIELDS}

    def named(field: str, names: list[str]) -> pd.Categorical:
        codes = np.asarray(columns[field], dtype=np.int64)
        return pd.Categorical.from_codes(codes, categories=names) if len(names) else pd.Categorical(
            [None] * len(codes))

    def times(field: str) -> np.ndarray:
        return np.asarray(columns[field], dtype=float)

    satisfaction = pd.Categorical(
        [s or None for s in columns["satisfaction"]], categories=list(SATISFACTION_WEIGHT)
    )
    resolved = pd.array([r for r in columns["resolved"]], dtype="boolean")
    frame = pd.DataFrame({
        "case_id": np.asarray(columns["id"], dtype=np.int64),
        "resident_id": np.asarray(columns["resident"], dtype=np.int64),
        "category": named("category", [c.name for c in scenario.categories]),
        "urgency": named("urgency", list(scenario.urgency_classes)),
        "channel": named("channel", list(CHANNELS)),
        "grid": named("grid", [u.name for u in layout.grids]),
        "street": named("street", [u.name for u in layout.streets]),
        "district": named("district", [u.name for u in layout.districts]),
        "department": named("department", [u.name for u in layout.departments]),
        "status": pd.Categorical(columns["status"], categories=["closed", "abandoned", "open"]),
        "created": times("created"),
        "dispatched": times("dispatched"),
        "first_response": times("first_response"),
        "closed": times("closed"),
        "abandoned_at": times("abandoned_at"),
        "callback": times("callback"),
        "resolved": resolved,
        "satisfied": pd.array(
            [None if s is None or s != s else s != "unsatisfied" for s in satisfaction.astype(object)],
            dtype="boolean",
        ),
        "satisfaction": satisfaction,
        "escalations": np.asarray(columns["escalations"], dtype=np.int32),
        "whistles": np.asarray(columns["whistles"], dtype=np.int32),
        "returns": np.asarray(columns["returns"], dtype=np.int32),
        "final_tier": pd.Categorical([t or None for t in columns["final_tier"]], categories=list(TIERS)),
        "repeat_of": pd.array([r if r >= 0 else None for r in columns["repeat_of"]], dtype="Int64"),
    })
    return frame


NONDETERMINISTIC_SUMMARY_KEYS = ("performance",)
"""Summary keys that measure the machine, not the model: excluded from determinism checks."""


def scenario_yaml(scenario: Scenario) -> str:
    data = scenario.model_dump(mode="json")
    header = "# Fully resolved scenario written by govsim: defaults and overrides filled in.\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def atomic_write(path: Path, write: Callable[[str], Any]) -> None:
    """Write ``path`` via a temporary file in the same folder and an atomic rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
