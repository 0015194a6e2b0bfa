"""Queueing-theory validation: govsim reduced to textbook queues must match closed forms.

Two reductions (see the comments in the scenario files):

- ``scenarios/validation/mmc.yaml``: the hotline as an M/M/c queue (lambda = 9/h,
  mu = 1/h, c = 10, no abandonment, every case closed by the operator);
- ``scenarios/validation/tiers.yaml``: grid -> street -> district as a feed-forward
  Jackson network (Poisson patrol arrivals, exponential handling, Bernoulli routing),
  so each tier is an independent M/M/c queue whose arrival rate follows from the
  traffic equations.

Method. Each test runs R independent replications (distinct fixed seeds, so the file
is deterministic), discards a warm-up (the runs start empty), and reduces every
replication to one number per quantity. Replication means are independent and close
to normal, so a t-interval over them is a valid confidence interval for the
steady-state value. Each test compares k quantities at once; to keep the chance of a
false alarm at 5% for the whole test (not 5% per quantity) the intervals are
simultaneous Bonferroni intervals: each at level 1 - 0.05 / k. Tolerances come only
from these intervals; nothing is tuned by hand.

How the waiting time in queue is measured:

- Little's law on the time series. ``Monitor`` samples, every
  ``output.timeseries_interval_hours`` (the default, 1 h), ``queued`` per tier: the
  cases waiting in the tier's server pools and not yet in service
  (``ServerPool.queued``; a case in service counts in ``in_service``). Fixed-time
  samples of a stationary process average to its time average, so the mean of
  ``queued`` after the warm-up estimates L_q, and W_q = L_q / lambda with lambda the
  tier's arrival rate from the traffic equations (the measured arrival rate is checked
  against that lambda separately). Sampling every 0.25 h instead gave the same spread
  of replication means (to 1%) at twice the cost: the queue is strongly correlated over
  an hour, so finer samples add no information.
- Per case at the hotline (M/M/c). ``first_response`` of a consultation is stamped when
  the operator *finishes* the talk (``Hotline.triage`` runs from the pool's ``done``
  callback), so it is the departure time, and the service start is not recorded.
  It can still be recovered exactly: with one category (one priority) the pool is
  first come first served and work-conserving (``ServerPool._wake`` pulls the next
  caller the moment a server frees), so caller n starts at
  max(created_n, n-th smallest of {0 x c} + {departures of callers 1..n-1}), the
  recursion of a FCFS c-server queue, computed with a heap of c server-free times.
  wait = start - created; the reconstructed talk times (departure - start) are checked
  against the mean talk time as a control on the reconstruction.
- Per case at the grid (Jackson network). ``VisitTime`` stamps ``first_response`` as the
  first handling service starts, and patrol cases are created at the grid, so the grid
  wait is ``first_response - created``.

Per-case waits use cases created after the warm-up and at least ``TAIL`` hours before
the horizon (all of them have started service by the end: this is asserted).
Replications run in up to two worker processes (the machine has two cores).
"""

from __future__ import annotations

import heapq
import math
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import govsim

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios" / "validation"
FAMILY_CONFIDENCE = 0.95


# -- theory ----------------------------------------------------------------------------------
def mmc_theory(lam: float, mu: float, c: int) -> dict[str, float]:
    """Steady state of M/M/c: utilisation, Erlang C, mean wait in queue, mean queue, mean in
    system."""
    a = lam / mu
    rho = a / c
    if rho >= 1:
        raise ValueError(f"unstable queue: rho = {rho}")
    erlang_b = 1.0
    for k in range(1, c + 1):  # stable recursion B(k) = a B(k-1) / (k + a B(k-1))
        erlang_b = a * erlang_b / (k + a * erlang_b)
    erlang_c = erlang_b / (1 - rho * (1 - erlang_b))
    wq = erlang_c / (c * mu - lam)
    return {"rho": rho, "C": erlang_c, "Wq": wq, "Lq": lam * wq, "L": lam * wq + a, "lambda": lam}


