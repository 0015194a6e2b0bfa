"""Units that answer to their assessment (``assessment``, issue 28 items 1 and 3).

The decision rule by hand (govsim/mechanisms/assessment/decision.py); off, the model is
today's; on, the mechanism's books agree with the ranking's and the case ledger's; and, on the
12-street city of experiments/assessment (slow), Goodhart with numbers: what pressure and
gaming do to measured and true resolution, and what audits buy.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import load_script
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar
from test_problems_properties import check_problem_tables, problem_scenarios

import govsim
from govsim.core.errors import LedgerError, UserInputError
from govsim.mechanisms.assessment.decision import (
    NO_CHOICE,
    Answers,
    Design,
    Option,
    Rule,
    Slowness,
    choose,
    effort,
    gains,
    headroom,
)
from govsim.results.run_tables import collect
from govsim.scenario.loader import validate
from govsim.scenario.schema import Scenario
from govsim.simulate import new_run

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
GOODHART = ROOT / "experiments" / "assessment" / "goodhart.py"

# The baseline's answers (scenarios/baseline.yaml: resolved if fixed 0.97, if not 0.5; the
# callback's default ordinal logit) and the schema's default rule.
ANSWERS = Answers(0.97, 0.5, -1.0, 3.0, 1.0, 0.3, 1.0, 0.8)
RULE = Rule(
    temperature=0.05,
    gain_max=0.1,
    scale=0.5,
    effort_cost=0.05,
    effort_cap=1.0,
    paper=Option(0.5, 0.05, 1.0),
    press=Option(0.8, 0.02, 0.5),
    label=Option(0.2, 0.1, 1.0),
    dispute=Option(0.5, 0.03, 0.5),  # on here; off (share_max 0) in the schema's defaults
    press_resolved=0.95,
    press_shift=1.0,
)
PUBLIC = Design.of({"response": 0.1, "resolution": 0.5, "satisfaction": 0.4})
SLOW = Slowness(escalated=3.0, late=3.0)


# -- the decision rule, by hand -----------------------------------------------------------------
def test_no_pressure_means_no_effort_and_no_gaming() -> None:
    for slow in (Slowness(), SLOW):
        assert choose(0.0, PUBLIC, ANSWERS, RULE, slow) == NO_CHOICE


def test_strong_audits_stop_gaming_under_pressure() -> None:
    audited = Design.of({"response": 0.1, "resolution": 0.5, "satisfaction": 0.4}, 0.5, 2.0)
    unaudited = choose(1.0, PUBLIC, ANSWERS, RULE, SLOW)
    assert all(q > 0 for q in unaudited.shares)  # every option pays without audits
    choice = choose(1.0, audited, ANSWERS, RULE, SLOW)
    assert choice.shares == (0.0, 0.0, 0.0, 0.0, 0.0)
    assert choice.effort == unaudited.effort > 0  # audits leave honest effort alone


def test_more_pressure_more_gaming() -> None:
    shares = [choose(p, PUBLIC, ANSWERS, RULE, SLOW).shares for p in (0.2, 0.4, 1.0, 3.0)]
    for low, high in zip(shares, shares[1:], strict=False):
        assert all(h >= lo for lo, h in zip(low, high, strict=True))
    assert sum(shares[-1]) > sum(shares[0])
    assert shares[0][0] == 0 < shares[2][0]  # paper: only under the shame list's pressure


def test_pressing_gains_nothing_when_resolution_and_satisfaction_weigh_nothing() -> None:
    response_only = Design.of({"response": 1.0})
    g = gains(response_only, ANSWERS, RULE, 0.8, SLOW)
    assert g["press"] == 0 and g["paper"] == 0 and g["label"] == 0 and g["dispute"] == 0
    choice = choose(1.0, response_only, ANSWERS, RULE, SLOW)
    assert choice.shares[2] == 0  # no pressing
    assert choice.shares[1] > 0  # but a rush pays: the response rate is all that counts
    assert choice.effort == 0  # and effort buys no resolution points


def test_paper_pays_only_where_escalation_is_slow() -> None:
    prompt = choose(1.0, PUBLIC, ANSWERS, RULE, Slowness())
    slow = choose(1.0, PUBLIC, ANSWERS, RULE, SLOW)
    assert prompt.shares[0] == 0 < slow.shares[0]


def test_effort_is_the_closed_form_maximum() -> None:
    for pressure in (0.5, 1.0, 2.0, 5.0):
        e = effort(pressure, PUBLIC, RULE)

        def minus_utility(x: float, p: float = pressure) -> float:
            gain = RULE.gain_max * (1 - math.exp(-x / RULE.scale))
            return -(p * PUBLIC.resolution * gain - RULE.effort_cost * x)

        best = minimize_scalar(minus_utility, bounds=(0, RULE.effort_cap), method="bounded")
        assert e == pytest.approx(best.x, abs=1e-4)
    assert effort(0.4, PUBLIC, RULE) == 0  # the marginal gain below the cost at e = 0


def test_effort_comes_out_of_idle_staff_time() -> None:
    """The headroom keeps every pool at or under the utilisation limit once the effort scales
    its busy time; a pool at or over the limit leaves none; a pool never busy sets none."""
    assert headroom([0.5, 0.8], 0.0, 0.85) == pytest.approx(0.85 / 0.8 - 1)
    assert headroom([0.9], 0.35, 0.85) == pytest.approx(0.85 * 1.35 / 0.9 - 1)
    assert headroom([0.95], 0.0, 0.85) == 0.0
    assert headroom([0.0, float("nan")], 0.2, 0.85) == math.inf
    free = effort(1.0, PUBLIC, RULE)
    assert 0 < free < RULE.effort_cap
    assert effort(1.0, PUBLIC, RULE, free / 2) == free / 2  # the headroom binds
    assert effort(1.0, PUBLIC, RULE, 2 * free) == free  # it does not
    assert choose(1.0, PUBLIC, ANSWERS, RULE, SLOW, 0.0).effort == 0
    assert (
        choose(1.0, PUBLIC, ANSWERS, RULE, SLOW, 0.0).shares
        == choose(1.0, PUBLIC, ANSWERS, RULE, SLOW).shares
    )  # and leaves the gaming alone


def test_a_rush_gains_what_the_design_counts_of_lateness() -> None:
    """Under the public formula a case in service was answered when its visit began: rushing
    it gains the queued rush less the response weight. Where overdue orders fail, a late
    close fails on all three rates, queued or in service: both rushes gain the same."""
    g = gains(PUBLIC, ANSWERS, RULE, 0.8, SLOW)
    assert g["rush_service"] == pytest.approx(g["rush"] - PUBLIC.response)
    weights = {"response": 0.1, "resolution": 0.5, "satisfaction": 0.4}
    overdue = Design.of(weights, overdue=True)
    h = gains(overdue, ANSWERS, RULE, 0.8, SLOW)
    assert h["rush"] == h["rush_service"] > g["rush"]
    assert h["press"] == g["press"] and h["paper"] == g["paper"]
    # Lateness weighs under overdue orders even with no response weight: a rush pays.
    no_response = Design.of({"resolution": 0.5, "satisfaction": 0.4}, overdue=True)
    assert no_response.lateness and not Design.of({"resolution": 1.0}).lateness
    choice = choose(1.0, no_response, ANSWERS, RULE, SLOW)
    assert choice.shares[1] > 0 and choice.rush_service > 0
    assert choose(1.0, PUBLIC, ANSWERS, RULE, Slowness()).rush_service == 0  # prompt: no gain
    assert choose(0.0, overdue, ANSWERS, RULE, SLOW).rush_service == 0


def test_a_caught_unit_is_followed_up_for_its_months() -> None:
    from govsim.mechanisms.assessment import AssessmentMechanism

    mechanism = AssessmentMechanism.__new__(AssessmentMechanism)  # the seam alone, no run
    mechanism.audit_share, mechanism.follow_up = 0.1, (0.5, 2)
    mechanism.audit_shares, mechanism.follow_up_left = [0.1, 0.1], [0, 0]
    shares = []
    for caught in ({0}, set(), set(), {0, 1}, set()):
        mechanism.caught_units = caught
        shares.append([mechanism._follow_up(u) for u in (0, 1)])
    # Caught in a month: the next two months at the follow-up's share; caught again, anew.
    assert shares == [[0.5, 0.1], [0.5, 0.1], [0.1, 0.1], [0.5, 0.5], [0.5, 0.5]]
    assert mechanism.audit_shares == [0.5, 0.5]


# -- off is today's model; on, the books agree ---------------------------------------------------
def _run(overrides: list[str], seed: int = 3) -> govsim.RunResult:
    scenario = govsim.load_scenario(BASELINE, ["days=70", *overrides])
    return govsim.simulate(scenario, seed=seed)


RANKED = "policies=[{type: ranking, governance_count: 0}]"


@pytest.mark.slow
def test_off_is_todays_model_whatever_its_parameters() -> None:
    plain = _run([RANKED])
    off = _run([RANKED, "assessment={enabled: false, sensitivity: 5, rush_margin: 0.5}"])
    assert plain.summary["assessment"] is None and "assessment" not in plain.tables
    for name in ("cases", "kpis", "rankings"):
        pd.testing.assert_frame_equal(getattr(off, name), getattr(plain, name))


@pytest.mark.slow
def test_on_the_books_agree_with_the_ranking_and_the_cases() -> None:
    result = _run([RANKED, "assessment.enabled=true", "policies.0.audit.share=0.2"])
    table = result.tables["assessment"]
    cases = result.cases
    assert len(table) == 2 * (6 + len(result.scenario.departments))  # two months ranked
    assert (table["press"] > 0).any() and (table["caught_press"] > 0).any()
    # The ranking counted every case the unit closed but those it labelled.
    assert (table["measured_closed"] == table["closed"] - table["label"]).all()
    # Without pressing or labels the true answers are the measured ones.
    honest = table[(table["press"] == 0) & (table["label"] == 0) & (table["measured_valid"] > 0)]
    assert len(honest) > 0
    np.testing.assert_allclose(honest["satisfaction_true"], honest["satisfaction_measured"])
    np.testing.assert_allclose(honest["resolution_true"], honest["resolution_measured"])
    # Pressing raises the measured answers above the true ones, never below.
    pressed = table[table["press"] > 0]
    assert (pressed["satisfaction_measured"] >= pressed["satisfaction_true"]).all()
    # Every closed case of a unit is counted once: the table's closures are the cases'.
    work = cases[(cases["status"] == "closed") & (cases["final_tier"] != "hotline")]
    assert table["closed"].sum() <= len(work)
    assert (table["caught_press"] <= table["press"]).all()
    block = result.summary["assessment"]
    assert block["gaming_actions"]["press"] == int(table["press"].sum())
    assert block["goodhart"]["satisfaction"]["city"] > 0


@pytest.mark.slow
def test_a_caught_unit_is_followed_up_and_a_visit_past_its_limit_is_cut_short() -> None:
    """Audits at 20%: a unit caught in a month faces the follow-up's share (0.5) the next
    month, the others the base share. A unit that rushes in service cuts visits that would
    end past their limit: those cases close at 95% of the limit exactly, not fixed."""
    result = _run([RANKED, "assessment.enabled=true", "policies.0.audit.share=0.2", "days=100"])
    table = result.tables["assessment"]
    months = sorted(table["month"].unique())
    assert len(months) == 3
    caught = table[[f"caught_{o}" for o in ("paper", "rush", "press", "label", "dispute")]]
    table = table.assign(caught=caught.sum(axis=1) > 0)
    shares = table.pivot(index="unit", columns="month", values="audit_share")
    was = table.pivot(index="unit", columns="month", values="caught")
    assert was[months[1]].any()  # (nobody games before the first ranking)
    for before, after in zip(months, months[1:], strict=False):
        expected = np.where(was[before], 0.5, 0.2)
        np.testing.assert_array_equal(shares[after].to_numpy(), expected)
    assert (table["rush_service_share"] > 0).any()
    cases = result.cases
    limits = dict(enumerate(result.scenario.category_limits()))
    names = [c.name for c in result.scenario.categories]
    limit = cases["category"].map({n: limits[i] for i, n in enumerate(names)})
    ratio = (cases["closed"] - cases["created"]) / limit
    cut = cases[np.isclose(ratio, 0.95, rtol=0, atol=1e-9)]
    assert 0 < len(cut) <= table["rush"].sum()
    assert (cut["outcome"] != "fixed").all()


# -- ledgers under random scenarios, the behaviour on ---------------------------------------------
@st.composite
def assessed_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A random problems scenario (test_problems_properties.py) with a ranking policy and the
    behaviour on, its parameters at random, starting two days before a month ends so that the
    units choose within the run and the next month is ranked too (some runs overloaded)."""
    data = draw(problem_scenarios())
    data["start_date"] = "2024-02-28"  # February ends after two days, March in the run
    data["days"] = draw(st.floats(33.0, 36.0))
    # Enough appeals for the units to have something to game: a few hundred expected.
    city = data["city"]
    population = (
        city["synthetic"]["population"]
        if "synthetic" in city
        else sum(
            g["population"] for d in city["districts"] for s in d["streets"] for g in s["grids"]
        )
    )
    categories = data["categories"]
    categories[0]["rate"] = max(categories[0]["rate"], 1.0)
    expected = population * sum(c["rate"] for c in categories) / 1000 * data["days"]
    for c in categories:  # (a tiny city's rates stay within the schema's bound)
        factor = draw(st.integers(200, 600)) / expected if expected else 1.0
        c["rate"] = min(1000.0, c["rate"] * factor)
    data["problems"]["paper_closure"] = 0.0
    weights = draw(
        st.dictionaries(
            st.sampled_from(["response", "resolution", "satisfaction"]),
            st.floats(0.1, 1.0),
            min_size=1,
        )
    )
    ranking = {
        "type": "ranking",
        "weights": weights,
        "advanced_share": draw(st.floats(0, 0.5)),
        "rectification_share": draw(st.floats(0, 0.5)),
        "governance_count": draw(st.integers(0, 2)),
        "audit": {
            "share": draw(st.floats(0, 0.3)),
            "penalty_groups": draw(st.integers(0, 3)),
            "follow_up_share": draw(st.floats(0, 1)),
            "follow_up_months": draw(st.integers(0, 3)),
        },
    }
    # The designs of the assessment beside the behaviour: what counts, two-way ratings, the
    # period, fault tolerance and the bottom named (each at random; at most one design counts).
    design = draw(st.sampled_from(["closed only", "open_orders", "overdue", "on_hand"]))
    ranking |= {
        "open_orders": {"counted": design == "open_orders", "grace_days": draw(st.floats(0, 1))},
        "overdue": {"counted": design == "overdue", "each_month": draw(st.booleans())},
        "on_hand": {"counted": design == "on_hand"},
        "two_way": {
            "enabled": draw(st.booleans()),
            "whistle_weight": draw(st.floats(0, 0.5)),
            "grid_weight": draw(st.floats(0, 0.5)),
        },
        "period": "quarter" if design == "closed only" and draw(st.booleans()) else "month",
        "fault_tolerance": draw(st.integers(0, 3)),
        "scoring": {
            "points": draw(st.booleans()),
            "bottom_named": draw(st.none() | st.integers(1, 3)),
        },
    }
    data["policies"] = [p for p in data["policies"] if p["type"] != "ranking"] + [ranking]
    option = st.fixed_dictionaries(  # mostly gaming: the books are what is tested
        {"share_max": st.floats(0.2, 1), "cost": st.floats(0, 0.05), "detect": st.floats(0, 1)}
    )
    data["assessment"] = {
        "enabled": True,
        "sensitivity": draw(st.floats(0.5, 5)),
        "temperature": draw(st.floats(0.01, 0.2)),
        "effort": {
            "gain_max": draw(st.floats(0, 1)),
            "cost": draw(st.floats(0, 0.2)),
            "max_utilisation": draw(st.floats(0.3, 1.5)),
        },
        "paper": draw(option),
        "press": draw(option),
        "label": draw(option),
        "dispute": draw(option),
        "press_resolved": draw(st.floats(0.5, 1)),
        "press_shift": draw(st.floats(0, 5)),
        "rush_margin": draw(st.floats(0.05, 0.9)),
    }
    return data


