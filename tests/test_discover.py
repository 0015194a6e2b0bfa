"""``govsim discover``: PRIM recovers a box planted in synthetic data; it runs on experiments.

Planted box. 1,000 points uniform on [0, 1]^3; inside a = [0.6, 1], b = [0, 0.3] (any c) a
point is of interest with probability 0.9, outside with 0.05. At the reporting density
d = 0.85 a box may hold outside area up to (0.9 - d) / (d - 0.05) = 6% of its inside area
(in expectation), and PRIM's 5% peels can cut into the planted box by a step or two: the
found box should overlap the planted one with intersection over union of at least
1 / (1 + 0.06 + 0.10) = 0.86; the test asks 0.8 to leave room for the sampling noise of
1,000 points. The third parameter carries no signal and must stay (nearly) unrestricted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO_ROOT

import govsim
from govsim.app.cli import main
from govsim.experiments import run_experiment
from govsim.experiments.executors.local import LocalExecutor
from govsim.search.prim import find_box

PLANTED = {"a": (0.6, 1.0), "b": (0.0, 0.3)}


def planted(n: int = 1000, seed: int = 11, signal: bool = True) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.uniform(0, 1, (n, 3)), columns=["a", "b", "c"])
    inside = x["a"].between(*PLANTED["a"]) & x["b"].between(*PLANTED["b"])
    p = np.where(inside, 0.9, 0.05) if signal else np.full(n, 0.15)
    return x, rng.uniform(0, 1, n) < p


def iou(box: pd.DataFrame) -> float:
    lims = box.set_index("parameter")
    inter, union_a, union_b = 1.0, 1.0, 1.0
    for p in ("a", "b"):
        lo, hi = PLANTED[p]
        found_lo, found_hi = lims.loc[p, "min"], lims.loc[p, "max"]
        inter *= max(0.0, min(hi, found_hi) - max(lo, found_lo))
        union_a *= hi - lo
        union_b *= found_hi - found_lo
    c = lims.loc["c"]
    found_c = c["max"] - c["min"]
    return inter * found_c / (union_a + union_b * found_c - inter * found_c)


@pytest.mark.slow
def test_prim_finds_the_planted_box():
    x, y = planted()
    trajectory, box, chosen = find_box(x, y, density=0.85)
    row = trajectory.loc[chosen]
    print(
        f"\nchosen box {chosen}: coverage {row['coverage']:.3f}, "
        f"density {row['density']:.3f}\n{box}"
    )
    assert row["density"] >= 0.85
    assert iou(box) >= 0.8
    c = box.set_index("parameter").loc["c"]
    assert c["max"] - c["min"] >= 0.9  # the noise parameter is (nearly) left alone


def test_prim_finds_no_dense_box_without_a_signal():
    x, y = planted(signal=False)
    trajectory, _, _ = find_box(x, y, density=0.85)
    assert trajectory["density"].max() < 0.85


@pytest.fixture(scope="module")
def experiment(tmp_path_factory) -> Path:
    """20 Latin-hypercube samples of the tiers reduction: grid staff and street handling time."""
    tmp = tmp_path_factory.mktemp("exp")
    spec = {
        "name": "disc",
        "scenario": str(REPO_ROOT / "scenarios" / "validation" / "tiers.yaml"),
        "seed": 5,
        "replications": 2,
        "days": 4,
        "variants": {"baseline": {}},
        "uncertainties": [
            {"key": "staffing.grid_workers", "range": [5, 9], "integer": True},
            {"key": "categories.tiers.handling.street.mean", "range": [1.0, 2.0]},
        ],
        "sampling": {"method": "lhs", "samples": 20},
        "outcomes": ["time_to_close_mean", "backlog_mean"],
    }
    path = tmp / "disc.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    run_experiment(path, executor=LocalExecutor(1), out=tmp / "out", progress=False)
    return tmp / "out"


def test_discover_on_an_experiment_folder(experiment: Path, capsys):
    results = pd.read_parquet(experiment / "results.parquet")
    means = results[results["metric"] == "time_to_close_mean"].groupby("sample")["value"].mean()
    cut = float(means.median())
    assert (
        main(["discover", str(experiment), "--outcome", "time_to_close_mean", "--above", str(cut)])
        == 0
    )
    out = capsys.readouterr().out
    assert "samples of interest" in out and "coverage" in out
    trajectory = pd.read_parquet(experiment / "discovery.parquet")
    box = pd.read_parquet(experiment / "discovery_box.parquet")
    assert trajectory["chosen"].sum() == 1 and set(box["parameter"]) == {
        "staffing.grid_workers",
        "categories.tiers.handling.street.mean",
    }
    assert (experiment / "figures" / "discovery.png").is_file()
    assert isinstance(govsim.load(experiment), govsim.ExperimentData)  # still an experiment folder


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--outcome", "nope", "--above", "1"], "no outcome 'nope'"),
        (["--outcome", "time_to_close_mean", "--above", "1e9"], "no sample has"),
        (
            ["--outcome", "time_to_close_mean", "--below", "1", "--variant", "other"],
            "no variant 'other'",
        ),
    ],
)
def test_discover_bad_input_exits_2(experiment: Path, args: list[str], fragment: str, capsys):
    rc = main(["discover", str(experiment), *args])
    err = capsys.readouterr().err
    assert rc == 2 and fragment in err and "Traceback" not in err, err


def test_discover_needs_an_experiment_folder(tmp_path: Path, capsys):
    rc = main(["discover", str(tmp_path), "--outcome", "backlog_mean", "--above", "1"])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