def test_erlang_c_matches_closed_forms() -> None:
    # M/M/1: P(wait) = rho, W_q = rho / (mu - lambda).
    mm1 = mmc_theory(0.8, 1.0, 1)
    assert mm1["C"] == pytest.approx(0.8) and mm1["Wq"] == pytest.approx(4.0)
    # M/M/2: C = a^2 / (2 + a), 1/3 for a = 1.
    assert mmc_theory(1.0, 1.0, 2)["C"] == pytest.approx(1 / 3)
    # Direct Erlang C formula for the hotline reduction.
    a, c = 9.0, 10
    top = a**c / math.factorial(c) * c / (c - a)
    direct = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    assert mmc_theory(9.0, 1.0, 10)["C"] == pytest.approx(direct)


# -- statistics and plumbing -------------------------------------------------------------------
def t_interval(values: Sequence[float], level: float) -> tuple[float, float, float]:
    """Mean and two-sided t confidence interval at ``level`` of independent replication values."""
    x = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return float(x.mean()), float(x.mean() - half), float(x.mean() + half)


def compare(replications: list[dict[str, float]], theory: dict[str, float]) -> list[str]:
    """Check every theoretical value lies in its simultaneous interval; return failures, print a
    table."""
    level = 1 - (1 - FAMILY_CONFIDENCE) / len(theory)
    failures = []
    print(
        f"\n{len(replications)} replications, simultaneous {FAMILY_CONFIDENCE:.0%} "
        f"(each interval {level:.4f}):"
    )
    for key, expected in theory.items():
        mean, low, high = t_interval([r[key] for r in replications], level)
        inside = low <= expected <= high
        print(
            f"  {key:<22} theory {expected:9.4f}  sim {mean:9.4f}  [{low:9.4f}, {high:9.4f}]"
            f"  {'ok' if inside else 'OUTSIDE'}"
        )
        if not inside:
            failures.append(
                f"{key}: theory {expected:.4f} outside [{low:.4f}, {high:.4f}] (mean {mean:.4f})"
            )
    return failures


def replicate(
    measure: Callable[[int], dict[str, float]], seeds: Sequence[int]
) -> list[dict[str, float]]:
    """Run ``measure(seed)`` for every seed, in two forked worker processes where possible."""
    workers = min(2, os.cpu_count() or 1)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [measure(seed) for seed in seeds]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(measure, seeds))


def tier_series(result: govsim.RunResult, tier: str, warmup: float) -> dict[str, np.ndarray]:
    ts = result.timeseries
    rows = ts[(ts["tier"] == tier) & (ts["time"] > warmup)]
    return {
        name: rows[name].to_numpy(dtype=float)
        for name in ("time", "queued", "in_service", "staff", "arrived")
    }


# -- M/M/c at the hotline ------------------------------------------------------------------------
MMC_LAMBDA, MMC_MU, MMC_C = 9.0, 1.0, 10
MMC_DAYS, MMC_WARMUP, MMC_TAIL = 200, 240.0, 48.0
MMC_SEEDS = range(1001, 1021)


def fcfs_service_starts(created: np.ndarray, departed: np.ndarray, servers: int) -> np.ndarray:
    """Service start of each customer (in arrival order) of a FCFS work-conserving c-server
    queue."""
    free = [0.0] * servers
    starts = np.empty_like(created)
    for i, (arrival, departure) in enumerate(zip(created.tolist(), departed.tolist(), strict=True)):
        start = max(arrival, heapq.heappop(free))
        starts[i] = start
        heapq.heappush(
            free, math.inf if math.isnan(departure) else departure
        )  # NaN: still in service
    return starts


def measure_mmc(seed: int) -> dict[str, float]:
    scenario = govsim.load_scenario(SCENARIOS / "mmc.yaml", [f"days={MMC_DAYS}"])
    result = govsim.simulate(scenario, seed=seed)
    horizon = MMC_DAYS * 24.0
    hotline = tier_series(result, "hotline", MMC_WARMUP)
    window = hotline["time"][-1] - MMC_WARMUP

    cases = result.cases.sort_values("case_id")
    assert (cases["channel"] == "hotline").all() and (cases["status"] != "abandoned").all()
    created = cases["created"].to_numpy(dtype=float)
    departed = cases["first_response"].to_numpy(dtype=float)
    starts = fcfs_service_starts(created, departed, MMC_C)
    inside = (created > MMC_WARMUP) & (created < horizon - MMC_TAIL)
    assert np.isfinite(departed[inside]).all(), (
        "a case in the measurement window was never answered"
    )
    return {
        "Wq (Little, h)": hotline["queued"].mean() / MMC_LAMBDA,
        "Wq (per case, h)": float((starts - created)[inside].mean()),
        "talk time (h)": float((departed - starts)[inside].mean()),
        "L (in system)": float((hotline["queued"] + hotline["in_service"]).mean()),
        "utilisation": float((hotline["in_service"] / hotline["staff"]).mean()),
        "arrival rate (/h)": hotline["arrived"].sum() / window,
    }


