"""The case-log format: export writes valid logs; bad logs are refused with file, row and column.

Every bad log is written into tmp_path from a small valid one, so the expected row and
column are known; ``govsim log validate`` must exit 2 with one line naming them, and no
traceback.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE, REPO_ROOT

from govsim.app.cli import main
from govsim.data.caselog import COLUMNS, column_table, read_log
from govsim.fitting.export import cases_to_log, export_log, hours_to_time
from govsim.scenario import load_scenario
from govsim.simulate import simulate

EXIT_INPUT = 2
HEADER = (
    "case_id,created,category,street,district,channel,closed,closing_tier,callback,satisfaction"
)
GOOD_ROWS = [
    "1,2024-03-04 08:00:00,housing,D01-S001,D01,hotline,2024-03-04 10:00:00,grid,"
    "2024-03-05 10:00:00,satisfied",
    "2,2024-03-04 09:00:00,traffic,D01-S002,D01,online,2024-03-04 12:00:00,street,,",
    "3,2024-03-04 09:30:00,health,D02-S004,D02,patrol,,,,",
]


def _csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def _replace(row: int, column: str, value: str) -> str:
    """The good log with one cell changed (row is 1-based, as the messages count)."""
    names = HEADER.split(",")
    rows = [r.split(",") for r in GOOD_ROWS]
    rows[row - 1][names.index(column)] = value
    return _csv(*(",".join(r) for r in rows))


@dataclass
class Bad:
    content: str | bytes
    row: int | str | None  # expected "row N" / "header row" in the message, None: not named
    column: str | None
    fragment: str
    name: str = "log.csv"
    scenario: bool = False  # validate against scenarios/baseline.yaml as well


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    import io

    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


BAD: dict[str, Bad] = {
    "missing_required_column": Bad(
        _csv("1,2024-03-04 08:00:00,housing,hotline", header="case_id,created,category,channel"),
        "header row",
        "street",
        "required column is missing",
    ),
    "unknown_column": Bad(
        _csv(
            "1,2024-03-04 08:00:00,housing,D01-S001,hotline,x",
            header="case_id,created,category,street,channel,stret",
        ),
        "header row",
        "stret",
        "unknown column",
    ),
    "unparseable_time": Bad(
        _replace(2, "created", "2024-02-30 10:00"), 2, "created", "date and time"
    ),
    "empty_required": Bad(_replace(3, "category", ""), 3, "category", "required"),
    "unknown_channel": Bad(_replace(1, "channel", "phone"), 1, "channel", "not one of"),
    "unknown_tier": Bad(_replace(2, "closing_tier", "city"), 2, "closing_tier", "not one of"),
    "unknown_satisfaction_level": Bad(
        _replace(1, "satisfaction", "happy"), 1, "satisfaction", "not one of"
    ),
    "closed_before_created": Bad(
        _replace(2, "closed", "2024-03-04 08:59:00"), 2, "closed", "before created"
    ),
    "callback_before_closed": Bad(
        _replace(1, "callback", "2024-03-04 09:00:00"), 1, "callback", "negative"
    ),
    "duplicate_case_id": Bad(_replace(3, "case_id", "1"), 3, "case_id", "appears twice"),
    "utc_offset": Bad(
        _replace(1, "created", "2024-03-04T08:00:00+08:00"), 1, "created", "UTC offset"
    ),
    "closing_tier_without_closed": Bad(
        _replace(3, "closing_tier", "grid"), 3, "closing_tier", "no closing time"
    ),
    "rated_but_not_closed": Bad(
        _replace(3, "satisfaction", "basic"), 3, "satisfaction", "no closing time"
    ),
    "bad_boolean": Bad(
        _csv(
            "1,2024-03-04 08:00:00,housing,D01-S001,hotline,2024-03-04 10:00:00,maybe",
            header="case_id,created,category,street,channel,closed,resolved",
        ),
        1,
        "resolved",
        "true or false",
    ),
    "negative_count": Bad(
        _csv(
            "1,2024-03-04 08:00:00,housing,D01-S001,hotline,0",
            "2,2024-03-04 09:00:00,housing,D01-S001,hotline,-1",
            header="case_id,created,category,street,channel,escalations",
        ),
        2,
        "escalations",
        "whole number",
    ),
    "repeat_of_unknown_case": Bad(
        _csv(
            "1,2024-03-04 08:00:00,housing,D01-S001,hotline,",
            "2,2024-03-04 09:00:00,housing,D01-S001,hotline,7",
            header="case_id,created,category,street,channel,repeat_of",
        ),
        2,
        "repeat_of",
        "not in the log",
    ),
    "abandoned_and_closed": Bad(
        _csv(
            "1,2024-03-04 08:00:00,housing,D01-S001,hotline,2024-03-04 08:05:00,"
            "2024-03-04 10:00:00",
            header="case_id,created,category,street,channel,abandoned_at,closed",
        ),
        1,
        "closed",
        "abandoned",
    ),
    "header_only": Bad(HEADER + "\n", "header row", None, "no rows"),
    "empty_file": Bad("", None, None, "empty"),
    "wrong_file_type": Bad(_csv(*GOOD_ROWS), None, None, "unknown file type", name="log.xlsx"),
    "corrupt_parquet": Bad(
        b"PAR1 this is not parquet", None, None, "not a readable parquet", name="log.parquet"
    ),
    "not_utf8": Bad(
        _csv(*GOOD_ROWS).replace("housing", "h\xf6using").encode("latin-1"), None, None, "UTF-8"
    ),
    "number_as_time": Bad(
        _parquet_bytes(
            pd.DataFrame(
                {
                    "created": [1.5, 2.5],
                    "category": ["housing"] * 2,
                    "street": ["D01-S001"] * 2,
                    "channel": ["hotline"] * 2,
                }
            )
        ),
        1,
        "created",
        "is a number",
        name="log.parquet",
    ),
    "unknown_category": Bad(
        _replace(2, "category", "noise"), 2, "category", "not one of the categories", scenario=True
    ),
    "unknown_street": Bad(
        _replace(3, "street", "Nowhere"), 3, "street", "not one of the streets", scenario=True
    ),
    "street_in_other_district": Bad(
        _replace(1, "district", "D02"), 1, "district", "is in district", scenario=True
    ),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_log_is_refused_with_file_row_and_column(case: str, tmp_path: Path, capsys) -> None:
    bad = BAD[case]
    path = tmp_path / bad.name
    if isinstance(bad.content, bytes):
        path.write_bytes(bad.content)
    else:
        path.write_text(bad.content, encoding="utf-8")
    args = ["log", "validate", str(path)] + (["--scenario", str(BASELINE)] if bad.scenario else [])
    code = main(args)
    err = capsys.readouterr().err.strip()
    assert code == EXIT_INPUT, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(path) in err
    if isinstance(bad.row, int):
        assert f"row {bad.row}," in err or f"row {bad.row}:" in err, err
    elif bad.row is not None:
        assert bad.row in err, err
    if bad.column is not None:
        assert f"column '{bad.column}'" in err, err
    assert bad.fragment.lower() in err.lower(), err


def test_at_least_ten_kinds_of_bad_log() -> None:
    assert len(BAD) >= 10


@pytest.mark.slow
def test_missing_log_and_cli_process_exit_two(tmp_path: Path) -> None:
    """Through the real entry point: one line on stderr, exit 2, no traceback."""
    bad = tmp_path / "bad.csv"
    bad.write_text(_replace(2, "created", "yesterday"), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "govsim", "log", "validate", str(bad)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert proc.returncode == EXIT_INPUT
    assert "Traceback" not in proc.stderr
    assert f"{bad}, row 2, column 'created'" in proc.stderr


def test_good_log_validates(tmp_path: Path, capsys) -> None:
    path = tmp_path / "good.csv"
    path.write_text(_csv(*GOOD_ROWS), encoding="utf-8")
    assert main(["log", "validate", str(path), "--scenario", str(BASELINE)]) == 0
    assert "valid case log, 3 appeals" in capsys.readouterr().out
    log = read_log(path)
    assert log.frame["created"].is_monotonic_increasing
    assert str(log.frame["closing_tier"].iloc[1]) == "street"


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory):
    scenario = load_scenario(BASELINE, ["days=5"])
    result = simulate(scenario)
    out = tmp_path_factory.mktemp("run")
    result.write(out)
    return scenario, result, out


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_export_writes_a_valid_log_of_every_case(baseline_run, tmp_path: Path, suffix: str) -> None:
    scenario, result, out = baseline_run
    target, rows = export_log(out, tmp_path / f"log{suffix}")
    cases = result.cases
    assert rows == len(cases)
    log = read_log(target)
    frame = log.frame.sort_values("case_id", key=lambda s: s.astype(int))
    assert list(frame.columns) == [c.name for c in COLUMNS if c.name != "closing_started"]
    # Calendar times are the run's hours from start_date, to the microsecond.
    start = pd.Timestamp(scenario.start_date)
    for column, source in (
        ("created", "created"),
        ("closed", "closed"),
        ("callback", "callback"),
        ("abandoned_at", "abandoned_at"),
    ):
        hours = ((frame[column] - start).dt.total_seconds() / 3600).to_numpy(
            dtype=float, na_value=np.nan
        )
        np.testing.assert_allclose(hours, cases[source].to_numpy(), atol=1e-9, equal_nan=True)
    assert (
        frame["category"].astype(str).to_numpy() == cases["category"].astype(str).to_numpy()
    ).all()
    tiers = frame["closing_tier"].astype(object).where(frame["closing_tier"].notna(), None)
    assert (
        tiers.to_numpy()
        == cases["final_tier"].astype(object).where(cases["final_tier"].notna(), None).to_numpy()
    ).all()
    units = frame["closing_unit"].astype(object)
    grid_closed = (frame["closing_tier"] == "grid").to_numpy()
    assert (
        units[grid_closed].to_numpy() == frame["grid"].astype(object)[grid_closed].to_numpy()
    ).all()
    assert (units[(frame["closing_tier"] == "hotline").to_numpy()] == "12345").all()
    assert frame["repeat_of"].notna().sum() == cases["repeat_of"].notna().sum()


def test_export_refuses_a_folder_without_cases(tmp_path: Path, capsys) -> None:
    (tmp_path / "scenario.yaml").write_text(BASELINE.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["export-log", str(tmp_path)]) == EXIT_INPUT
    assert "no case table" in capsys.readouterr().err
    assert not (tmp_path / "caselog.parquet").exists()


def test_hours_to_time_round_trips_to_the_microsecond() -> None:
    start = pd.Timestamp("2024-03-04")
    hours = pd.Series([0.0, 1 / 3600, 8759.123456789, np.nan])
    stamps = hours_to_time(hours, start)
    assert stamps.iloc[1] == pd.Timestamp("2024-03-04 00:00:01")
    assert pd.isna(stamps.iloc[3])
    back = (stamps - start).dt.total_seconds() / 3600
    assert abs(back.iloc[2] - hours.iloc[2]) < 1e-6 / 3600


def test_docs_caselog_has_the_current_column_table() -> None:
    text = (REPO_ROOT / "docs" / "caselog.md").read_text(encoding="utf-8")
    assert column_table() in text, "update the table in docs/caselog.md from `govsim log columns`"


def test_cases_to_log_keeps_open_and_abandoned_cases(baseline_run) -> None:
    scenario, result, _ = baseline_run
    log = cases_to_log(result.cases, scenario)
    assert log["abandoned_at"].notna().sum() == (result.cases["status"] == "abandoned").sum()
    open_cases = (result.cases["status"] == "open").to_numpy()
    assert log["closed"].isna().to_numpy()[open_cases].all()
