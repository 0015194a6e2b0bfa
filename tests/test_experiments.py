"""Experiments: results independent of backend and worker count, resume after a kill, CIs.

A tiny experiment (two variants, a few short replications) keeps this fast.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from govsim.experiments import run_experiment
from govsim.experiments.analysis import replications_needed
from govsim.experiments.executors.dask import DaskExecutor
from govsim.experiments.executors.local import LocalExecutor

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("results", "timeseries", "summary", "paired", "variants", "samples")


def write_experiment(folder: Path, replications: int = 3, days: int = 6) -> Path:
    path = folder / "exp.yaml"
    path.write_text(f"""
name: tiny
scenario: {ROOT / "scenarios" / "baseline.yaml"}
seed: 11
replications: {replications}
days: {days}
warmup_days: 1
variants:
  baseline: {{}}
  whistle:
    policies: [{{type: whistle_blowing, probability: 0.9}}]
outcomes: [backlog_mean, time_to_close_mean, satisfaction_rate, created]
""")
    return path


def read_tables(out: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(out / f"{name}.parquet") for name in TABLES}


def assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


@pytest.mark.slow
def test_one_and_two_workers_give_identical_tables(tmp_path: Path):
    exp = write_experiment(tmp_path)
    run_experiment(exp, executor=LocalExecutor(1), out=tmp_path / "one", progress=False)
    run_experiment(exp, executor=LocalExecutor(2), out=tmp_path / "two", progress=False)
    assert_same(read_tables(tmp_path / "one"), read_tables(tmp_path / "two"))
    results = pd.read_parquet(tmp_path / "one" / "results.parquet")
    # every variant of a replication got the same seed (common random numbers)
    assert (results.groupby("replication")["seed"].nunique() == 1).all()


@pytest.mark.slow
def test_local_pool_and_dask_local_cluster_give_identical_tables(tmp_path: Path):
    exp = write_experiment(tmp_path, replications=2)
    run_experiment(exp, executor=LocalExecutor(2), out=tmp_path / "local", progress=False)
    run_experiment(exp, executor=DaskExecutor(workers=2), out=tmp_path / "dask", progress=False)
    assert_same(read_tables(tmp_path / "local"), read_tables(tmp_path / "dask"))


@pytest.mark.slow
def test_killed_experiment_resumes_to_identical_tables(tmp_path: Path):
    exp = write_experiment(tmp_path, replications=4, days=8)
    run_experiment(exp, executor=LocalExecutor(1), out=tmp_path / "whole", progress=False)
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "govsim",
            "experiment",
            "run",
            str(exp),
            "--workers",
            "1",
            "--quiet",
            "--out",
            str(out),
        ],
        start_new_session=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / "runs").glob("*__r*.parquet"))) < 4:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = [
        p for p in (out / "runs").glob("*.parquet") if not p.name.endswith(".series.parquet")
    ]
    assert 0 < len(finished) < 8, "the kill should land mid-way"
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "govsim",
            "experiment",
            "run",
            str(exp),
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
    )
    assert again.returncode == 2 and "--resume" in again.stderr  # no silent overwrite
    resumed = run_experiment(exp, executor=LocalExecutor(1), out=out, resume=True, progress=False)
    assert resumed.ran == 8 - len(finished)
    assert_same(read_tables(tmp_path / "whole"), read_tables(out))


@pytest.mark.slow
def test_paired_differences_vary_less_than_unpaired(tmp_path: Path):
    exp = write_experiment(tmp_path, replications=6)
    result = run_experiment(exp, executor=LocalExecutor(2), out=tmp_path / "p", progress=False)
    paired = result.tables["paired"].set_index("metric")
    assert paired.loc["created", "sd_diff"] < paired.loc["created", "sd_unpaired"]
    assert paired.loc["backlog_mean", "sd_diff"] < paired.loc["backlog_mean", "sd_unpaired"]


@pytest.mark.slow
def test_confidence_intervals_narrow_as_replications_grow(tmp_path: Path):
    widths = []
    for n in (3, 12):
        (tmp_path / f"n{n}").mkdir()
        exp = write_experiment(tmp_path / f"n{n}", replications=n)
        result = run_experiment(
            exp, executor=LocalExecutor(2), out=tmp_path / f"out{n}", progress=False
        )
        summary = result.tables["summary"].set_index(["variant", "metric"])
        widths.append(summary.loc[("baseline", "backlog_mean"), "half_width"])
    assert widths[1] < widths[0]


def test_replications_needed_meets_the_target():
    pilot = [10.0, 12.0, 9.0, 11.0, 13.0]
    n = replications_needed(pilot, half_width=0.5)
    assert n > len(pilot)
    assert replications_needed(pilot, half_width=100) == 2
    with pytest.raises(ValueError):
        replications_needed([1.0], 1.0)


@pytest.mark.slow
def test_dask_worker_killed_mid_run_loses_no_run(tmp_path: Path):
    from distributed import Client, LocalCluster

    exp = write_experiment(tmp_path, replications=4, days=20)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        victim = sorted(client.scheduler_info()["workers"])[0]
        # Its process id, asked here: the killer thread below must not use a Client while the
        # executor's own Client waits on its futures in this one (distributed's clients are
        # not safe across threads: "Event ... is bound to a different event loop", 1 run in 7).
        victim_pid = client.run(os.getpid, workers=[victim])[victim]

        done_at_kill: list[int] = []

        def kill_after_first_run() -> None:
            runs = tmp_path / "dask" / "runs"
            while not list(runs.glob("*__r*.parquet")):
                time.sleep(0.02)
            done_at_kill.append(
                len([p for p in runs.glob("*.parquet") if ".series." not in p.name])
            )
            # The worker dies before it can answer (its nanny starts a new one).
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim_pid, signal.SIGKILL)

        import threading

        threading.Thread(target=kill_after_first_run, daemon=True).start()
        result = run_experiment(
            exp,
            executor=DaskExecutor(scheduler=cluster.scheduler_address),
            out=tmp_path / "dask",
            progress=False,
        )
    assert done_at_kill and done_at_kill[0] < 8, "the worker must die mid-experiment"
    assert result.errors == []
    assert result.ran == 8
    run_experiment(exp, executor=LocalExecutor(1), out=tmp_path / "local", progress=False)
    assert_same(read_tables(tmp_path / "local"), read_tables(tmp_path / "dask"))


@pytest.mark.slow
def test_shipped_comparison_pairing_lowers_variance(tmp_path: Path):
    """The shipped policy comparison, shortened: paired differences vary less than unpaired ones."""
    import yaml

    spec = yaml.safe_load((ROOT / "experiments" / "policy_comparison.yaml").read_text())
    spec.update(
        replications=5, days=30, warmup_days=7, scenario=str(ROOT / "scenarios" / "baseline.yaml")
    )
    exp = tmp_path / "comparison.yaml"
    exp.write_text(yaml.safe_dump(spec))
    result = run_experiment(exp, executor=LocalExecutor(2), out=tmp_path / "out", progress=False)
    paired = result.tables["paired"]
    paired = paired[
        paired["metric"].isin(["backlog_mean", "time_to_close_mean", "satisfaction_rate"])
    ]
    assert len(paired) == (len(spec["variants"]) - 1) * 3
    assert (paired["sd_diff"] < paired["sd_unpaired"]).mean() >= 0.75
    assert paired["sd_diff"].pow(2).sum() < paired["sd_unpaired"].pow(2).sum()