@pytest.mark.slow
@settings(max_examples=20, deadline=None)
@given(scenario=assessed_scenarios().map(lambda d: validate(d, source="<hypothesis>")))
def test_ledgers_balance_with_the_behaviour_on(scenario: Scenario) -> None:
    result = collect(new_run(scenario).run())  # raises LedgerError if a case is lost
    check_problem_tables(result)
    table = result.tables.get("assessment")
    block = result.summary["assessment"]
    assert block is not None
    if table is None or table.empty:
        return
    assert (table["closed"] >= table["label"]).all()
    for option in ("paper", "rush", "press", "label", "dispute"):
        assert (table[f"caught_{option}"] <= table[option]).all()
        assert block["gaming_actions"][option] == table[option].sum()
    assert (table["fixed"] <= table["problem_closed"]).all()
    assert (table["problem_closed"] <= table["closed"]).all()
    assert table["effort"].between(0, 1).all()  # the schema's default cap
    audit = scenario.policies[-1].audit  # type: ignore[union-attr]
    shares = {audit.share, max(audit.share, audit.follow_up_share)}
    assert set(table["audit_share"]) <= shares  # the base share, or the follow-up's


@pytest.mark.slow
@pytest.mark.parametrize("plant", ["a case seen twice", "a label the ranking never saw"])
def test_the_books_check_fails_on_a_planted_error(plant: str) -> None:
    scenario = govsim.load_scenario(BASELINE, ["days=35", RANKED, "assessment.enabled=true"])
    run = new_run(scenario)
    mechanism = run.mechanism("assessment")
    assert mechanism is not None
    if plant == "a case seen twice":
        mechanism.seen = 1  # type: ignore[attr-defined]
    else:
        mechanism.labelled.add(-1)  # type: ignore[attr-defined]
    with pytest.raises(LedgerError, match="assessment"):
        run.run()


