"""Command line of the search: ``govsim optimize STUDY.yaml`` and ``govsim discover DIR``.

Registered by :func:`add_commands` from :mod:`govsim.app.cli`, which turns a
:class:`~govsim.core.errors.UserInputError` into one line and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from govsim.app.backend_options import add_backend, executor_of
from govsim.app.exit_codes import EXIT_INTERRUPTED, EXIT_OK, EXIT_RUNS_FAILED
from govsim.core.errors import UserInputError

if TYPE_CHECKING:
    import pandas as pd

    from govsim.search.study import Study


def add_commands(sub: argparse._SubParsersAction) -> None:
    optimize = sub.add_parser(
        "optimize", help="search levers for the best policies (Pareto front) under a budget"
    )
    optimize.add_argument("study", help="study YAML file (docs/optimize.md)")
    add_backend(optimize)
    optimize.add_argument(
        "--resume", action="store_true", help="continue the study stored in --out"
    )
    optimize.add_argument(
        "--out", help="output folder (default: the study's `out`, else results/<name>/)"
    )
    optimize.add_argument(
        "--trials", type=int, help="trials in the study in total (overrides search.trials)"
    )
    optimize.add_argument(
        "--storage", help="Optuna RDB URL, e.g. postgresql://user@host/db (default: DIR/optuna.db)"
    )
    optimize.add_argument("--quiet", action="store_true", help="no progress bar, no front table")
    optimize.add_argument(
        "--check", action="store_true", help="check the study and exit: nothing run or written"
    )
    optimize.set_defaults(handler=_optimize)

    discover = sub.add_parser(
        "discover",
        help="PRIM: which uncertain parameters lead to an outcome above or below a value",
    )
    discover.add_argument("folder", metavar="EXPERIMENT_DIR", help="experiment results folder")
    discover.add_argument("--outcome", required=True, help="outcome name, e.g. backlog_mean")
    side = discover.add_mutually_exclusive_group(required=True)
    side.add_argument(
        "--above", type=float, metavar="VALUE", help="cases of interest: outcome > VALUE"
    )
    side.add_argument(
        "--below", type=float, metavar="VALUE", help="cases of interest: outcome < VALUE"
    )
    discover.add_argument(
        "--variant", help="the variant whose runs are analysed (default: the baseline)"
    )
    discover.add_argument(
        "--density",
        type=float,
        default=0.8,
        help="report the largest box on the peeling trajectory whose density reaches this (0-1)",
    )
    discover.add_argument(
        "--peel-alpha", type=float, default=0.05, help="share of points peeled per step"
    )
    discover.add_argument("--quiet", action="store_true", help="no table on the terminal")
    discover.set_defaults(handler=_discover)


def _optimize(args: argparse.Namespace) -> int:
    from govsim.search.optimizer import run_study

    if args.workers is not None and args.workers < 1:
        raise UserInputError("--workers must be at least 1", source="--workers")
    if args.trials is not None and args.trials < 1:
        raise UserInputError("--trials must be at least 1", source="--trials")
    if args.check:
        from govsim.search.lever_space import check_study

        print(check_study(args.study))
        return EXIT_OK
    executor = executor_of(args)
    try:
        result = run_study(
            args.study,
            executor=executor,
            resume=args.resume,
            out=args.out,
            trials=args.trials,
            storage=args.storage,
            progress=not args.quiet,
        )
    except KeyboardInterrupt:
        print(
            "govsim: interrupted; finished trials are stored: continue with --resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    if not args.quiet:
        print(front_text(result.tables["front"], result.study, result.tables.get("selection")))
        print(f"\nran {result.ran} runs; wrote {result.out}/")
    for error in result.errors:
        print(f"govsim: {error}", file=sys.stderr)
    return EXIT_RUNS_FAILED if result.errors else EXIT_OK


def front_text(
    front: pd.DataFrame, study: Study | None, selection: pd.DataFrame | None = None
) -> str:
    """The front as a short table: trial, levers, each objective's fresh mean [95% CI], and
    what the fresh seeds say of each member (one objective: the indifference set)."""
    if front.empty or study is None:
        return "no feasible trial finished: no front"
    table = front[["trial", *(lever.key for lever in study.levers)]].copy()
    for o in study.objectives:
        name = o.outcome
        table[name] = [
            f"{m:.4g} [{lo:.4g}, {hi:.4g}]"
            for m, lo, hi in zip(
                front[name], front[f"{name}_ci_low"], front[f"{name}_ci_high"], strict=True
            )
        ]
    if "fresh_verdict" in front:
        table["fresh verdict"] = front["fresh_verdict"]
        head = (
            f"front of {len(front)}, re-run on fresh seeds: mean [95% CI] and the fresh verdict "
            f"(pairs at {study.replications.confidence:.0%}; all in front.parquet)"
        )
    else:
        head = f"front of {len(front)}, re-run on fresh seeds: mean [95% CI] (all in front.parquet)"
    text = head + "\n" + table.to_string(index=False) + unsettled_text(front)
    if selection is not None and len(selection):
        text += "\n\n" + selection_text(selection, study)
    return text


def unsettled_text(table: pd.DataFrame) -> str:
    """A line per candidate whose backlog does not settle on its fresh runs (empty if none):
    its time to close then grows with the horizon and is no property of the candidate."""
    if "backlog_settles" not in table:
        return ""
    grows = table[table["backlog_settles"].astype("boolean").eq(False).fillna(False)]
    lines = [
        f"\nNOT SETTLED: trial {trial}: the backlog grows in {growing} of its fresh runs; its "
        "time to close depends on the horizon (govsim.results.settling)"
        for trial, growing in zip(grows["trial"], grows["runs_growing"], strict=True)
    ]
    return "".join(lines)


def selection_text(selection: pd.DataFrame, study: Study) -> str:
    """The indifference set of a single-objective study, and the contenders told apart."""
    name = study.objectives[0].outcome
    level = study.replications.confidence
    tied = selection[selection["indifferent"]]
    best = int(selection.loc[selection["best"], "trial"].iloc[0])
    lines = [
        f"{len(selection)} contenders re-run on fresh seeds; "
        + (
            f"trial {best} is told apart from all others at {level:.0%}"
            if len(tied) == 1
            else f"{len(tied)} cannot be told apart at {level:.0%} (the indifference set; "
            f"trial {best} has the best fresh mean):"
        )
    ]
    table = selection[["trial", *(lever.key for lever in study.levers)]].copy()
    table[name] = [
        f"{m:.4g} [{lo:.4g}, {hi:.4g}]"
        for m, lo, hi in zip(
            selection[name], selection[f"{name}_ci_low"], selection[f"{name}_ci_high"], strict=True
        )
    ]
    table["- best"] = [
        f"{d:+.3g} [{lo:+.3g}, {hi:+.3g}]"
        for d, lo, hi in zip(
            selection["difference"],
            selection["difference_ci_low"],
            selection["difference_ci_high"],
            strict=True,
        )
    ]
    table["reps"] = selection["replications"]
    table["verdict"] = [
        "best" if b else "tie" if keep else f"worse (dropped at {n} reps)"
        for b, keep, n in zip(
            selection["best"], selection["indifferent"], selection["dropped_at"], strict=True
        )
    ]
    lines.append(table.to_string(index=False) + unsettled_text(selection))
    lines.append("(all in selection.parquet)")
    return "\n".join(lines)


def _discover(args: argparse.Namespace) -> int:
    from govsim.search.prim import discover

    if not 0 < args.density <= 1:
        raise UserInputError("--density must be in (0, 1]", source="--density")
    if not 0 < args.peel_alpha < 0.5:
        raise UserInputError("--peel-alpha must be in (0, 0.5)", source="--peel-alpha")
    above = args.above is not None
    figures = _figures_folder(Path(args.folder))  # checked before anything is written
    result = discover(
        args.folder,
        args.outcome,
        args.above if above else args.below,
        above=above,
        variant=args.variant,
        density=args.density,
        peel_alpha=args.peel_alpha,
    )
    import matplotlib

    matplotlib.use("Agg")
    from govsim.plots.discovery import peeling_figure
    from govsim.plots.style import save

    figure = peeling_figure(result.trajectory, f"{result.outcome} {result.rule}", result.box)
    saved = save(figure, figures, "discovery")  # each file atomically
    result.written += [Path(args.folder) / "figures" / p.name for p in saved]
    if not args.quiet:
        print(result.summary())
        print(f"\nwrote {', '.join(str(p) for p in result.written)}")
    return EXIT_OK


def _figures_folder(folder: Path) -> Path:
    """``folder/figures``, resolved: a folder or absent, no link to a folder elsewhere."""
    from govsim.core.io import FolderInUse, check_subfolder

    try:
        return check_subfolder(folder, "figures")
    except FolderInUse as exc:
        raise UserInputError(exc.reason, source=str(folder / "figures")) from None
