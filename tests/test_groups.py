"""Groups of residents (govsim/mechanisms/groups/): reductions, and the mechanism does what it says.

Statistical checks use fixed seeds; counts are compared with Poisson and binomial intervals.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE
from scipy import stats

import govsim
from govsim.core.errors import LedgerError
from govsim.network.city import build_city
from govsim.simulate import new_run

NO_RECURRENCE = ["feedback.repeat_probability=0", "hotline.redial_probability=0"]
ELDERLY_FLOATING = (
    "[{name: aged_60_plus, share: 0.196}, {name: floating, share: 0.426}]"  # seeds 004, 001
)
ONE_CATEGORY = [
    "categories=[{name: leak, rate: 0.6, consultation_share: 0, department: null, "
    "closable_at: {grid: 1}}]"
]


def run(overrides: list[str], seed: int = 5, path=BASELINE) -> govsim.RunResult:
    return govsim.simulate(govsim.load_scenario(path, overrides), seed=seed)


def groups(spec: str, enabled: bool = True) -> str:
    return f"residents={{enabled: {str(enabled).lower()}, groups: {spec}}}"


def expected_groups(cases: pd.DataFrame, scenario: govsim.Scenario) -> np.ndarray:
    """Each case's group from its resident id, worked out here one grid at a time: group j
    holds the residents of index i in its grid with cum_j <= i / population < cum_{j+1}."""
    shares = [g.share for g in scenario.residents.all_groups()]
    cum = np.cumsum(shares) / sum(shares)
    population = build_city(scenario).grid_population()
    offset = np.concatenate([[0], np.cumsum(population)[:-1]])
    grid = cases["grid"].cat.codes.to_numpy()
    index = cases["resident_id"].to_numpy() - offset[grid]
    out = np.empty(len(cases), dtype=np.int64)
    for i, (g, k) in enumerate(zip(grid, index, strict=True)):
        out[i] = next(
            j for j, c in enumerate(cum) if k < math.ceil(c * population[g]) or j == len(cum) - 1
        )
    return out


# -- reductions -------------------------------------------------------------------------
@pytest.mark.slow
def test_groups_listed_but_switched_off_change_nothing() -> None:
    plain = run(["days=7"])
    off = run(["days=7", groups(ELDERLY_FLOATING.replace("}]", ", reporting: 0.5}]"), False)])
    assert off.summary["groups"] is None and "group" not in off.cases
    pd.testing.assert_frame_equal(plain.cases, off.cases)
    pd.testing.assert_frame_equal(plain.problems, off.problems)


@pytest.mark.slow
@pytest.mark.parametrize("problems", [True, False], ids=["problems", "no_problems"])
@pytest.mark.parametrize(
    "spec", ["[{name: everyone, share: 1}]", ELDERLY_FLOATING], ids=["one", "three"]
)
def test_groups_with_every_factor_one_are_the_plain_run(spec: str, problems: bool) -> None:
    """One group (or several, every factor 1): the same cases, from the same random numbers,
    as the run without groups; only the group column is new."""
    common = ["days=7", f"problems.enabled={str(problems).lower()}"]
    plain = run(common)
    on = run([*common, groups(spec)])
    assert on.cases is not None and "group" in on.cases
    pd.testing.assert_frame_equal(plain.cases, on.cases.drop(columns="group"))
    if problems:
        pd.testing.assert_frame_equal(plain.problems, on.problems)
    assert {k: v for k, v in on.summary.items() if k not in ("groups", "performance")} == {
        k: v for k, v in plain.summary.items() if k not in ("groups", "performance")
    }


# -- reporting ------------------------------------------------------------------------------
POISSON_SEEDS = range(1, 11)


@pytest.mark.slow
def test_a_group_reporting_half_as_often_brings_poisson_appeals_at_half_the_rate() -> None:
    """A problem nobody fixes, whose residents never give up: a household of a group with
    reporting factor 0.5 appeals Poisson(0.5 x rate x exposure) times after its first
    report (exposure: the 14 days after its arising, two whole weeks of calling hours);
    the other group's at the full rate. Ten seeds pooled (some 4,300 problems a group):
    the mean's z within 2, variance over mean within 2 SE of 1, the histogram's
    chi-square p above 0.01."""
    rate, window, days = 1.5, 14.0, 44
    counts: dict[str, list[np.ndarray]] = {"reluctant": [], "others": []}
    for seed in POISSON_SEEDS:
        for name, k in appeals_in_window(rate, window, days, seed).items():
            counts[name].append(k)
    for name, factor in (("reluctant", 0.5), ("others", 1.0)):
        k = np.concatenate(counts[name])
        n, mu = len(k), factor * rate * window
        assert n > 3000, f"{name}: {n} problems"
        z = (k.mean() - mu) / math.sqrt(mu / n)
        assert abs(z) < 2, f"{name}: mean {k.mean():.3f} against Poisson mean {mu} (z {z:.2f})"
        ratio = k.var(ddof=1) / mu
        se = math.sqrt(1 / (n * mu) + 2 / (n - 1))  # of s^2 / mu under Poisson(mu)
        assert abs(ratio - 1) < 2 * se, f"{name}: variance/mean {ratio:.3f} (SE {se:.3f})"
        p = histogram_p(k, mu)
        assert p > 0.01, f"{name}: chi-square p {p:.4f}"


def appeals_in_window(rate: float, window: float, days: int, seed: int) -> dict[str, np.ndarray]:
    """Per group, the appeals after the first of each problem that arose ``window`` days or
    more before the end, in the ``window`` days after it arose."""
    result = run(
        [
            f"days={days}", "problems.enabled=true", "hotline.patience=null", *NO_RECURRENCE,
            "problems.first_report_delay={kind: deterministic, mean: 0}",
            f"problems.scopes={{household: {{residents: 1, reporting_rate: {rate}}}}}",
            "problems.fix_probability={grid: 0, street: 0, district: 0, department: 0}",
            "problems.keep_reporting=1", *ONE_CATEGORY,
            groups("[{name: reluctant, share: 0.5, reporting: 0.5}]"),
        ],
        seed=seed,
    )  # fmt: skip
    problems, cases = result.problems, result.cases
    assert problems is not None and cases is not None
    linked = cases.dropna(subset=["problem_id"])
    first = linked.sort_values("case_id").drop_duplicates("problem_id")
    group_of = first.set_index("problem_id")["group"].astype(str)
    early = problems[problems["arose"] < (days - window) * 24]
    group = group_of.reindex(early["problem_id"]).to_numpy()
    merged = linked.merge(early[["problem_id", "arose"]], on="problem_id")
    later = merged[(merged["created"] > merged["arose"]) &
                   (merged["created"] <= merged["arose"] + window * 24)]  # fmt: skip
    per_problem = later.groupby("problem_id").size()
    return {
        name: per_problem.reindex(early["problem_id"][group == name], fill_value=0).to_numpy()
        for name in ("reluctant", "others")
    }


def histogram_p(k: np.ndarray, mu: float) -> float:
    """Chi-square p of the counts ``k`` against Poisson(``mu``), tail bins merged to an
    expected count of at least 5."""
    n = len(k)
    top = int(stats.poisson.ppf(1 - 1e-9, mu)) + 1
    expected = n * stats.poisson.pmf(np.arange(top), mu)
    expected[-1] += n * stats.poisson.sf(top - 1, mu)
    observed = np.bincount(np.minimum(k, top - 1), minlength=top).astype(float)
    edges = [0]
    while edges[-1] < top:  # bins of consecutive counts, each expecting at least 5
        end, filled = edges[-1], 0.0
        while end < top and filled < 5:
            filled += expected[end]
            end += 1
        edges.append(end)
    if expected[edges[-2] : edges[-1]].sum() < 5 and len(edges) > 2:
        edges.pop(-2)  # the short last bin joins the one before
    obs = np.add.reduceat(observed, edges[:-1])
    exp = np.add.reduceat(expected, edges[:-1])
    return float(stats.chisquare(obs, exp).pvalue)


@pytest.mark.slow
def test_the_first_report_comes_after_the_groups_delay() -> None:
    """Deterministic 10-hour first-report delay on the clock: a group with factor 3 reports
    its problems 30 hours after they arose, the others after 10."""
    result = run(
        [
            "days=10", "problems.enabled=true", "problems.report_clock=clock_hours",
            "problems.first_report_delay={kind: deterministic, mean: 10}",
            "arrivals.channels={hotline: 0.5, online: 0.5, patrol: 0}", *ONE_CATEGORY,
            groups("[{name: late, share: 0.3, first_report_delay: 3}]"),
        ],
    )  # fmt: skip
    cases, problems = result.cases, result.problems
    assert cases is not None and problems is not None
    first = cases.dropna(subset=["problem_id"]).sort_values("case_id").drop_duplicates("problem_id")
    delay = (
        first["created"].to_numpy()
        - problems.set_index("problem_id").loc[first["problem_id"].astype(int), "arose"].to_numpy()
    )
    late = (first["group"] == "late").to_numpy()
    assert late.sum() > 50 and (~late).sum() > 50
    np.testing.assert_allclose(delay[late], 30.0, atol=1e-6)
    np.testing.assert_allclose(delay[~late], 10.0, atol=1e-6)


# -- where appeals come from, and the group column -----------------------------------------------
SHARES_RUN = [
    "days=28", "problems.enabled=false", *NO_RECURRENCE, *ONE_CATEGORY,
    "categories.0.rate=2.0",
    groups("[{name: aged_60_plus, share: 0.196, rates: {leak: 2.0}, callback_reach: 0},"
           " {name: floating, share: 0.426, reporting: 0.5, satisfaction_shift: 20}]"),
]  # fmt: skip


@pytest.fixture(scope="module")
def shares_run() -> govsim.RunResult:
    return run(SHARES_RUN, seed=3)


@pytest.mark.slow
def test_cases_come_from_each_group_by_share_times_its_factors(shares_run) -> None:
    """Problems off: group j's share of the appeals is share_j x rate_j x reporting_j over
    the sum (binomial 99% intervals), and the city's volume is the sum times the plain one
    (Poisson)."""
    cases = shares_run.cases
    assert cases is not None
    weights = {"aged_60_plus": 0.196 * 2.0, "floating": 0.426 * 0.5, "others": 0.378}
    total = sum(weights.values())
    n = len(cases)
    counts = cases["group"].astype(str).value_counts()
    for name, w in weights.items():
        low, high = stats.binom.ppf([0.005, 0.995], n, w / total)
        assert low <= counts[name] <= high, f"{name}: {counts[name]} of {n}, p {w / total:.4f}"
    scenario = govsim.load_scenario(BASELINE, SHARES_RUN)
    population = build_city(scenario).grid_population().sum()
    mu = population * 2.0 / 1000 * 28 * total
    assert abs(n - mu) < 2.576 * math.sqrt(mu), f"{n} appeals, expected {mu:.0f}"


@pytest.mark.slow
def test_the_group_column_agrees_with_the_resident_ids(shares_run) -> None:
    cases = shares_run.cases
    assert cases is not None and isinstance(cases["group"].dtype, pd.CategoricalDtype)
    assert list(cases["group"].cat.categories) == ["aged_60_plus", "floating", "others"]
    scenario = govsim.load_scenario(BASELINE, SHARES_RUN)
    np.testing.assert_array_equal(cases["group"].cat.codes, expected_groups(cases, scenario))


@pytest.mark.slow
def test_callbacks_reach_and_rate_by_group(shares_run) -> None:
    """A group never reached has no valid callback; one whose satisfaction is shifted by 20
    log-odds is satisfied at every valid callback; the others are neither."""
    cases = shares_run.cases
    assert cases is not None
    group = cases["group"].astype(str)
    asked = cases["satisfied"].notna()
    assert not asked[group == "aged_60_plus"].any()
    floating = cases.loc[asked & (group == "floating"), "satisfaction"].astype(str)
    assert len(floating) > 100 and (floating == "satisfied").all()
    others = cases.loc[asked & (group == "others"), "satisfaction"].astype(str)
    assert (others != "satisfied").any()


@pytest.mark.slow
def test_the_summary_block_is_the_cases_table_by_group(shares_run) -> None:
    cases, block = shares_run.cases, shares_run.summary["groups"]
    assert cases is not None and block is not None
    group = cases["group"].astype(str)
    status = cases["status"].astype(str)
    means = {}
    for name, figures in block["by_group"].items():
        mine = cases[group == name]
        closed = mine[status[group == name] == "closed"]
        assert figures["cases"] == len(mine)
        assert figures["closed"] == len(closed)
        assert figures["abandoned"] == int((mine["status"] == "abandoned").sum())
        assert figures["open_at_end"] == int((mine["status"] == "open").sum())
        hours = closed["closed"] - closed["created"]
        assert figures["time_to_close_hours"]["mean"] == pytest.approx(hours.mean(), abs=1e-5)
        assert figures["time_to_close_hours"]["p90"] == pytest.approx(hours.quantile(0.9), abs=1e-5)
        assert figures["callbacks"] == int(mine["satisfied"].notna().sum())
        means[name] = hours.mean()
    assert block["time_to_close_worst_group"] == max(means, key=means.get)
    ratio = max(means.values()) / min(means.values())
    assert block["time_to_close_worst_over_best"] == pytest.approx(ratio, rel=1e-5)


def test_the_groups_book_catches_a_case_it_did_not_count() -> None:
    scenario = govsim.load_scenario(BASELINE, ["days=2", groups(ELDERLY_FLOATING)])
    model = new_run(scenario)
    closing = model.flow.closing  # the groups' alone (problems judge, they do not listen)
    assert closing is not None
    skipped: list[object] = []

    def skip_first(case, tier):  # plant an error: one closed case not counted
        if skipped:
            closing(case, tier)
        else:
            skipped.append(case)

    model.flow.closing = skip_first
    with pytest.raises(LedgerError, match="groups: .* closed"):
        model.run()


@pytest.mark.slow
def test_the_outcomes_are_the_cases_after_warm_up(shares_run) -> None:
    """The experiment outcomes: the worst and best group's mean hours to close of cases
    created after warm-up, and their ratio; NaN in a run without groups."""
    from govsim.experiments.outcomes import OUTCOMES

    cases = shares_run.cases
    assert cases is not None
    warmup = 7 * 24.0
    closed = cases[(cases["status"] == "closed") & (cases["created"] >= warmup)]
    means = (closed["closed"] - closed["created"]).groupby(closed["group"], observed=True).mean()
    worst = OUTCOMES["group_time_to_close_worst_hours"](shares_run, warmup)
    best = OUTCOMES["group_time_to_close_best_hours"](shares_run, warmup)
    ratio = OUTCOMES["group_time_to_close_worst_over_best"](shares_run, warmup)
    assert worst == pytest.approx(means.max()) and best == pytest.approx(means.min())
    assert ratio == pytest.approx(means.max() / means.min())
    plain = run(["days=2", "problems.enabled=false"])
    assert math.isnan(OUTCOMES["group_time_to_close_worst_over_best"](plain, 0.0))