@pytest.mark.slow
def test_no_pressure_is_the_model_without_the_behaviour() -> None:
    """With sensitivity 0 nobody chooses anything: the same cases, from the same random
    numbers, as the run without the mechanism (the reduction the Goodhart comparisons use)."""
    plain = _run([RANKED], seed=5)
    zero = _run([RANKED, "assessment.enabled=true", "assessment.sensitivity=0"], seed=5)
    for name in ("cases", "kpis", "rankings", "timeseries"):
        pd.testing.assert_frame_equal(getattr(zero, name), getattr(plain, name))
    table = zero.tables["assessment"]
    assert (table[["paper", "rush", "press", "label"]].to_numpy() == 0).all()
    assert (table["effort"] == 0).all()


# -- Goodhart with numbers (experiments/assessment/goodhart.py) -----------------------------------
def _goodhart() -> Any:
    return load_script(GOODHART, "goodhart")


@pytest.mark.slow
def test_goodhart_pressure_games_the_measure_and_audits_buy_some_truth_back() -> None:
    """Issue 28's Goodhart targets on the 12-street city, 6 seeds, the schema's defaults
    (chosen before the runs), paired intervals over the seeds. What holds (docs/policies.md):
    the shamed units' reported resolution rises at least 3 points over no behaviour while
    their true fix rate, against the same behaviour with gaming off, falls at least 5; their
    true fix rate against no behaviour does not fall (their effort fixes more), so no single
    comparison meets both halves. 10% audits, a caught unit followed up (half its closures
    audited for three months), cut the resolution gap at least 2 points and the gaming
    actions by about half (measured: to 0.50 of them, 0.47 to 0.54), not surely by half.
    Strong audits without pressure: no gaming and no gap beyond the callback's own."""
    goodhart = _goodhart()
    # (every setting asserted below, on both cores; "paper_press" is the script's alone)
    settings = ["zero", "behaviour", "honest", "audit10", "calm_audited"]
    frame = goodhart.seed_rows(goodhart.runs(list(range(1, 7)), settings=settings, workers=2))
    s = goodhart.summarise(frame)

    def holds(name: str, at_least: float) -> None:  # the mean clears it, the CI excludes 0
        ci = s[name]
        if at_least > 0:
            assert ci["mean"] >= at_least and ci["ci_low"] > 0, (name, ci)
        else:
            assert ci["mean"] <= at_least and ci["ci_high"] < 0, (name, ci)

    holds("behaviour_shamed_reported_change", 0.03)
    holds("behaviour_vs_honest_true_fix", -0.05)
    holds("honest_shamed_true_fix_change", 0.03)  # honest effort fixes more
    holds("audit10_resolution_gap_cut", 0.02)
    holds("audit10_satisfaction_gap_cut", 0.002)
    ratio = s["audit10_gaming_ratio"]  # audits cut gaming by about half (measured) ...
    assert ratio["ci_low"] > 0.4 and ratio["ci_high"] < 0.6, ratio
    assert ratio["ci_high"] > 0.5  # ... not surely by half
    assert s["calm_audited_gaming_per_1000"] == 0
    assert s["calm_audited_satisfaction_gap_max"] == 0
    assert s["calm_audited_resolution_gap_minus_zero_max"] == 0


