"""The evidence of issue 28: the regression discontinuity at the ranking's cutoffs
(experiments/assessment/rd_shame_honour.py) and deadline bunching
(:mod:`govsim.results.bunching`, experiments/assessment/bunching.py).

The estimators are checked on synthetic data whose answer is known (a jump of a given
size, a bunch of a given mass, none); the model is checked on the 12-street city.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import load_script

from govsim.results.bunching import bunching, bunching_table, deadline_ratios

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = ROOT / "experiments" / "assessment"


def _script(name: str):
    return load_script(EXPERIMENTS / f"{name}.py")


@pytest.fixture(scope="module")
def rd():
    return _script("rd_shame_honour")


def _synthetic(jump: float, n: int = 4_000, seed: int = 3):
    """y = 0.2 - 0.5 x + jump below 0 + noise (sd 0.05), x uniform on [-1, 1], 400 clusters."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    y = 0.2 - 0.5 * x + jump * (x < 0) + rng.normal(0, 0.05, n)
    return x, y, rng.integers(0, 400, n)


@pytest.mark.parametrize("jump", [0.02, -0.015])
def test_the_rd_finds_a_known_jump_on_the_treated_side(rd, jump: float) -> None:
    x, y, groups = _synthetic(jump)
    below = rd.local_linear_rd(x, y, groups, 0.5, treated_above=False)
    assert below.ci_low < jump < below.ci_high
    assert below.ci_high < 0 or below.ci_low > 0  # a jump this size is found
    assert below.effect == pytest.approx(jump, abs=4 * below.se)
    above = rd.local_linear_rd(x, y, groups, 0.5, treated_above=True)
    assert above.effect == pytest.approx(-below.effect)  # the same jump, seen from the other side
    # the bandwidth's observations only, triangular weights: everything in it counted
    assert below.n_left + below.n_right == int((np.abs(x) < 0.5).sum())


def test_the_rd_finds_no_jump_where_there_is_none(rd) -> None:
    x, y, groups = _synthetic(0.0)
    none = rd.local_linear_rd(x, y, groups, 0.5)
    assert none.ci_low < 0 < none.ci_high
    # a slope is not a jump: a straight line through the cutoff gives 0, to rounding
    exact = rd.local_linear_rd(x, 0.2 - 0.5 * x, groups, 0.5)
    assert exact.effect == pytest.approx(0.0, abs=1e-12)


def test_street_months_measure_the_running_variable_from_the_cutoffs(rd) -> None:
    """Ten ranked streets in two months: the cutoffs are midpoints between the composites
    either side (top 1 advanced, bottom 1 to rectify at 10%), ``delta`` the next month's
    change; the unranked (governance, rank 0) street is left out."""
    composites = np.linspace(0.9, 0.81, 10)
    rows = []
    for month, shift in (("2019-01", 0.0), ("2019-02", 0.01)):
        for i, c in enumerate(composites):
            rows.append((month, "street", f"S{i}", i + 1, c + shift, "ordinary"))
        rows.append((month, "street", "G", 0, 0.5, "governance"))
    frame = rd.street_months(
        pd.DataFrame(rows, columns=["month", "unit_type", "unit", "rank", "composite", "group"]),
        seed=1,
        shares=(0.1, 0.1),
    )
    assert len(frame) == 10 and "G" not in set(frame["unit"])
    assert np.allclose(frame["delta"], 0.01)
    sd = composites.std(ddof=1)
    honour = (frame["composite"] - (0.9 + 0.89) / 2) / sd
    rectification = (frame["composite"] - (0.82 + 0.81) / 2) / sd
    assert np.allclose(frame["x_honour"], honour)
    assert np.allclose(frame["x_rectification"], rectification)
    assert (frame["x_honour"] > 0).sum() == 1 and (frame["x_rectification"] < 0).sum() == 1


