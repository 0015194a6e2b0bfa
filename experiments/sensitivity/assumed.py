"""Which assumed parameters can flip the shipped policy comparison's conclusions (issue 30).

A Morris screening (SALib) over every parameter marked "assumed" in the comparison's base
scenario (``scenarios/baseline.yaml``) and in the screened variants' policies, each at +-50%
of its value (:mod:`govsim.experiments.screening`); outcomes the paired differences of each
policy against the baseline (and of street powers against whistles alone) in backlog, time
to close of cross-department cases, true fix rate and the resolution gap. The whistle with
departments a day late is left out: its conclusion is the sensitivity to the departments'
arrival, which the screening moves.

Usage: ``python experiments/sensitivity/assumed.py [--trajectories 4] [--workers 1]
[--force] [--out results/sensitivity-assumed]``; the runs are kept in ``--out`` (an
interrupted screening resumes), the result goes to ``experiments/sensitivity/screening.json``
and the figure to ``docs/calibration/sensitivity_morris.png``;
``govsim.calibration.sensitivity.table()`` makes the Markdown table from the JSON.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from govsim.calibration import sensitivity  # noqa: E402
from govsim.core.errors import UserInputError  # noqa: E402
from govsim.experiments import screening as sc  # noqa: E402

VARIANTS = (
    "baseline",
    "resource_sinking",
    "whistle_blowing",
    "street_powers",
    "proactive_governance",
    "all_combined",
)
CONTRASTS = (
    *((v, "baseline") for v in VARIANTS[1:]),
    ("street_powers", "whistle_blowing"),
)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of at least 1")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trajectories", type=_positive, default=4)
    parser.add_argument("--workers", type=_positive, default=1)
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "sensitivity-assumed")
    parser.add_argument("--result", type=Path, default=sensitivity.RESULT)
    parser.add_argument("--figure", type=Path, default=sensitivity.FIGURE)
    args = parser.parse_args(argv)
    screening = sc.Screening(
        comparison=ROOT / "experiments" / "policy_comparison.yaml",
        variants=VARIANTS,
        contrasts=CONTRASTS,
        trajectories=args.trajectories,
    )
    try:
        plan = sc.plan(screening)
        print(
            f"{len(plan.factors)} assumed parameters (+ a dummy), {len(plan.multipliers)} "
            f"points, {len(plan.tasks)} runs",
            file=sys.stderr,
        )
        outcome = sc.timed(
            lambda: sc.execute(plan, args.out, workers=args.workers, force=args.force)
        )
    except UserInputError as exc:
        print(f"govsim: {exc}", file=sys.stderr)
        return 2
    (results, made), wall = outcome
    document = sc.write_result(
        args.result,
        plan,
        sc.analyse(plan, results),
        wall_seconds=wall,
        runs_made=made,
        workers=args.workers,
    )
    sensitivity.figure(document, args.figure)
    print(sensitivity.table(document))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