@pytest.mark.slow
def test_the_measured_against_true_figure_is_drawn_for_a_run_with_the_behaviour(
    tmp_path: Path,
) -> None:
    from govsim.plots.figures import figure_specs
    from govsim.plots.goodhart import plot_measured_vs_true
    from govsim.plots.inputs import inputs_for

    def names(result: govsim.RunResult, folder: str) -> list[str]:
        data = govsim.load(result.write(tmp_path / folder))
        return [spec.name for spec in figure_specs(inputs_for(data))]  # type: ignore[arg-type]

    on = _run([RANKED, "assessment.enabled=true"])
    assert "measured_vs_true" in names(on, "on")
    assert "measured_vs_true" not in names(_run([RANKED]), "off")
    table = on.tables["assessment"]
    ax = plot_measured_vs_true(table, "satisfaction")
    drawn = sum(len(c.get_offsets()) for c in ax.collections)
    assert drawn == (table["unit_type"] == "street").sum()


def test_a_caught_unit_drops_its_groups_and_the_governance_class_stays() -> None:
    from govsim.mechanisms.assessment import AssessmentMechanism

    mechanism = AssessmentMechanism.__new__(AssessmentMechanism)  # the seam alone, no run
    groups = {
        ("street", 0): "advanced",
        ("street", 1): "improving",
        ("street", 2): "ordinary",
        ("street", 3): "rectification",
        ("street", 4): "governance",
        ("department", 0): "advanced",
    }
    for drop, expected in (
        (1, ["ordinary", "ordinary", "rectification", "rectification", "governance"]),
        (2, ["rectification", "rectification", "rectification", "rectification", "governance"]),
        (0, ["advanced", "improving", "ordinary", "rectification", "governance"]),
    ):
        mechanism.drop = drop
        mechanism.caught = {("street", s) for s in range(5)} | {("department", 0)}
        month = dict(groups)
        mechanism.penalise(month, "street")
        assert [month[("street", s)] for s in range(5)] == expected
        assert month[("department", 0)] == "advanced"  # the other unit type: not yet
        assert mechanism.caught == {("department", 0)}