def test_the_true_composite_weighs_the_true_rates(rd) -> None:
    """The exploratory outcome: the ranking's weights on the response without rushes, the
    true fix rate and the unpressed satisfaction; ``delta_true`` its next month's change."""
    assessed = pd.DataFrame(
        {
            "seed": 1,
            "month": ["2019-01", "2019-02", "2019-01"],
            "unit_type": ["street", "street", "department"],
            "unit": ["S0", "S0", "D"],
            "response_true": [1.0, 0.9, 1.0],
            "true_fix_rate": [0.8, 0.6, 0.5],
            "satisfaction_true": [0.9, 0.7, 0.5],
        }
    )
    true = rd.true_composites(assessed, {"response": 0.1, "resolution": 0.5, "satisfaction": 0.4})
    assert list(true["unit"]) == ["S0", "S0"]  # streets only
    assert true["true_composite"].tolist() == pytest.approx([0.86, 0.67])
    rankings = pd.DataFrame(
        [
            (m, "street", u, r, c, "ordinary")
            for m in ("2019-01", "2019-02")
            for u, r, c in (("S0", 1, 0.9), ("S1", 2, 0.8), ("S2", 3, 0.7))
        ],
        columns=["month", "unit_type", "unit", "rank", "composite", "group"],
    )
    frame = rd.street_months(rankings, 1, (0.34, 0.34), true).set_index("unit")
    assert frame.loc["S0", "delta_true"] == pytest.approx(0.67 - 0.86)
    assert np.isnan(frame.loc["S1", "delta_true"])  # no true figures: left for the RD to drop


def _closures(bunch: int, seed: int = 5) -> np.ndarray:
    """Times to close over the limit: a falling smooth density (lognormal, median 0.6) and
    ``bunch`` closures moved from after the limit to just before it (0.9 of the limit)."""
    rng = np.random.default_rng(seed)
    ratio = rng.lognormal(np.log(0.6), 0.6, 40_000)
    late = np.flatnonzero((ratio > 1) & (ratio < 1.5))[:bunch]
    ratio[late] = 0.9
    return ratio


def test_the_bunching_statistic_sees_a_bunch_and_no_bunch() -> None:
    smooth = bunching(_closures(0))
    assert abs(smooth.excess) < 0.1
    # a falling density has more closures before the limit than after it, as the smooth fit
    expected = smooth.counterfactual_before / smooth.counterfactual_after
    assert expected > 1 and smooth.ratio_before_after == pytest.approx(expected, rel=0.1)
    bunched = bunching(_closures(1_500))
    # 1,500 closures added to the window's ~3,700 expected: about +0.4
    assert bunched.excess == pytest.approx(1_500 / smooth.counterfactual_before, abs=0.1)
    assert bunched.excess > 0.25
    assert bunched.ratio_before_after > 1.5 * smooth.ratio_before_after
    assert bunched.closures == smooth.closures  # moved, none added


def test_too_few_closures_near_the_limit_have_no_excess() -> None:
    ratio = np.full(50, 0.55)  # nothing near the limit
    assert np.isnan(bunching(ratio).excess)
    assert np.isnan(bunching(np.array([])).excess)


def test_bunching_table_per_urgency_class() -> None:
    closed = pd.DataFrame(
        {
            "urgency": ["emergency"] * 4 + ["general"] * 2 + ["none"],
            "hours": [1.0, 1.9, 2.5, 10.0, 84.0, 160.0, 5.0],
        }
    )
    ratios = deadline_ratios(closed, {"emergency": 2.0, "general": 168.0})
    assert "none" not in set(ratios["urgency"])  # a class without a limit is left out
    assert ratios["ratio"].tolist() == pytest.approx([0.5, 0.95, 1.25, 5.0, 0.5, 160 / 168])
    table = bunching_table(ratios).set_index("urgency")
    assert table.loc["emergency", "closures"] == 3  # 5.0 is beyond the span
    assert table.loc["emergency", "before"] == 1 and table.loc["emergency", "after"] == 0
    assert table.loc["general", "before"] == 1


