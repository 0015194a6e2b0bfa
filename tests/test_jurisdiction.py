"""Jurisdiction and coordination: unclear jurisdiction and the district's fallback, cases that
need several departments, whistles with one arrival deadline, branches, street powers, and
departments with time limits of their own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.stats as st
import yaml

import govsim
from govsim.core.errors import UserInputError
from govsim.experiments import run_experiment
from govsim.experiments.executors.local import LocalExecutor

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"

# A reduction where a whistled case's time from dispatch to closing is exactly its departments'
# handling: online appeals dispatched at once to the street, grid and street visits of zero
# time, every case beyond the street's powers and whistled, departments arriving at once with
# staff to spare, so nothing queues. Department d's visit is exponential with mean 1 / mu_d.
JOINT_REDUCTION = """
name: joint-reduction
seed: 3
days: 60
city: {synthetic: {districts: 1, streets: 1, grids: 1, population: 100000}}
staffing: {grid_workers: 50, street_staff: 50, district_staff: 50}
departments:
  - {name: a, staff: 400, handling: {kind: exponential, mean: 1.0}}
  - {name: b, staff: 400, handling: {kind: exponential, mean: 2.0}}
  - {name: c, staff: 400, handling: {kind: exponential, mean: 4.0}}
categories:
  - {name: three, rate: 0.6, consultation_share: 0, department: a, joint_departments: [b, c],
     closable_at: {grid: 0, street: 0, district: 1}}
  - {name: two, rate: 0.6, consultation_share: 0, department: b, joint_departments: [c],
     closable_at: {grid: 0, street: 0, district: 1}}
  - {name: one, rate: 0.6, consultation_share: 0, department: c,
     closable_at: {grid: 0, street: 0, district: 1}}
arrivals:
  intraday: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
  weekday: [1, 1, 1, 1, 1, 1, 1]
  channels: {hotline: 0, online: 1, patrol: 0}
hotline:
  dispatch_accuracy: 1.0
  dispatch_delay: {kind: deterministic, mean: 0}
  direct_to_street: true
handling:
  grid: {kind: deterministic, mean: 0}
  street: {kind: deterministic, mean: 0}
whistle: {enabled: true, probability: 1.0, precision: 1.0,
          arrival: {kind: deterministic, mean: 0}}