@pytest.mark.slow
def test_a_disputed_order_goes_to_its_department_and_leaves_the_street() -> None:
    """Disputes on (off by default): the street returns orders beyond its powers whose category
    has a department; each is handled and closed by the department, one return more."""
    overrides = [RANKED, "assessment.enabled=true", "assessment.dispute.share_max=1"]
    on = _run([*overrides, "assessment.paper.share_max=0", "assessment.label.share_max=0"])
    table, cases = on.tables["assessment"], on.cases
    disputed = int(table["dispute"].sum())
    assert disputed > 0
    assert (table.loc[table["unit_type"] == "department", "dispute"] == 0).all()
    # Each disputed order closed at its department with one return more than dispatch made.
    returned = cases[(cases["returns"] > 0) & (cases["final_tier"] == "department")]
    assert len(returned) >= disputed - (cases["status"] != "closed").sum()
    default = _run([RANKED, "assessment.enabled=true"]).tables["assessment"]
    assert (default["dispute"] == 0).all()  # off by default


@pytest.mark.parametrize(
    ("overrides", "key", "says"),
    [
        (["problems.enabled=false", RANKED], "assessment.enabled", "problems.enabled: true"),
        ([], "assessment.enabled", "add a ranking policy"),
        ([RANKED, "problems.paper_closure=0.2"], "problems.paper_closure", "paper_closure: 0"),
        (
            ["policies=[{type: ranking}, {type: ranking}]"],
            "policies.1.type",
            "keep one ranking policy",
        ),
    ],
)
def test_the_scenario_refuses_the_behaviour_without_what_it_needs(
    overrides: list[str], key: str, says: str
) -> None:
    with pytest.raises(UserInputError) as error:
        govsim.load_scenario(BASELINE, ["assessment.enabled=true", *overrides])
    assert f"key '{key}'" in str(error.value) and says in str(error.value)