@pytest.mark.slow
def test_pressed_units_bunch_before_the_limit_and_unassessed_ones_do_not() -> None:
    """Three seeds of the 12-street city, 120 days, the mechanism at its defaults: with
    lateness assessed, the emergency (2 h) and utility (24 h) orders bunch just before their
    limit (paired interval of the excess, pressed minus unassessed, above 0, in every seed;
    the 24-hour bunch since the rush in service) and the complex ones (15 days) more than
    unassessed in two seeds of three (measured), by more than half the counterfactual pooled
    over the seeds (one seed's small counterfactual can make its excess large, so the t
    interval of three is wide); with lateness not assessed no class bunches (every
    interval covers 0)."""
    script = _script("bunching")
    ratios = script.closures([1, 2, 3], ["unassessed", "pressed"], workers=2)
    table = script.per_seed(ratios)
    summary = script.summarise(table, "pressed", "unassessed").set_index(["variant", "urgency"])
    assert summary.loc[("pressed - unassessed", "emergency"), "ci_low"] > 0
    assert summary.loc[("pressed - unassessed", "emergency"), "higher"] == 3
    assert summary.loc[("pressed - unassessed", "utility"), "ci_low"] > 0
    assert summary.loc[("pressed - unassessed", "utility"), "higher"] == 3
    assert summary.loc[("pressed - unassessed", "complex"), "higher"] >= 2
    pooled = bunching_table(ratios, by=["variant"]).set_index(["variant", "urgency"])
    assert pooled.loc[("pressed", "complex"), "excess"] > 0.5
    assert pooled.loc[("pressed", "emergency"), "excess"] > 0.5
    assert pooled.loc[("pressed", "utility"), "excess"] > 0.5
    unassessed = summary.loc["unassessed"]
    assert (unassessed["ci_low"] < 0).all() and (unassessed["ci_high"] > 0).all()
    assert (pooled.loc["unassessed", "excess"].abs() < 0.3).all()


def test_the_confirmatory_bunching_run_is_fixed_before_it_is_run() -> None:
    """bunching.py --city unequal, the test of the 7-day bunch: the unequal city, unassessed
    and pressed, 120 days, seeds 7-18 (none of the exploratory run's 1-6); it takes no option
    that would change it (exit 2), and its verdict is the paired interval above 0."""
    script = _script("bunching")
    setting, folder = script.parse(["--city", "unequal"])
    assert setting.confirmatory and setting.scenario == ROOT / "scenarios" / "unequal.yaml"
    assert setting.seeds == list(range(7, 19)) and not set(setting.seeds) & set(range(1, 7))
    assert setting.variants == ["unassessed", "pressed"] and setting.days == 120
    assert folder.name == "bunching_unequal"
    for changed in (["--seeds", "6"], ["--days", "60"], ["--variants", "pressed"]):
        with pytest.raises(SystemExit) as exit_:
            script.parse(["--city", "unequal", *changed])
        assert exit_.value.code == 2
    assert not script.parse([])[0].confirmatory
    summary = pd.DataFrame(
        {
            "variant": ["pressed", "pressed - unassessed", "pressed - unassessed"],
            "urgency": ["general", "general", "complex"],
            "ci_low": [0.5, 0.01, -0.01],
        }
    )
    assert script.verdicts(summary, "pressed", "unassessed") == {"general": True, "complex": False}


def test_the_assessment_experiment_crosses_designs_and_pressures() -> None:
    """experiments/assessment.yaml: four designs x three pressures x six replications, every
    run with the mechanism on, the weights and audits of its design."""
    from govsim.experiments.design import build_design
    from govsim.experiments.experiment import load_experiment

    path = ROOT / "experiments" / "assessment.yaml"
    design = build_design(load_experiment(path), path)
    assert len(design.tasks) == 4 * 3 * 6
    seen = set()
    for task in design.tasks:
        scenario, ranking = task.scenario, task.scenario.policies[0]
        assert scenario.assessment.enabled
        weights = (ranking.weights["response"], ranking.weights["resolution"])
        seen.add((task.variant, scenario.assessment.sensitivity, weights, ranking.audit.share))
    assert seen == {
        (variant, pressure, weights, audit)
        for variant, weights, audit in (
            ("formula", (0.1, 0.5), 0.0),
            ("formula_audits", (0.1, 0.5), 0.1),
            ("even", (0.3, 0.35), 0.0),
            ("even_audits", (0.3, 0.35), 0.1),
        )
        for pressure in (0.0, 1.0, 3.0)
    }