feedback: {repeat_probability: 0}
"""


def expected_max(rates: list[float]) -> float:
    """E[max] of independent exponentials by inclusion-exclusion: sum over non-empty subsets S
    of (-1)^(|S|+1) / sum(rates in S)."""
    from itertools import combinations

    return sum(
        (-1) ** (k + 1) / sum(subset)
        for k in range(1, len(rates) + 1)
        for subset in combinations(rates, k)
    )


def joint_reduction(tmp_path: Path, overrides: list[str] | None = None) -> govsim.RunResult:
    path = tmp_path / "joint.yaml"
    path.write_text(JOINT_REDUCTION)
    return govsim.simulate(govsim.load_scenario(path, overrides or []))


def test_a_case_needing_k_departments_closes_at_the_maximum_of_their_times(tmp_path: Path):
    cases = joint_reduction(tmp_path).cases
    closed = cases[cases["status"] == "closed"]
    assert (closed["final_tier"] == "street").all()  # every one whistled and closed at the street
    rates = {"a": 1.0, "b": 0.5, "c": 0.25}
    for category, needed in (("three", "abc"), ("two", "bc"), ("one", "c")):
        own = closed[closed["category"] == category]
        assert (own["joint_departments"] == (len(needed) if len(needed) > 1 else 0)).all()
        hours = (own["closed"] - own["dispatched"]).to_numpy()
        mu = [rates[d] for d in needed]
        # Mean within 4 standard errors of the closed form (n ~ 2,000 each, fixed seed).
        se = hours.std(ddof=1) / np.sqrt(len(hours))
        assert len(hours) > 1500
        assert abs(hours.mean() - expected_max(mu)) < 4 * se, (category, hours.mean())
        # The whole distribution: P(max <= t) = prod(1 - exp(-mu_i t)).
        ks = st.kstest(hours, lambda t, mu=mu: np.prod([1 - np.exp(-m * t) for m in mu], axis=0))
        assert ks.pvalue > 0.001, (category, ks)


def test_joint_parts_count_against_each_departments_capacity(tmp_path: Path):
    """Each summoned department serves one part per joint case: its pool's arrivals are the
    cases of the categories it is needed for."""
    from govsim.simulate import new_run

    path = tmp_path / "joint.yaml"
    path.write_text(JOINT_REDUCTION)
    scenario = govsim.load_scenario(path, ["days=10"])
    model = new_run(scenario)
    model.run()  # the ledger check inside raises if a case or a part was lost
    arrived = {p.name: p.arrived for p in model.handlers.departments}
    cases = govsim.simulate(scenario).cases  # the same run (same seed)
    needs = {"a": ["three"], "b": ["three", "two"], "c": ["three", "two", "one"]}
    summoned = cases[cases["whistles"] > 0]
    for department, categories in needs.items():
        assert arrived[department] == summoned["category"].isin(categories).sum()


def test_unclear_jurisdiction_takes_longer_and_closes_at_the_district_more_often():
    scenario = govsim.load_scenario(
        BASELINE,
        [
            "days=60",
            "categories.2.unclear_jurisdiction=0.5",  # housing
            "categories.4.unclear_jurisdiction=0.5",  # urban construction
        ],
    )
    cases = govsim.simulate(scenario).cases
    work = cases[
        (cases["status"] == "closed")
        & cases["dispatched"].notna()
        & cases["category"].isin(["housing", "urban_construction"])
    ]
    disputed, clear = work[work["disputes"] > 0], work[work["disputes"] == 0]
    assert len(disputed) > 500 and len(clear) > 500
    hours = {k: (v["closed"] - v["created"]).to_numpy() for k, v in (("d", disputed), ("c", clear))}
    diff = hours["d"].mean() - hours["c"].mean()
    se = np.sqrt(sum(h.var(ddof=1) / len(h) for h in hours.values()))
    assert diff > 4 * se, (diff, se)  # the dispute costs a day on average (assumed 24 h)
    at_district = [(v["final_tier"] == "district").mean() for v in (disputed, clear)]
    pooled = (at_district[0] * len(disputed) + at_district[1] * len(clear)) / len(work)
    z = (at_district[0] - at_district[1]) / np.sqrt(
        pooled * (1 - pooled) * (1 / len(disputed) + 1 / len(clear))
    )
    assert z > 4, at_district


def test_without_unclear_shares_nothing_is_disputed():
    scenario = govsim.load_scenario(
        BASELINE, ["days=10"] + [f"categories.{i}.unclear_jurisdiction=0" for i in range(10)]
    )
    assert (govsim.simulate(scenario).cases["disputes"] == 0).all()


def test_a_problems_jurisdiction_is_drawn_once_for_all_its_cases():
    scenario = govsim.load_scenario(BASELINE, ["days=40", "categories.4.unclear_jurisdiction=0.5"])
    cases = govsim.simulate(scenario).cases
    work = cases[
        (cases["category"] == "urban_construction")
        & cases["dispatched"].notna()
        & cases["problem_id"].notna()
        & (cases["channel"] != "patrol")  # a grid's own find is not disputed: the grid has it
    ]
    # Every work order of a problem that reached a unit is disputed, or none is. (Orders
    # merged before anyone took them up never reached one: their first response is the fix
    # that closed them. Count only orders a unit took up.)
    taken_up = work["first_response"].notna() & (work["first_response"] != work["closed"])
    reached = work[taken_up]
    per_problem = reached.groupby("problem_id")["disputes"].agg(lambda d: (d > 0).mean())
    assert len(per_problem) > 100
    assert set(per_problem.unique()) <= {0.0, 1.0}


@pytest.mark.slow
def test_thirty_minute_whistle_shortens_cross_department_time_to_close_in_the_comparison(
    tmp_path: Path,
):
    """The shipped policy comparison (its replications, days and warm-up; two of its variants):
    with 30-minute whistles, work orders beyond the street's powers in categories needing
    several departments close sooner than without whistles; the paired 95% interval lies below
    zero."""
    spec = yaml.safe_load((ROOT / "experiments" / "policy_comparison.yaml").read_text())
    spec.update(
        scenario=str(BASELINE),
        outcomes=["time_to_close_cross_department", "time_to_close_beyond_street"],
    )
    spec["variants"] = {k: spec["variants"][k] for k in ("baseline", "whistle_blowing")}
    exp = tmp_path / "comparison.yaml"
    exp.write_text(yaml.safe_dump(spec))
    result = run_experiment(exp, executor=LocalExecutor(2), out=tmp_path / "out", progress=False)
    paired = result.tables["paired"].set_index(["variant", "metric"])
    for metric in ("time_to_close_cross_department", "time_to_close_beyond_street"):
        row = paired.loc[("whistle_blowing", metric)]
        assert row["ci_high"] < 0, (metric, row.to_dict())


def test_late_departments_undo_what_the_whistle_gains():
    """Departments arriving a day late on average: cross-department cases wait longer than with
    30-minute arrivals (same seed, so the same appeals)."""
    base = ["days=60", "whistle.enabled=true", "whistle.probability=0.8"]
    prompt = govsim.simulate(govsim.load_scenario(BASELINE, base))
    late = govsim.simulate(
        govsim.load_scenario(BASELINE, [*base, "whistle.arrival={kind: gamma, mean: 24, cv: 1}"])
    )

    def cross(result: govsim.RunResult) -> np.ndarray:
        c = result.cases
        picked = (
            (c["status"] == "closed")
            & (c["needed_tier"] == "district")
            & c["category"].isin(["urban_construction", "traffic"])
        )
        return (c["closed"] - c["created"])[picked].to_numpy()

    a, b = cross(prompt), cross(late)
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    assert b.mean() - a.mean() > 4 * se, (a.mean(), b.mean())


# -- arrival, branches, street powers: exact in a deterministic reduction ------------------------
DETERMINISTIC = [
    "whistle.arrival={kind: deterministic, mean: 2}",
    *(f"departments.{d}.handling={{kind: deterministic, mean: 1}}" for d in range(3)),
    "categories.0.joint_departments=[]",
    "categories.1.joint_departments=[]",
    "days=20",
]


def deterministic_hours(tmp_path: Path, extra: list[str]) -> np.ndarray:
    cases = joint_reduction(tmp_path, DETERMINISTIC + extra).cases
    closed = cases[cases["status"] == "closed"]
    return (closed["closed"] - closed["dispatched"]).to_numpy()


def test_whistle_time_is_arrival_plus_handling(tmp_path: Path):
    hours = deterministic_hours(tmp_path, [])
    assert len(hours) > 500
    np.testing.assert_allclose(hours, 3.0)


def test_street_powers_scale_departments_arrival_time(tmp_path: Path):
    hours = deterministic_hours(
        tmp_path, ["policies=[{type: street_powers, assessment_effect: 0.5, veto: true}]"]
    )
    np.testing.assert_allclose(hours, 2 * 0.5 * 0.9 + 1)


def test_street_powers_from_their_start_day(tmp_path: Path):
    cases = joint_reduction(
        tmp_path, [*DETERMINISTIC, "policies=[{type: street_powers, start_day: 10}]"]
    ).cases
    closed = cases[cases["status"] == "closed"]
    hours = closed["closed"] - closed["dispatched"]
    before = closed["dispatched"] < 10 * 24 - 2  # whistled (at dispatch) before day 10
    after = closed["dispatched"] >= 10 * 24
    np.testing.assert_allclose(hours[before], 3.0)
    np.testing.assert_allclose(hours[after], 2 * 0.8 + 1)


def test_a_branch_answers_sooner_than_the_city_wide_pool(tmp_path: Path):
    branch = "whistle.branches={staff_share: 0.5, arrival: {kind: deterministic, mean: 0.25}}"
    hours = deterministic_hours(tmp_path, [branch])
    np.testing.assert_allclose(hours, 1.25)


def test_a_street_branch_answers_its_own_street_sooner(tmp_path: Path):
    branch = (
        "whistle.branches={staff_share: 0.5, level: street, "
        "arrival: {kind: deterministic, mean: 0.25}}"
    )
    streets = ["city.synthetic.streets=3", "city.synthetic.grids=3"]
    result = joint_reduction(tmp_path, [*DETERMINISTIC, *streets, branch])
    cases = result.cases
    closed = cases[cases["status"] == "closed"]
    assert closed["street"].nunique() == 3
    np.testing.assert_allclose(closed["closed"] - closed["dispatched"], 1.25)


@pytest.mark.parametrize("level", ["district", "street"])
def test_branches_keep_the_departments_head_count(tmp_path: Path, level: str):
    from govsim.simulate import new_run

    branches = f"whistle.branches={{staff_share: 0.5, level: {level}}}"
    scenario = govsim.load_scenario(BASELINE, ["days=5", "whistle.enabled=true", branches])
    model = new_run(scenario)
    pools = model.handlers.tier_pools()["department"]
    assert sum(p.capacity for p in pools) == sum(d.staff for d in scenario.departments)
    assert len(pools) > len(scenario.departments)  # branches exist
    units = {p.name.split("@")[1] for p in pools if "@" in p.name}
    names = model.layout.streets if level == "street" else model.layout.districts
    assert units <= {u.name for u in names}
    model.run()  # the ledger check inside raises if a case was lost


def test_street_branches_staff_the_most_populous_streets_first():
    """A department too small for a branch in every street staffs the largest streets: its
    moved staff split over the streets by residents, largest remainders."""
    from types import SimpleNamespace

    from govsim.engine.agents.handlers import branch_staffing, largest_remainders
    from govsim.simulate import new_run

    assert largest_remainders(7, np.array([0.5, 0.3, 0.2])) == [4, 2, 1]
    assert largest_remainders(1, np.array([0.2, 0.5, 0.3])) == [0, 1, 0]
    assert largest_remainders(2, np.array([0.5, 0.25, 0.25])) == [1, 1, 0]  # ties: the first
    scenario = govsim.load_scenario(
        BASELINE, ["whistle.enabled=true", "whistle.branches={staff_share: 0.5, level: street}"]
    )
    model = new_run(scenario)
    layout = model.layout
    residents = np.bincount(layout.grid_street(), weights=layout.grid_population())
    for d, staff in zip(scenario.departments, branch_staffing(scenario, layout), strict=True):
        moved = round(d.staff * 0.5)
        assert sum(staff) == moved and len(staff) == len(layout.streets)
        quota = moved * residents / residents.sum()
        assert all(np.floor(q) <= s <= np.ceil(q) for q, s in zip(quota, staff, strict=True))
    # A whistle from a street goes to that street's branch, or to the pool if it has none.
    desk = model.handlers.whistle
    for department, row in enumerate(model.handlers.branches):
        for street, branch in enumerate(row):
            case = SimpleNamespace(street=street, district=int(layout.street_district()[street]))
            expected = branch if branch is not None else model.handlers.departments[department]
            assert desk.pool_for(department, case) is expected  # type: ignore[arg-type]


def test_imprecise_joint_whistles_summon_again_until_each_part_is_done(tmp_path: Path):
    cases = joint_reduction(tmp_path, ["days=20", "whistle.precision=0.5"]).cases
    closed = cases[(cases["status"] == "closed") & (cases["category"] == "three")]
    # Three parts, each summoned until the right department comes: on average 3 x 2 whistles
    # counted as 1 + the wrong ones (a geometric number per part).
    assert (closed["whistles"] >= 1).all()
    assert closed["whistles"].mean() > 2.5


# -- departments' own limits and the schema ---------------------------------------------------
def test_a_utility_s_time_limit_replaces_its_categories_urgency_limit():
    scenario = govsim.load_scenario(BASELINE, ["departments.1.limit_hours=12"])
    by_name = {c.name: scenario.limit_hours_of(c) for c in scenario.categories}
    assert by_name["market_regulation"] == 12  # owned by market_regulation (departments.1)
    assert by_name["housing"] == 168  # its urgency class's
    assert by_name["public_services"] == 24  # water: a utility, 24 h


def test_a_shorter_department_limit_lowers_the_response_rate():
    base = govsim.simulate(govsim.load_scenario(BASELINE, ["days=30"]))
    strict = govsim.simulate(
        govsim.load_scenario(BASELINE, ["days=30", "departments.1.limit_hours=0.5"])
    )
    rate = {k: r.statistics.rates()["response"] for k, r in (("base", base), ("strict", strict))}
    assert rate["strict"] < rate["base"] - 0.01, rate


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("categories.0.joint_departments=[nowhere]", "categories.0.joint_departments.0"),
        ("categories.0.joint_departments=[market_regulation]", "categories.0.joint_departments.0"),
        ("categories.9.joint_departments=[housing]", "categories.9.joint_departments"),
        ("whistle.branches={departments: [nowhere]}", "whistle.branches.departments"),
        ("policies=[{type: street_powers, departments: [nowhere]}]", "policies.0.departments"),
    ],
)
def test_bad_coordination_input_is_refused_with_its_key(override: str, key: str):
    with pytest.raises(UserInputError) as error:
        govsim.load_scenario(BASELINE, [override])
    assert key in str(error.value)
