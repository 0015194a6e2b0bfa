"""govsim against the leanest idiomatic SimPy model of the same M/M/c queue.

(a) govsim: ``scenarios/validation/mmc.yaml`` (lambda = 9/h, mu = 1/h, c = 10 operators,
    no abandonment, every case answered and closed by the operator), run for
    ``DAYS`` = 926 days so that about 200,000 cases arrive (9 x 24 x 926 = 200,016
    expected). Timed: ``govsim.simulate()``, i.e. building the model, the event loop, the
    end-of-run ledger check and building the output tables. Per-case output stays ON
    (``output.cases_table``: a row per case, then the cases DataFrame): the SimPy model
    records a wait per customer, so switching it off would make govsim do less than its
    competitor. The time series is sampled hourly (the schema default, pinned here).
    govsim therefore also does work the lean model does not (time series, callbacks,
    KPI tables, summary): the comparison is conservative.
    The event loop alone (``summary.performance.wall_seconds``) is reported as well.
(b) SimPy: one arrival process putting customers (their arrival times) into a
    ``simpy.Store`` and c = 10 server processes taking them out, exponential times drawn
    in numpy blocks, one wait recorded per customer; exactly 200,000 customers.

Each model runs ``--repeats`` times (fresh process each, alternating), and the medians
are reported: cases per wall second and peak memory. The ratio govsim / SimPy that
counts (required >= 0.5 by the core issue, >= 0.77 by the Beijing-scale issue: a tier
visit at most 1.3x the lean model's cost) is the median of the paired ratios, each
govsim run over the SimPy run a few seconds after it: the development machine's speed
drifts by +-20% over minutes, and pairing cancels most of that drift. For information only
(not like-for-like, so not the ratio that counts):
govsim with ``output.cases_table=false`` (no per-case rows at all) and govsim's event
loop alone. The scenario runs problems in their exact reduction (one appeal per problem, a
sure fix); ``govsim-noproblems`` is the same run with ``problems.enabled=false``, whose
paired ratio to SimPy shows what problems cost when off.
Usage: ``python benchmarks/bench_mmc.py [--repeats 7]``.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import _harness as h
import numpy as np
import simpy

HERE = Path(__file__).resolve()
SCENARIO = HERE.parents[1] / "scenarios" / "validation" / "mmc.yaml"
LAMBDA, MU, SERVERS = 9.0, 1.0, 10
CUSTOMERS = 200_000
DAYS = round(CUSTOMERS / (LAMBDA * 24))  # 926 days: 200,016 arrivals expected
BLOCK = 4096
SEED = 20240101
REQUIRED_RATIOS = {"core issue": 0.5, "Beijing-scale issue": 0.77}


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    a, b = lam / mu, 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b / (1 - a / c * (1 - b)) / (c * mu - lam)


# -- (a) govsim ----------------------------------------------------------------------------------
def run_govsim(trace: bool, cases_table: bool = True, problems: bool = True) -> dict:
    import govsim

    overrides = [
        f"days={DAYS}",
        "output.timeseries_interval_hours=1.0",
        f"output.cases_table={cases_table}",
        *([] if problems else ["problems.enabled=false"]),
    ]
    scenario = govsim.load_scenario(SCENARIO, overrides)
    simulate = govsim.simulate  # imported now: the package loads its modules on first use,
    # a one-time start-up cost that the lean model's imports are not timed for either

    def run() -> dict:
        result = simulate(scenario, seed=SEED)
        return {"cases": result.summary["created"], "result": result}

    figures = h.measure(run, trace)
    result = figures.pop("result")
    figures["event_loop_seconds"] = result.summary["performance"]["wall_seconds"]
    if cases_table:  # theory: W_q + 1/mu
        figures["check_mean_sojourn_h"] = result.summary["time_to_close_hours"]["mean"]
    return figures


# -- (b) lean SimPy ------------------------------------------------------------------------------
def simpy_mmc(n: int, lam: float, mu: float, c: int, seed: int) -> list[float]:
    """M/M/c with a Store and c server processes; returns each customer's wait in queue."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    queue = simpy.Store(env)
    waits: list[float] = []

    def numbers(draw):  # floats from numpy blocks, one at a time
        while True:
            yield from draw(BLOCK).tolist()

    interarrival = numbers(lambda k: rng.exponential(1 / lam, k))
    service = numbers(lambda k: rng.exponential(1 / mu, k))

    def arrivals():
        for _ in range(n):
            yield env.timeout(next(interarrival))
            queue.put(env.now)

    def server():
        while True:
            arrived = yield queue.get()
            waits.append(env.now - arrived)
            yield env.timeout(next(service))

    env.process(arrivals())
    for _ in range(c):
        env.process(server())
    env.run()  # ends when the last customer is served and the servers wait forever
    return waits


