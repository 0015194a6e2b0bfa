"""The conclusions' sensitivity: which parameters are assumed, how they move, what can flip.

Fast: the discovery of assumed parameters (file comments, schema descriptions) on the
shipped baseline and on a small file; the +-50% moves (shares clipped, whole numbers
rounded, compositions renormalised); the flip criterion on a synthetic Morris result.
Slow: a tiny screening (2 parameters, 2 trajectories, a few days) through the runs' store.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from govsim.calibration import sensitivity
from govsim.experiments import assumed, screening
from govsim.experiments.assumed import Assumed

ROOT = Path(__file__).resolve().parents[1]
COMPARISON = ROOT / "experiments" / "policy_comparison.yaml"


@pytest.fixture(scope="module")
def baseline() -> dict[str, Assumed]:
    found = assumed.scenario_parameters(ROOT / "scenarios" / "baseline.yaml")
    return {p.name: p for p in found.parameters}


def test_baseline_assumed_parameters_are_found(baseline: dict[str, Assumed]) -> None:
    for name in (
        "city.synthetic.population",  # its line: "# assumed; 5,000 residents a grid"
        "staffing.street_staff",
        "departments.housing.staff",  # "`staff` assumed." above `departments:`
        "categories.urban_construction.problem.fixability",  # named above `categories:`
        "categories.traffic.unclear_jurisdiction",
        "handling.district.mean",  # "all assumed" on `handling:`
        "hotline.dispatch_accuracy",
        "problems.keep_reporting",
        "problems.effort_elasticity",  # not in the file: the schema's description
    ):
        assert name in baseline, name
    assert baseline["departments.housing.staff"].integer
    assert baseline["hotline.dispatch_accuracy"].share
    assert baseline["arrivals.channels.online"].composition == ("arrivals", "channels")


def test_parameters_without_the_mark_are_not_found(baseline: dict[str, Assumed]) -> None:
    for name in (
        "categories.housing.rate",  # 2020 top ten, Beijing Daily
        "hotline.talk_time.mean",  # "about 6 min per ticket (press)"
        "problems.reference_open_hours",  # its comment gives a measured value
        "problems.scopes.compound.residents",  # its comment cites Huitian (004)
        "departments.water.limit_hours",  # the service standard draft
        "hotline.patience.cv",  # an exponential has no cv
        "days",
    ):
        assert name not in baseline, name


def test_marks_nearest_comment_and_named_keys(tmp_path: Path) -> None:
    text = (
        "# A section. `b` is assumed. `a` is not.\n"
        "s:\n"
        "  a: 1\n"
        "  b: 2\n"
        "t:                # all assumed\n"
        "  c: 3\n"
        "  d: 4            # press, 2020\n"
        "u: {e: 5}         # source: seed 004 # not assumed either\n"
    )
    root = yaml.compose(text)
    marks = assumed.Marks(text, root)
    assert marks.verdict(("s", "a"))[0] is None
    assert marks.verdict(("s", "b"))[0] is True
    assert marks.verdict(("t", "c"))[0] is True
    assert marks.verdict(("t", "d"))[0] is False
    assert marks.verdict(("u", "e"))[0] is True  # the comment says "assumed": it counts
    assert assumed.end_comment("x: 'a # b'  # c") == "c"


def test_moves_clip_shares_and_round_whole_numbers() -> None:
    def parameter(value: float, **kw: object) -> Assumed:
        fields: dict = dict(integer=False, share=False, bounds=(None, None), composition=None)
        fields.update(kw)
        return Assumed("p", ("p",), value, why="", **fields)

    share = parameter(0.95, share=True, bounds=(1e-9, 1.0))
    assert screening.moved(share, 0.5) == pytest.approx(0.475)
    assert screening.moved(share, 1.5) == 1.0
    staff = parameter(3, integer=True)
    assert (screening.moved(staff, 0.5), screening.moved(staff, 1.5)) == (2, 5)
    one = parameter(1, integer=True)
    assert (screening.moved(one, 0.5), screening.moved(one, 1.5)) == (1, 2)
    bounded = parameter(0.8, share=True, bounds=(0.0, 1.0 - 1e-9))
    assert screening.moved(bounded, 1.5) < 1.0
    assert screening.moved(parameter(12.0), 1.5) == 18.0


def test_a_composition_is_renormalised(baseline: dict[str, Assumed]) -> None:
    names = ["arrivals.channels.hotline", "arrivals.channels.online", "arrivals.channels.patrol"]
    factors = [baseline[n] for n in names]
    overrides = screening.point_overrides(factors, np.array([1.0, 1.5, 0.5]), {})
    values = {o.path: o.value for o in overrides}
    total = 0.85 + 0.18 + 0.015
    assert values["arrivals.channels.online"] == pytest.approx(0.18 / total)
    assert sum(values.values()) == pytest.approx(1.0)


def _index(parameter: str, mu_star: float, conf: float, low: float, high: float) -> dict:
    return {
        "contrast": "p - baseline",
        "outcome": "backlog_mean",
        "parameter": parameter,
        "mu": 0.0,
        "mu_star": mu_star,
        "mu_star_conf": conf,
        "sigma": 1.0,
        "low_mean": low,
        "high_mean": high,
    }


def test_flip_criterion_on_a_synthetic_result() -> None:
    document = {
        "conclusions": [
            {
                "contrast": "p - baseline",
                "outcome": "backlog_mean",
                "mean": -10.0,
                "ci_low": -15.0,
                "ci_high": -5.0,
                "n": 10,
            },
        ],
        "indices": [
            _index(screening.DUMMY, 5.0, 1.0, -10.0, -10.0),
            _index("flips", 30.0, 2.0, +3.0, -20.0),  # mu*/2 = 15 >= 10, above noise
            _index("small", 15.0, 1.0, -5.0, -14.0),  # mu*/2 = 7.5 < 10
            _index("noisy", 40.0, 38.0, +1.0, -9.0),  # 40 - 38 = 2 < the dummy's 5
        ],
    }
    rows = sensitivity.flips(document)
    assert [r["parameter"] for r in rows] == ["flips"]
    assert rows[0]["seen"]  # its low end's mean has the other sign
    reach = {r["parameter"]: r["above_noise"] for r in sensitivity.candidates(document)}
    assert reach == {"flips": True, "noisy": False}  # "noisy" reaches it within the noise
    unsigned = {**document["conclusions"][0], "mean": 1.0, "ci_low": -4.0, "ci_high": 6.0}
    rows = sensitivity.flips({**document, "conclusions": [unsigned]})
    assert {r["parameter"] for r in rows} == {"flips", "small"}  # mu*/2 >= half-width 5
    assert sensitivity.sign(unsigned) == 0


@pytest.mark.slow
def test_a_tiny_screening_runs_resumes_and_tabulates(tmp_path: Path) -> None:
    spec = screening.Screening(
        comparison=COMPARISON,
        variants=("baseline", "whistle_blowing"),
        contrasts=(("whistle_blowing", "baseline"),),
        days=4,
        warmup_days=1,
        trajectories=2,
        nominal_replications=2,
        only=("staffing.district_staff", "whistle_blowing.arrival.mean"),
    )
    plan = screening.plan(spec)
    assert plan.multipliers.shape == (2 * 4, 3)  # r (k + 1) points: k = 2 and the dummy
    assert len(plan.tasks) == (8 + 2) * 2
    results, made = screening.execute(plan, tmp_path / "runs", progress=False)
    assert made == len(plan.tasks)
    again, made = screening.execute(plan, tmp_path / "runs", progress=False)
    assert made == 0 and again.equals(results)
    document = screening.write_result(
        tmp_path / "s.json", plan, screening.analyse(plan, results), wall_seconds=1, runs_made=20
    )
    stored = json.loads((tmp_path / "s.json").read_text())
    assert stored["provenance"]["runs"] == 20 and len(stored["conclusions"]) == 4
    assert {i["parameter"] for i in stored["indices"]} == {*spec.only, screening.DUMMY}
    assert "whistle_blowing - baseline" in sensitivity.table(document)