@pytest.mark.slow
def test_hotline_is_mmc() -> None:
    theory = mmc_theory(MMC_LAMBDA, MMC_MU, MMC_C)
    expected = {
        "Wq (Little, h)": theory["Wq"],
        "Wq (per case, h)": theory["Wq"],
        "talk time (h)": 1 / MMC_MU,
        "L (in system)": theory["L"],
        "utilisation": theory["rho"],
        "arrival rate (/h)": MMC_LAMBDA,
    }
    failures = compare(replicate(measure_mmc, MMC_SEEDS), expected)
    assert not failures, "M/M/c reduction disagrees with Erlang C:\n" + "\n".join(failures)


# -- Jackson network grid -> street -> district
# -----------------------------------------------------
TIERS_LAMBDA = 4.0  # patrol arrivals per hour (scenario: 96,000 residents x 1.0 per 1,000 a day)
CLOSABLE = {"grid": 0.5, "street": 0.3, "district": 0.2}
SERVERS = {"grid": 5, "street": 4, "district": 2}
MEAN_HANDLING = {"grid": 1.0, "street": 1.5, "district": 2.0}
TIERS_DAYS, TIERS_WARMUP, TIERS_TAIL = 300, 480.0, 48.0
TIERS_SEEDS = range(2001, 2021)


def traffic_equations(lam: float) -> dict[str, float]:
    """Arrival rate per tier: a case visits the street unless closable at the grid, and so on."""
    return {
        "grid": lam,
        "street": lam * (1 - CLOSABLE["grid"]),
        "district": lam * CLOSABLE["district"],
    }


def measure_tiers(seed: int) -> dict[str, float]:
    scenario = govsim.load_scenario(SCENARIOS / "tiers.yaml", [f"days={TIERS_DAYS}"])
    result = govsim.simulate(scenario, seed=seed)
    horizon = TIERS_DAYS * 24.0
    rates = traffic_equations(TIERS_LAMBDA)
    out: dict[str, float] = {}
    for tier, lam in rates.items():
        series = tier_series(result, tier, TIERS_WARMUP)
        window = series["time"][-1] - TIERS_WARMUP
        out[f"{tier} Wq (Little, h)"] = series["queued"].mean() / lam
        out[f"{tier} L (in system)"] = float((series["queued"] + series["in_service"]).mean())
        out[f"{tier} utilisation"] = float((series["in_service"] / series["staff"]).mean())
        out[f"{tier} arrival rate (/h)"] = series["arrived"].sum() / window

    cases = result.cases
    assert (cases["channel"] == "patrol").all()
    inside = (cases["created"] > TIERS_WARMUP) & (cases["created"] < horizon - TIERS_TAIL)
    waits = (cases["first_response"] - cases["created"])[inside]
    assert waits.notna().all(), (
        "a patrol case in the measurement window never reached a grid worker"
    )
    out["grid Wq (per case, h)"] = float(waits.mean())
    return out


@pytest.mark.slow
def test_tiers_are_jackson_network() -> None:
    expected: dict[str, float] = {}
    for tier, lam in traffic_equations(TIERS_LAMBDA).items():
        theory = mmc_theory(lam, 1 / MEAN_HANDLING[tier], SERVERS[tier])
        assert 0.6 <= theory["rho"] <= 0.85, (
            f"{tier}: scenario utilisation {theory['rho']:.2f} off design"
        )
        expected[f"{tier} Wq (Little, h)"] = theory["Wq"]
        expected[f"{tier} L (in system)"] = theory["L"]
        expected[f"{tier} utilisation"] = theory["rho"]
        expected[f"{tier} arrival rate (/h)"] = lam
        if tier == "grid":
            expected["grid Wq (per case, h)"] = theory["Wq"]
    failures = compare(replicate(measure_tiers, TIERS_SEEDS), expected)
    assert not failures, "Jackson network reduction disagrees with theory:\n" + "\n".join(failures)
