"""The experiment's folder: one file per finished run, written the moment it finishes.

``runs/<run_id>.parquet`` holds a run's outcomes (its presence means the run is done),
``runs/<run_id>.series.parquet`` its time series, ``runs/<run_id>.error.json`` the error
of a failed run. Every file is written atomically, so killing the experiment at any
moment loses no finished run and leaves no half file; ``--resume`` runs what is missing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from govsim.core.io import atomic_write
from govsim.experiments.design import RunTask
from govsim.experiments.runner import RunOutcome

ID_COLUMNS = ("variant", "sample", "replication", "seed")


class RunStore:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.runs = out / "runs"

    def prepare(self) -> None:
        self.runs.mkdir(parents=True, exist_ok=True)

    def finished(self) -> set[str]:
        if not self.runs.is_dir():
            return set()
        return {
            p.name[: -len(".parquet")]
            for p in self.runs.glob("*.parquet")
            if not p.name.endswith(".series.parquet")
        }

    def save(self, outcome: RunOutcome) -> None:
        error_file = self.runs / f"{outcome.run_id}.error.json"
        if outcome.error is not None:
            record = {k: getattr(outcome, k) for k in ("run_id", *ID_COLUMNS, "error")}
            atomic_write(error_file, lambda p: Path(p).write_text(json.dumps(record, indent=2)))
            return
        assert outcome.timeseries is not None and outcome.metrics is not None  # a run that ended
        ids = {k: getattr(outcome, k) for k in ID_COLUMNS}
        series = outcome.timeseries.assign(**ids)
        atomic_write(
            self.runs / f"{outcome.run_id}.series.parquet",
            lambda p: series.to_parquet(p, index=False),
        )
        values = outcome.metrics
        metrics = pd.DataFrame({**ids, "metric": list(values), "value": list(values.values())})
        atomic_write(
            self.runs / f"{outcome.run_id}.parquet", lambda p: metrics.to_parquet(p, index=False)
        )
        error_file.unlink(missing_ok=True)

    def errors(self) -> list[dict]:
        return [json.loads(p.read_text()) for p in sorted(self.runs.glob("*.error.json"))]

    def load(self, tasks: Iterable[RunTask]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Outcomes and time series of the finished ``tasks``, in design order."""
        done = self.finished()
        ids = [t.run_id for t in tasks if t.run_id in done]
        results = [pd.read_parquet(self.runs / f"{i}.parquet") for i in ids]
        series = [pd.read_parquet(self.runs / f"{i}.series.parquet") for i in ids]
        empty = pd.DataFrame(columns=[*ID_COLUMNS, "metric", "value"])
        return (
            pd.concat(results, ignore_index=True) if results else empty,
            pd.concat(series, ignore_index=True) if series else empty,
        )
