"""``govsim optimize`` crowns no tie: selection on fresh seeds, budgets the sampler keeps, what
the researcher sees (progress, the fresh verdict), one study per folder; ``govsim discover``
gives whole-number limits to head counts and draws its box.

The studies run on the tiers reduction (scenarios/validation/tiers.yaml, see
tests/test_optimize.py), with fixed seeds: every test is deterministic.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO_ROOT
from test_optimize import TIERS, jackson_study

import govsim
from govsim.app.cli import main
from govsim.app.search_commands import front_text
from govsim.experiments.executors.local import LocalExecutor
from govsim.search import run_study
from govsim.search.lever_space import Candidate, build_space, point_key
from govsim.search.records import Evaluation
from govsim.search.selection import Plan, contenders, eliminate
from govsim.search.storage import LOCK, claim, fingerprint
from govsim.search.study import Study
from govsim.search.tables import _verdicts

GRID, STREET, DISTRICT = "staffing.grid_workers", "staffing.street_staff", "staffing.district_staff"


def write_study(tmp_path: Path, name: str, **spec) -> Path:
    """A study of the tiers reduction with the given keys (levers, constraints, ...)."""
    data = {
        "name": name,
        "scenario": str(TIERS),
        "days": 5,
        "objectives": [{"outcome": "time_to_close_mean", "direction": "minimise"}],
        "seed": 3,
        **spec,
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# -- S3: ranking and selection --------------------------------------------------------------------
def test_elimination_keeps_the_best_with_the_stated_confidence():
    """400 synthetic selections of 5 candidates (loss means 0, 0.05, 0.1, 0.5, 1; noise sd 0.3,
    independent): the best stays in the set in at least 95% of them (the procedure promises
    95%; the bound is Bonferroni's, so more), and the clearly worse ones are dropped."""
    rng = np.random.default_rng(2026)
    means = np.array([0.0, 0.05, 0.1, 0.5, 1.0])
    plan = Plan.of(5, 10, 30, 0.95)
    assert plan.looks == [10, 20, 30]
    kept = np.zeros(5)
    for _ in range(400):
        losses = {k: means[k] + rng.normal(0, 0.3, 30) for k in range(5)}
        state = eliminate(losses, plan)
        assert state.target is None
        kept[state.alive] += 1
    print(f"\nshare of 400 selections keeping each candidate: {kept / 400}")
    # 95% of 400 is 380; the binomial sd at p = 0.95 is 4.4: 370 is 2.3 sd below
    assert kept[0] >= 370
    assert kept[4] <= 20 and kept[3] <= 200  # a 1.0 gap is resolved, 0.5 mostly


def test_elimination_asks_for_more_replications_only_while_undecided():
    plan = Plan.of(3, 4, 12, 0.95)
    assert plan.looks == [4, 8, 12]
    base = np.array([1.0, 1.2, 0.9, 1.1])
    tie = {0: base, 1: base + np.array([0.01, -0.02, 0.02, -0.01]), 2: base + 5.0}
    state = eliminate(tie, plan)
    assert state.dropped == {2: 4} and state.alive == [0, 1] and state.target == 8
    alone = eliminate({0: base, 2: base + 5.0}, Plan.of(2, 4, 12, 0.95))
    assert alone.alive == [0] and alone.target is None
    assert eliminate({0: np.zeros(0)}, plan).target == 4  # a lone contender gets fresh runs too
    # screening: a candidate clearly worse on the common search seeds is no contender
    search = {0: base, 1: base + 0.01 * np.arange(4), 2: base + 5.0}
    assert contenders(search, 0.95, 10) == [0, 1]
    assert contenders(search, 0.95, 1) == [0]


@pytest.mark.slow
def test_a_tie_is_reported_as_a_tie_and_a_clear_winner_alone(tmp_path: Path, capsys):
    """The number of hotline operators changes nothing in the tiers reduction (every case is
    found on patrol): allocations differing only there are a true tie; 5 grid workers (load
    0.8) against 8, and 4 street staff (load 0.75) against 7, are clear differences."""
    replications = {"initial": 2, "step": 1, "max": 3, "final": 3, "final_max": 6}
    tie = write_study(
        tmp_path,
        "tie",
        levers=[
            {"key": GRID, "range": [5, 8], "step": 3, "integer": True},
            {"key": "hotline.operators", "range": [1, 2], "integer": True},
        ],
        replications=replications,
        search={"sampler": "random", "trials": 8, "batch": 4},
    )
    rc = main(["optimize", str(tie), "--out", str(tmp_path / "tie"), "--workers", "1"])
    captured = capsys.readouterr()
    assert rc == 0
    selection = pd.read_parquet(tmp_path / "tie" / "selection.parquet")
    tied = selection[selection["indifferent"]]
    assert sorted(tied["hotline.operators"]) == [1, 2] and set(tied[GRID]) == {8}
    assert not selection.loc[selection[GRID] == 5, "indifferent"].any()
    assert "2 cannot be told apart" in captured.out and "tie" in captured.out
    front = pd.read_parquet(tmp_path / "tie" / "front.parquet")
    assert len(front) == 1 and int(front["trial"].iloc[0]) in set(tied["trial"])
    assert main(["report", str(tmp_path / "tie"), "--quiet"]) == 0
    page = (tmp_path / "tie" / "report.html").read_text(encoding="utf-8")
    assert "2 of" in page and "cannot be told apart (the indifference set)" in page

    clear = write_study(
        tmp_path,
        "clear",
        levers=[
            {"key": GRID, "range": [5, 8], "step": 3, "integer": True},
            {"key": STREET, "range": [4, 7], "step": 3, "integer": True},
        ],
        replications=replications,
        search={"sampler": "random", "trials": 8, "batch": 4},
        days=8,
    )
    rc = main(["optimize", str(clear), "--out", str(tmp_path / "clear"), "--workers", "1"])
    out = capsys.readouterr().out
    selection = pd.read_parquet(tmp_path / "clear" / "selection.parquet")
    assert rc == 0 and selection["indifferent"].sum() == 1
    winner = selection[selection["best"]].iloc[0]
    assert (int(winner[GRID]), int(winner[STREET])) == (8, 7)
    assert "is told apart from all others" in out


def _budget_study(tmp_path: Path) -> Path:
    """All three head counts drawn (no fill lever) under 15 servers: before the repair most
    random draws were over the budget and spent a trial each; now none is."""
    return write_study(
        tmp_path,
        "budget",
        levers=[
            {"key": GRID, "range": [4, 10], "integer": True},
            {"key": STREET, "range": [3, 8], "integer": True},
            {"key": DISTRICT, "range": [1, 8], "integer": True},
        ],
        constraints={"headcount": {"max": 15, "tiers": ["grid", "street", "district"]}},
        replications={"initial": 2, "step": 1, "max": 2, "final": 2, "final_max": 2},
        search={"sampler": "random", "trials": 8, "batch": 4},
        days=2,
    )


def test_the_sampler_repairs_a_draw_over_the_budget(tmp_path: Path):
    path = _budget_study(tmp_path)
    space = build_space(govsim.search.load_study(path), path)
    drawn = {GRID: 9, STREET: 6, DISTRICT: 3}  # 18: three over
    repaired = space.repair(drawn)
    assert space.candidate(repaired).headcount == 15
    assert sum(abs(repaired[k] - drawn[k]) for k in drawn) == 3  # the nearest: three steps
    assert space.repair({GRID: 5, STREET: 4, DISTRICT: 2}) == {GRID: 5, STREET: 4, DISTRICT: 2}
    # a repeat of a tried point moves to the nearest untried feasible one (one step away)
    tried = {GRID: 6, STREET: 5, DISTRICT: 4}
    moved = space.repair(tried, {point_key(tried)})
    assert moved != tried and space.candidate(moved).feasible
    assert sum(abs(moved[k] - tried[k]) for k in tried) == 1


@pytest.mark.slow
def test_no_trial_is_spent_over_the_budget(tmp_path: Path):
    path = _budget_study(tmp_path)
    result = run_study(path, executor=LocalExecutor(1), out=tmp_path / "out", progress=False)
    trials = result.trials
    assert (trials["state"] == "complete").all() and (trials["headcount"] <= 15).all()
    assert (trials["headcount"] >= 13).all()  # repaired draws sit at the budget, not far below
    assert len(trials[[GRID, STREET, DISTRICT]].drop_duplicates()) == len(trials)  # no repeat
    # the trial's parameters are what was run (the sampler learns from the repaired point)
    import optuna

    stored = optuna.load_study(
        study_name="budget", storage=f"sqlite:///{tmp_path / 'out' / 'optuna.db'}"
    )
    for t in stored.trials:
        assert t.params == t.user_attrs["govsim.levers"]


# -- U1: progress in a log file -------------------------------------------------------------------
def test_optimize_prints_progress_lines_when_not_on_a_terminal(tmp_path: Path, capsys):
    study = jackson_study(
        tmp_path,
        name="logged",
        trials=2,
        batch=1,
        days=3,
        replications={"initial": 2, "step": 1, "max": 2, "final": 2, "final_max": 2},
    )
    rc = main(["optimize", str(study), "--out", str(tmp_path / "out"), "--workers", "1"])
    err = capsys.readouterr().err  # a captured stream: not a terminal
    assert rc == 0
    lines = [line for line in err.splitlines() if line.startswith("govsim: logged: ")]
    assert any("100% (2/2 trials" in line for line in lines), err
    assert any("50% (1/2 trials" in line for line in lines), err
    rc = main(["optimize", str(study), "--out", str(tmp_path / "q"), "--workers", "1", "--quiet"])
    assert rc == 0 and "trials" not in capsys.readouterr().err


# -- U2: the fresh verdict of the front -----------------------------------------------------------
def _member(number: int, hours: np.ndarray, satisfied: np.ndarray) -> Evaluation:
    table = {
        "time_to_close_p90": [list(hours)],
        "satisfaction_rate": [list(satisfied)],
    }
    return Evaluation(number, 0, Candidate({"x": number}), values=table, fresh=table)


def test_front_members_get_the_fresh_verdict():
    """The issue's front: a member at 73 h p90 against 29 h, for +0.001 of satisfaction within
    the noise, stays on the front on the means but is not told apart from the faster one."""
    study = Study.model_validate(
        {
            "name": "u2",
            "scenario": "x.yaml",
            "levers": [{"key": "x", "range": [0, 9], "integer": True}],
            "objectives": [
                {"outcome": "time_to_close_p90", "direction": "minimise"},
                {"outcome": "satisfaction_rate", "direction": "maximise"},
            ],
        }
    )
    rng = np.random.default_rng(5)
    common = rng.normal(0, 1, 10)
    fast = _member(1, 29 + common, 0.800 + 0.01 * rng.normal(0, 1, 10))
    noise = rng.normal(0, 0.01, 10)
    satisfied = np.array(fast.fresh["satisfaction_rate"][0]) + 0.001 + noise - noise.mean()
    slow = _member(2, 73 + common + rng.normal(0, 1, 10), satisfied)
    worse = _member(3, 80 + common, list(np.array(fast.fresh["satisfaction_rate"][0]) - 0.05))
    members = [fast, slow, worse]
    losses = np.array(
        [
            [np.mean(m.fresh["time_to_close_p90"][0]), -np.mean(m.fresh["satisfaction_rate"][0])]
            for m in members
        ]
    )
    verdicts = _verdicts(study, members, losses)
    assert verdicts[0]["fresh_verdict"] == "stays on the front"
    assert verdicts[1]["tie_with"] == 1 and verdicts[1]["dominated_by"] is None
    assert "not told apart from trial 1" in verdicts[1]["fresh_verdict"]
    assert verdicts[2]["confidently_dominated"] and "off the front" in verdicts[2]["fresh_verdict"]
    front = pd.DataFrame(
        {
            "trial": [1, 2, 3],
            "x": [1, 2, 3],
            **{
                f"{o}{s}": losses[:, i] * (1 if i == 0 else -1)
                for i, o in enumerate(("time_to_close_p90", "satisfaction_rate"))
                for s in ("", "_ci_low", "_ci_high")
            },
            "fresh_verdict": [v["fresh_verdict"] for v in verdicts],
        }
    )
    text = front_text(front, study)
    assert "fresh verdict" in text and "not told apart from trial 1" in text


@pytest.mark.slow
def test_a_two_objective_study_prints_the_fresh_verdict(tmp_path: Path, capsys):
    study = write_study(
        tmp_path,
        "two",
        levers=[
            {"key": GRID, "range": [5, 8], "integer": True},
            {"key": STREET, "range": [4, 6], "integer": True},
        ],
        objectives=[
            {"outcome": "time_to_close_mean", "direction": "minimise"},
            {"outcome": "backlog_mean", "direction": "minimise"},
        ],
        replications={"initial": 2, "step": 1, "max": 3, "final": 3},
        search={"sampler": "random", "trials": 6, "batch": 3},
        days=3,
    )
    rc = main(["optimize", str(study), "--out", str(tmp_path / "out"), "--workers", "1"])
    out = capsys.readouterr().out
    front = pd.read_parquet(tmp_path / "out" / "front.parquet")
    assert rc == 0 and "fresh verdict" in out
    assert {"dominated_by", "confidently_dominated", "tie_with", "fresh_verdict"} <= set(front)
    for verdict in front["fresh_verdict"]:
        assert verdict in out


# -- F4: two processes on one fresh folder --------------------------------------------------------
def test_a_folder_being_claimed_refuses_a_second_study(tmp_path: Path, capsys):
    """The race, made deterministic: another process holds the folder's claim (here: this
    one, through the lock) while the command starts."""
    study = jackson_study(tmp_path, name="raced", trials=2, days=3)
    out = tmp_path / "out"
    space = build_space(govsim.search.load_study(study), study)
    with claim(out, fingerprint(space, [1, 2])):
        assert (out / LOCK).is_file()
        rc = main(["optimize", str(study), "--out", str(out), "--quiet"])
        err = capsys.readouterr().err
    assert rc == 2 and "another govsim optimize is creating a study" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == [LOCK]  # nothing of the refused one


@pytest.mark.slow
def test_two_optimize_processes_started_together_on_one_fresh_folder(tmp_path: Path):
    study = jackson_study(
        tmp_path,
        name="together",
        trials=3,
        batch=3,
        days=4,
        replications={"initial": 2, "step": 1, "max": 2, "final": 2, "final_max": 2},
    )
    out = tmp_path / "out"
    command = [sys.executable, "-m", "govsim", "optimize", str(study), "--out", str(out)]
    command += ["--workers", "1", "--quiet"]
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    codes = sorted(rc for rc, _ in results)
    loser = next(err for rc, err in results if rc == 2) if 2 in codes else ""
    print(f"\nexit codes {codes}; refused with: {loser.strip()}")
    assert codes == [0, 2], results
    assert len(loser.strip().splitlines()) == 1
    for word in ("Traceback", "IntegrityError", "sqlalchemy", "alembic"):
        assert word not in loser
    data = govsim.load(out)
    assert len(data.trials) == 3 and set(data.trials["state"]) == {"complete"}


# -- U3: discover ---------------------------------------------------------------------------------
def test_box_limits_of_integer_parameters_are_whole_numbers():
    from govsim.search.prim import find_box

    rng = np.random.default_rng(8)
    x = pd.DataFrame({"workers": rng.integers(1, 7, 400), "hours": rng.uniform(0, 1, 400)})
    y = (x["workers"] <= 3).to_numpy() & (rng.uniform(0, 1, 400) < 0.9)
    raw_trajectory, raw_box, chosen = find_box(x, y, density=0.8)
    trajectory, box, same = find_box(x, y, density=0.8, integers={"workers"})
    assert same == chosen
    workers = box.set_index("parameter").loc["workers"]
    assert float(workers["min"]).is_integer() and float(workers["max"]).is_integer()
    for column in ("workers_min", "workers_max"):
        assert all(float(v).is_integer() for v in trajectory[column])
    raw = raw_box.set_index("parameter").loc["workers"]
    inside_raw = x["workers"].between(raw["min"], raw["max"])  # the same whole values inside
    assert inside_raw.equals(x["workers"].between(workers["min"], workers["max"]))


@pytest.fixture(scope="module")
def experiment(tmp_path_factory) -> Path:
    """20 Latin-hypercube samples of the tiers reduction: grid staff and street handling time."""
    from govsim.experiments import run_experiment

    tmp = tmp_path_factory.mktemp("exp")
    spec = {
        "name": "disc",
        "scenario": str(REPO_ROOT / "scenarios" / "validation" / "tiers.yaml"),
        "seed": 5,
        "replications": 2,
        "days": 4,
        "variants": {"baseline": {}},
        "uncertainties": [
            {"key": GRID, "range": [5, 9], "integer": True},
            {"key": "categories.tiers.handling.street.mean", "range": [1.0, 2.0]},
        ],
        "sampling": {"method": "lhs", "samples": 20},
        "outcomes": ["time_to_close_mean"],
    }
    path = tmp / "disc.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    run_experiment(path, executor=LocalExecutor(1), out=tmp / "out", progress=False)
    return tmp / "out"


def test_discover_gives_whole_limits_to_a_head_count_and_draws_the_box(experiment: Path, capsys):
    import matplotlib

    matplotlib.use("Agg")
    from govsim.plots.discovery import peeling_figure

    results = pd.read_parquet(experiment / "results.parquet")
    means = results[results["metric"] == "time_to_close_mean"].groupby("sample")["value"].mean()
    cut = float(means.quantile(0.6))
    rc = main(["discover", str(experiment), "--outcome", "time_to_close_mean", "--above", str(cut)])
    assert rc == 0
    box = pd.read_parquet(experiment / "discovery_box.parquet").set_index("parameter")
    assert bool(box.loc[GRID, "integer"])
    assert float(box.loc[GRID, "min"]).is_integer() and float(box.loc[GRID, "max"]).is_integer()
    trajectory = pd.read_parquet(experiment / "discovery.parquet")
    assert all(float(v).is_integer() for v in trajectory[f"{GRID}_min"])
    figure = peeling_figure(trajectory, "x", box.reset_index())
    assert len(figure.axes) == 3  # the trajectory, its colour bar, and the chosen box
    labels = [t.get_text() for t in figure.axes[1].get_yticklabels()]
    assert GRID in labels
    texts = {t.get_text() for t in figure.axes[1].texts}
    assert f"{box.loc[GRID, 'min']:.4g}" in texts and f"{box.loc[GRID, 'max']:.4g}" in texts


# -- S1 in the search: what is reported says whether its backlog settles -------------------------
@pytest.mark.slow
def test_the_selection_and_front_flag_a_candidate_whose_backlog_does_not_settle(
    tmp_path: Path, capsys
):
    """A search whose candidates all have one district server (the tiers reduction's district
    then runs at utilisation 1.6, tests/test_outcomes_censoring.py) against one with four: the
    fresh runs measure the companions of a time to close, and the reported candidate of the
    first is flagged in selection.parquet, front.parquet, the console and the report; the
    second is not."""
    flagged = {}
    for district in (1, 4):
        name = f"district{district}"
        study = write_study(
            tmp_path,
            name,
            levers=[{"key": GRID, "range": [7, 8], "integer": True}],
            set={DISTRICT: district},
            replications={"initial": 2, "step": 1, "max": 2, "final": 3, "final_max": 3},
            search={"sampler": "random", "trials": 2, "batch": 2},
            days=30,
        )
        out = tmp_path / name
        assert main(["optimize", str(study), "--out", str(out), "--workers", "1"]) == 0
        printed = capsys.readouterr().out
        selection = pd.read_parquet(out / "selection.parquet")
        front = pd.read_parquet(out / "front.parquet")
        for table in (selection, front):
            assert {"open_share", "runs_growing", "backlog_settles"} <= set(table.columns)
        assert main(["report", str(out)]) == 0
        capsys.readouterr()
        page = (out / "report.html").read_text(encoding="utf-8")
        flagged[district] = (
            bool((~front["backlog_settles"]).all()),
            bool((~selection["backlog_settles"]).all()),
            "NOT SETTLED" in printed,
            "NOT SETTLED" in page,
        )
        if district == 1:
            assert (front["runs_growing"] == 3).all()  # 3 of 3 fresh runs grow
            assert (front["open_share"] > 0.05).all()
    assert flagged[1] == (True, True, True, True)
    assert flagged[4] == (False, False, False, False)
