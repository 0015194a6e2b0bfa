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
from govsim.model import RunState
from govsim.scenario.schema import CHANNELS, TIERS, Scenario

QUANTILES = {"p50": 0.5, "p90": 0.9, "p99": 0.99}


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
    kpis = kpi_frame(cases, state.scenario, state.horizon)
    summary = summarise(cases, state)
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


def _month_labels(created: pd.Series, scenario: Scenario) -> pd.Series:
    start = pd.Timestamp(scenario.start_date)
    return (start + pd.to_timedelta(created, unit="h")).dt.strftime("%Y-%m")


def kpi_frame(cases: pd.DataFrame, scenario: Scenario, horizon: float) -> pd.DataFrame:
    """Response, resolution and satisfaction rates per assessed unit and month of creation.

    - response rate: cases with a first response within their urgency limit, over cases
      that were responded to or whose limit had passed by the end of the run;
    - resolution rate: 'resolved' over valid callbacks;
    - satisfaction rate: (satisfied + 0.9 x basically satisfied) over valid callbacks.

    The assessed unit of a work order is the department it was routed to, else its
    street; consultations are assessed to the hotline. Abandoned calls are not assessed.
    """
    work = cases[cases["status"] != "abandoned"].copy()
    limits = work["urgency"].map({k: v.limit_hours for k, v in scenario.urgency_classes.items()})
    limits = limits.astype(float)
    waited = work["first_response"] - work["created"]
    due = work["first_response"].notna() | (work["created"] + limits <= horizon)
    work["due"] = due
    work["on_time"] = due & (waited <= limits)
    work["valid"] = work["callback"].notna()
    work["resolved_n"] = work["resolved"].fillna(False).astype(int)
    work["satisfaction_score"] = work["satisfaction"].astype(object).map(SATISFACTION_WEIGHT).astype(float)
    work["month"] = _month_labels(work["created"], scenario)
    is_department = work["final_tier"].astype(object).eq("department")
    is_hotline = work["final_tier"].astype(object).eq("hotline")
    work["unit_type"] = np.where(is_hotline, "hotline", np.where(is_department, "department", "street"))
    work["unit"] = np.where(
        is_hotline, "12345 hotline",
        np.where(is_department, work["department"].astype(object), work["street"].astype(object)),
    )
    city = work.assign(unit_type="city", unit="city")
    both = pd.concat([work, city], ignore_index=True)
    grouped = both.groupby(["month", "unit_type", "unit"], observed=True, sort=True)
    kpis = grouped.agg(
        cases=("case_id", "size"),
        due=("due", "sum"),
        on_time=("on_time", "sum"),
        valid_callbacks=("valid", "sum"),
        resolved=("resolved_n", "sum"),
        satisfaction_points=("satisfaction_score", "sum"),
    ).reset_index()
    kpis["response_rate"] = _ratio(kpis["on_time"], kpis["due"])
    kpis["resolution_rate"] = _ratio(kpis["resolved"], kpis["valid_callbacks"])
    kpis["satisfaction_rate"] = _ratio(kpis["satisfaction_points"], kpis["valid_callbacks"])
    weights = composite_weights(scenario)
    kpis["composite"] = sum(weights[r] * kpis[f"{r}_rate"] for r in weights) / sum(weights.values())
    return kpis


def composite_weights(scenario: Scenario) -> dict[str, float]:
    """The ranking policy's composite weights, else the public formula 0.1 / 0.5 / 0.4."""
    for policy in scenario.policies:
        if policy.type == "ranking":
            return {r: policy.weights.get(r, 0.0) for r in ("response", "resolution", "satisfaction")}
    return {"response": 0.1, "resolution": 0.5, "satisfaction": 0.4}


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den > 0)).astype(float)


def summarise(cases: pd.DataFrame, state: RunState) -> dict[str, Any]:
    ledger = state.ledger
    closed = cases[cases["status"] == "closed"]
    time_to_close = (closed["closed"] - closed["created"]).to_numpy()
    valid = cases[cases["callback"].notna()]
    kpis_city = kpi_frame(cases, state.scenario, state.horizon)
    city = kpis_city[kpis_city["unit_type"] == "city"][["due", "on_time"]].sum()
    by_tier = closed["final_tier"].value_counts()
    n_closed = max(len(closed), 1)

    def number(x: float) -> float | None:
        return None if x is None or not np.isfinite(x) else round(float(x), 6)

    def stats(values: np.ndarray) -> dict[str, float | None]:
        if len(values) == 0:
            return {"mean": None, **{k: None for k in QUANTILES}}
        return {"mean": number(values.mean()),
                **{k: number(np.quantile(values, q)) for k, q in QUANTILES.items()}}

    satisfaction_points = valid["satisfaction"].astype(object).map(SATISFACTION_WEIGHT).astype(float).sum()
    n_valid = len(valid)
    return {
        "scenario": state.scenario.name,
        "seed": state.scenario.seed,
        "days": state.scenario.days,
        "created": ledger.created,
        "closed": ledger.closed,
        "abandoned": ledger.abandoned,
        "open_at_end": len(ledger.open),
        "repeat_cases": int(cases["repeat_of"].notna().sum()),
        "rates": {
            "response": number(city["on_time"] / city["due"]) if city["due"] else None,
            "resolution": number(valid["resolved"].astype(float).mean()) if n_valid else None,
            "satisfaction": number(satisfaction_points / n_valid) if n_valid else None,
            "valid_callbacks": n_valid,
        },
        "time_to_close_hours": stats(time_to_close),
        "share_closed_by_tier": {t: number(by_tier.get(t, 0) / n_closed) for t in TIERS},
        "utilisation": {tier: number(u) for tier, u in state.utilisation.items()},
        "prevented_appeals": state.prevented,
        "policy_events": [{"time": t, "event": text} for t, text in state.policy_log],
        "performance": {
            "wall_seconds": round(state.wall_seconds, 3),
            "cases_per_wall_second": round(ledger.created / state.wall_seconds, 1)
            if state.wall_seconds > 0 else None,
        },
    }


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