def run_simpy(trace: bool) -> dict:
    def run() -> dict:
        waits = simpy_mmc(CUSTOMERS, LAMBDA, MU, SERVERS, SEED)
        return {"cases": len(waits), "waits": waits}

    figures = h.measure(run, trace)
    waits = figures.pop("waits")
    figures["check_mean_wait_h"] = sum(waits[2000:]) / len(waits[2000:])  # theory: Erlang C W_q
    return figures


# -- driver --------------------------------------------------------------------------------------
MODELS = {
    "govsim": lambda trace: run_govsim(trace),
    "govsim-nocases": lambda trace: run_govsim(trace, cases_table=False),
    "govsim-noproblems": lambda trace: run_govsim(trace, problems=False),
    "simpy": run_simpy,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=int, default=7, help="timed runs per model (median reported)"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        h.emit(MODELS[args.child[0]]("trace" in args.child[1:]))
        return

    runs: dict[str, list[dict]] = {model: [] for model in MODELS}
    for i in range(args.repeats):
        for model, done in runs.items():  # alternate, so a change in machine load hits all alike
            r = h.child(str(HERE), model)
            done.append(r)
            print(
                f"  run {i + 1} {model:<15} {r['cases']:>7} cases {r['wall_seconds']:6.2f} s "
                f"{r['cases'] / r['wall_seconds']:9.0f} cases/s  "
                f"peak RSS {r['rss_peak_mb']:6.1f} MB",
                flush=True,
            )
    traced = {model: h.child(str(HERE), model, "trace") for model in ("govsim", "simpy")}

    wq = erlang_c_wait(LAMBDA, MU, SERVERS)
    rates = {
        m: h.median([{"x": r["cases"] / r["wall_seconds"]} for r in rs], "x")
        for m, rs in runs.items()
    }
    print(
        f"\nM/M/{SERVERS}, lambda {LAMBDA:g}/h, mu {MU:g}/h; "
        f"medians of {args.repeats} runs, fresh process each"
    )
    for model, rs in runs.items():
        traced_peak = (
            f"{traced[model]['tracemalloc_peak_mb']:6.1f} MB" if model in traced else "   n/a"
        )
        print(
            f"{model:<15} {rates[model]:9.0f} cases/s  wall {h.median(rs, 'wall_seconds'):6.2f} s  "
            f"peak RSS {h.median(rs, 'rss_peak_mb'):6.1f} MB (before the run "
            f"{h.median(rs, 'rss_before_mb'):5.1f})  tracemalloc peak {traced_peak}"
        )
    loop = h.median([{"x": r["cases"] / r["event_loop_seconds"]} for r in runs["govsim"]], "x")
    print(
        "govsim event loop alone (summary.performance, per-case records included): "
        f"{loop:9.0f} cases/s"
    )
    print(
        f"checks: govsim mean sojourn {h.median(runs['govsim'], 'check_mean_sojourn_h'):.3f} h "
        f"(theory {wq + 1 / MU:.3f}); "
        f"SimPy mean wait {h.median(runs['simpy'], 'check_mean_wait_h'):.3f} h "
        f"(theory {wq:.3f})"
    )
    paired = [
        g["cases"] / g["wall_seconds"] / (s["cases"] / s["wall_seconds"])
        for g, s in zip(runs["govsim"], runs["simpy"], strict=True)
    ]
    ratio = statistics.median(paired)
    print(
        f"paired ratios govsim / SimPy, one per repeat: {' '.join(f'{r:.2f}' for r in paired)}; "
        f"ratio of the medians above {rates['govsim'] / rates['simpy']:.2f}"
    )
    for issue, required in REQUIRED_RATIOS.items():
        verdict = "ok" if ratio >= required else "BELOW REQUIREMENT"
        print(
            f"ratio govsim / SimPy = {ratio:.2f}, median of the paired ratios "
            f"(required >= {required}, {issue}): {verdict}"
        )
    off = statistics.median(
        g["cases"] / g["wall_seconds"] / (s["cases"] / s["wall_seconds"])
        for g, s in zip(runs["govsim-noproblems"], runs["simpy"], strict=True)
    )
    print(f"  problems off: govsim / SimPy = {off:.2f} (median of the paired ratios)")
    print(
        "  for information, not like-for-like: "
        f"event loop alone / SimPy = {loop / rates['simpy']:.2f}; "
        f"govsim without the cases table / SimPy = {rates['govsim-nocases'] / rates['simpy']:.2f}"
    )


if __name__ == "__main__":
    main()
