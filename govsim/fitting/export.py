"""A run's cases as a case log, so that any run can stand in for real data.

Hours since the start become calendar times from the scenario's ``start_date``, to the
microsecond; the closing unit is named from the closing tier (``12345`` for the hotline).
The model records no ``closing_started``, so exported logs lack it (docs/caselog.md says
what that leaves unidentified).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from govsim.core.errors import UserInputError
from govsim.core.io import FolderInUse, atomic_write, check_output_file, resolve_out, shown
from govsim.data.caselog import COLUMNS
from govsim.results.loading import read_run_table
from govsim.scenario import Scenario, load_scenario

HOTLINE_UNIT = "12345"
MICROSECONDS_PER_HOUR = 3_600_000_000


def export_log(
    run_dir: str | Path, out: str | Path | None = None, *, force: bool = False
) -> tuple[Path, int]:
    """Write the case log of the run folder ``run_dir`` to ``out``; return the path and rows.

    ``out`` is checked by :func:`govsim.core.io.check_output_file`: never one of the run's own
    tables, nor another file in a results folder; an existing file elsewhere is replaced only
    with ``force``.
    """
    run = Path(run_dir)
    if not run.is_dir():
        raise UserInputError("no such run folder", source=str(run))
    scenario_file = run / "scenario.yaml"
    cases_file = run / "cases.parquet"
    if not scenario_file.is_file():
        raise UserInputError(
            "not a run folder (no scenario.yaml; make one with `govsim run`)", source=str(run)
        )
    if not cases_file.is_file():
        raise UserInputError(
            "the run kept no case table (output.cases_table was false): nothing to export",
            source=str(run),
        )
    given = str(out) if out is not None else str(run / "caselog.parquet")
    target = resolve_out(given)
    if target.suffix.lower() not in (".csv", ".parquet"):
        raise UserInputError("the log must be a .csv or .parquet file", source=given)
    if not target.parent.is_dir():
        raise UserInputError("the folder does not exist", source=str(Path(given).parent))
    try:
        check_output_file(target, replace=force, own=OWN_NAMES)
    except FolderInUse as exc:
        raise UserInputError(exc.reason, source=shown(given, target)) from None
    scenario = load_scenario(scenario_file)
    log = cases_to_log(read_run_table(run, "cases"), scenario)
    write_log(log, target)
    return Path(given), len(log)


OWN_NAMES = ("caselog.parquet", "caselog.csv")
"""The names export-log may write in a run folder (the run's own tables are never replaced)."""


def cases_to_log(cases: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """The case-log table of a cases table (docs/outputs.md) of a run of ``scenario``."""
    cases = cases.sort_values("case_id", kind="stable").reset_index(drop=True)
    start = pd.Timestamp(scenario.start_date)
    tier = cases["final_tier"].astype(object)
    unit = pd.Series(pd.NA, index=cases.index, dtype=object)
    unit[tier == "hotline"] = HOTLINE_UNIT
    for name in ("grid", "street", "district", "department"):
        chosen = (tier == name).to_numpy()
        unit[chosen] = cases.loc[chosen, name].astype(object)
    log = pd.DataFrame(
        {
            "case_id": cases["case_id"].astype(np.int64),
            "created": hours_to_time(cases["created"], start),
            "category": cases["category"],
            "street": cases["street"],
            "district": cases["district"],
            "grid": cases["grid"],
            "channel": cases["channel"],
            "repeat_of": cases["repeat_of"].astype("Int64"),
            "abandoned_at": hours_to_time(cases["abandoned_at"], start),
            "dispatched": hours_to_time(cases["dispatched"], start),
            "first_response": hours_to_time(cases["first_response"], start),
            "closed": hours_to_time(cases["closed"], start),
            "closing_tier": cases["final_tier"],
            "closing_unit": unit.astype("category"),
            "escalations": cases["escalations"].astype("Int64"),
            "whistles": cases["whistles"].astype("Int64"),
            "returns": cases["returns"].astype("Int64"),
            "callback": hours_to_time(cases["callback"], start),
            "resolved": cases["resolved"],
            "satisfaction": cases["satisfaction"],
        }
    )
    order = [c.name for c in COLUMNS if c.name in log]
    return log[order]


def hours_to_time(hours: pd.Series, start: pd.Timestamp) -> pd.Series:
    """Hours since ``start`` as timestamps to the microsecond (NaT where NaN)."""
    values = hours.to_numpy(dtype=float)
    given = np.isfinite(values)
    micro = np.zeros(len(values), dtype=np.int64)
    micro[given] = np.round(values[given] * MICROSECONDS_PER_HOUR).astype(np.int64)
    stamps = start.to_datetime64().astype("datetime64[us]") + micro.astype("timedelta64[us]")
    stamps[~given] = np.datetime64("NaT")
    return pd.Series(stamps, index=hours.index)


def write_log(log: pd.DataFrame, target: Path) -> None:
    """Write ``log`` as CSV (ISO times to the microsecond) or parquet, atomically."""
    if target.suffix.lower() == ".csv":
        atomic_write(
            target, lambda tmp: log.to_csv(tmp, index=False, date_format="%Y-%m-%d %H:%M:%S.%f")
        )
    else:
        atomic_write(target, lambda tmp: log.to_parquet(tmp, index=False, compression="zstd"))
