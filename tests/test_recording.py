"""Finished cases in chunks: the same figures whether the case table is kept, streamed or off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE

import govsim
from govsim.core.case import RECORD, RECORD_FIELDS, Case, pack_case
from govsim.core.errors import LedgerError
from govsim.results.run_tables import NONDETERMINISTIC_SUMMARY_KEYS, collect
from govsim.simulate import new_run

DAYS = "6"


def _summary(result: govsim.RunResult) -> dict:
    return {k: v for k, v in result.summary.items() if k not in NONDETERMINISTIC_SUMMARY_KEYS}


@pytest.fixture(scope="module")
def in_memory() -> govsim.RunResult:
    return govsim.simulate(govsim.load_scenario(BASELINE, [f"days={DAYS}"]), seed=5)


def test_streamed_table_holds_the_same_cases(in_memory: govsim.RunResult, tmp_path: Path) -> None:
    scenario = govsim.load_scenario(BASELINE, [f"days={DAYS}"])
    streamed = govsim.simulate(scenario, seed=5, cases_file=tmp_path / "cases.parquet")
    assert streamed.cases is None
    assert [p.name for p in tmp_path.iterdir()] == ["cases.parquet"]  # no temporary file left
    table = pd.read_parquet(tmp_path / "cases.parquet")
    assert not table["case_id"].is_monotonic_increasing  # written as cases finished, not sorted
    table = table.sort_values("case_id", ignore_index=True)
    pd.testing.assert_frame_equal(table, in_memory.cases)
    assert _summary(streamed) == _summary(in_memory)


def test_summary_only_mode_gives_the_same_figures(in_memory: govsim.RunResult) -> None:
    scenario = govsim.load_scenario(BASELINE, [f"days={DAYS}", "output.cases_table=false"])
    lean = govsim.simulate(scenario, seed=5)
    assert lean.cases is None
    assert _summary(lean) == _summary(in_memory)
    pd.testing.assert_frame_equal(lean.kpis, in_memory.kpis)


@pytest.mark.parametrize("chunk_size", [1, 7, 1000])
def test_chunk_boundaries_do_not_matter(in_memory: govsim.RunResult, chunk_size: int) -> None:
    model = new_run(govsim.load_scenario(BASELINE, [f"days={DAYS}"]), seed=5)
    model.ledger.records.chunk_size = chunk_size
    result = collect(model.run())
    pd.testing.assert_frame_equal(result.cases, in_memory.cases)
    pd.testing.assert_frame_equal(result.kpis, in_memory.kpis)
    assert _summary(result)["time_to_close_hours"] == pytest.approx(
        _summary(in_memory)["time_to_close_hours"]
    )


def test_failed_run_leaves_no_case_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self, pools) -> None:
        raise LedgerError("simulated invariant violation")

    monkeypatch.setattr("govsim.engine.ledger.CaseLedger.check", broken)
    model = new_run(
        govsim.load_scenario(BASELINE, [f"days={DAYS}"]),
        seed=5,
        cases_file=tmp_path / "cases.parquet",
    )
    model.ledger.records.chunk_size = 100  # so that chunks were written before the failure
    with pytest.raises(LedgerError):
        model.run()
    assert list(tmp_path.iterdir()) == []


def test_outcomes_need_whole_day_warmups(in_memory: govsim.RunResult) -> None:
    with pytest.raises(ValueError, match="whole days"):
        in_memory.statistics.rates(36.0)


def test_packed_record_holds_each_field_in_its_place() -> None:
    """pack_case spells the fields out: each must land in the RECORD column of its name."""
    case = Case(101, 202, 3, 0, 0, 2, 17, 4, 1, 5.25, repeat_of=44)
    distinct = {
        "status": 1,
        "dispatched": 6.5,
        "first_response": 7.75,
        "closed": 8.5,
        "abandoned_at": 9.25,
        "callback": 10.5,
        "resolved": 1,
        "satisfaction": 2,
        "escalations": 3,
        "whistles": 4,
        "returns": 5,
        "final_tier": 6,
    }
    for field, value in distinct.items():
        setattr(case, field, value)
    row = np.frombuffer(pack_case(case), dtype=RECORD)[0]
    assert RECORD.names == RECORD_FIELDS
    for field in RECORD_FIELDS:
        assert row[field] == getattr(case, field), field


def test_streamed_chunks_keep_their_order(in_memory: govsim.RunResult, tmp_path: Path) -> None:
    """The writer thread writes row groups in the order the chunks were handed over: with
    chunks of 7 the file's rows are the cases in the order they ended, chunk by chunk."""
    model = new_run(
        govsim.load_scenario(BASELINE, [f"days={DAYS}"]), seed=5, cases_file=tmp_path / "c.parquet"
    )
    model.ledger.records.chunk_size = 7
    handed: list[np.ndarray] = []
    table = model.recorder.table
    add = table.add

    def noting_add(c: dict[str, np.ndarray]) -> None:
        handed.append(c["id"].copy())
        add(c)

    table.add = noting_add  # type: ignore[method-assign]
    model.run()
    written = pd.read_parquet(tmp_path / "c.parquet")["case_id"].to_numpy()
    assert len(handed) > 100
    np.testing.assert_array_equal(written, np.concatenate(handed))
    assert sorted(written) == list(in_memory.cases["case_id"])


def test_failed_write_fails_the_run_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error on the writer thread (a full disk, say) is raised in the run, not lost."""
    import pyarrow.parquet as pq

    def full_disk(self, table, row_group_size=None) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", full_disk)
    model = new_run(
        govsim.load_scenario(BASELINE, [f"days={DAYS}"]), seed=5, cases_file=tmp_path / "c.parquet"
    )
    model.ledger.records.chunk_size = 100
    with pytest.raises(OSError, match="No space left"):
        model.run()
    assert list(tmp_path.iterdir()) == []
