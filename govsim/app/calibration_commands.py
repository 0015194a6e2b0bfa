"""``govsim calibrate``: fit and verify the calibrated scenarios, write docs/calibration.md.

Registered by :func:`add_commands` from :func:`govsim.app.cli._parser`; errors are the
CLI's (exit 2 with one line naming the file or option, never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from govsim.app.backend_options import add_backend, executor_of

DESCRIPTION = """\
Fit and verify scenarios/beijing.yaml, beijing-2019.yaml and haidian.yaml against the
published figures (../shared/DOMAIN.md) and reproduce three stylized facts; write
docs/calibration.md and its figures (quick mode: results/calibration-quick/).

  govsim calibrate                       full: 5 simulated years per scenario, scale check, facts
  govsim calibrate --quick               2 years per scenario, no full-scale runs
  govsim calibrate --fit                 refit the scenario parameters, then verify
  govsim calibrate --fit-facts           refit the stylized-fact parameters, then verify
  govsim calibrate --fit --fit-facts --fit-only   refit everything, no report
  govsim calibrate --quick --skip-facts --skip-predictions   the targets alone

--fit writes the fitted values into the scenario files in place (comments and layout kept)
and records how in experiments/calibration/fitted.json; --fit-facts does the same for
experiments/calibration/fact_*.yaml. Without them the command only measures.
"""


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``calibrate`` to govsim's subcommands."""
    parser = subparsers.add_parser(
        "calibrate",
        help="fit and verify the calibrated scenarios, write docs/calibration.md",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick", action="store_true", help="2 replications, no full-scale runs (about 1-3 min)"
    )
    parser.add_argument("--fit", action="store_true", help="refit the scenario parameters first")
    parser.add_argument(
        "--fit-facts", action="store_true", help="refit the stylized-fact parameters first"
    )
    parser.add_argument(
        "--fit-only", action="store_true", help="stop after fitting (no verification, no report)"
    )
    add_backend(parser)
    parser.add_argument(
        "--reps", type=int, help="replications per scenario (default 5, quick 2; at least 2)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="report file (default docs/calibration.md, quick results/calibration-quick/"
        "calibration.md); figures go to calibration/ beside it",
    )
    parser.add_argument("--skip-facts", action="store_true", help="do not run the stylized facts")
    parser.add_argument(
        "--skip-predictions",
        action="store_true",
        help="do not run the predictions (the figures no fit touched)",
    )
    parser.add_argument(
        "--full-scale-years",
        nargs="*",
        default=["beijing-2019"],
        choices=["beijing", "beijing-2019"],
        help="full mode: also simulate these scenarios' whole year at full scale, once "
        "(default beijing-2019; beijing's year is 24 million cases)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars or messages")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """The ``calibrate`` handler."""
    from govsim.calibration.calibrate import Options, calibrate
    from govsim.core.errors import UserInputError

    for flag, value in (("--workers", args.workers), ("--dask-local", args.dask_local)):
        if value is not None and value < 1:
            raise UserInputError(f"{flag} must be at least 1", source=flag)
    options = Options(
        quick=args.quick,
        fit=args.fit,
        fit_facts=args.fit_facts,
        fit_only=args.fit_only,
        reps=args.reps,
        out=args.out,
        skip_facts=args.skip_facts,
        skip_predictions=args.skip_predictions,
        full_scale_years=tuple(args.full_scale_years),
        progress=not args.quiet,
    )
    executor = executor_of(args)

    def say(message: str) -> None:
        if not args.quiet:
            print(message, flush=True)

    try:
        outcome = calibrate(options, executor, say=say)
    except OSError as exc:  # a file not readable or writable, or a scheduler not reachable
        where = getattr(exc, "filename", None)
        if where:
            raise UserInputError(
                f"cannot read or write the file ({exc.strerror or exc})", source=str(where)
            ) from None
        raise UserInputError(f"{type(exc).__name__}: {exc}", source="govsim calibrate") from None
    if outcome.report is None:
        say(f"fitted in {outcome.wall / 60:.1f} min")
        return 0
    passed = outcome.judged - len(outcome.failed)
    say(
        f"wrote {outcome.report} ({passed}/{outcome.judged} targets pass) in "
        f"{outcome.wall / 60:.1f} min"
    )
    for failure in outcome.failed:
        print(f"  FAIL {failure}", file=sys.stderr)
    if outcome.predictions is not None:
        hits = sum(v.hit for v in outcome.predictions)
        say(f"{hits} of {len(outcome.predictions)} predictions within tolerance")
    return 0
