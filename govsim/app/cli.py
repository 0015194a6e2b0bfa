"""Command line: ``govsim run | validate | network | experiment | optimize | discover | plot |
report | log | export-log | fit | calibrate | docs``.

Exit codes: :mod:`govsim.app.exit_codes` (0 success, 1 a ledger violation, 2 bad input, 3
some runs failed, 130 interrupted).

This module imports only the standard library at first: the heavy libraries load inside
the command, after the Ctrl-C handling is in place.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from govsim.app.backend_options import add_backend, executor_of
from govsim.app.exit_codes import (
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_LEDGER,
    EXIT_OK,
    EXIT_RUNS_FAILED,
)
from govsim.core.errors import LedgerError, UserInputError
from govsim.core.interrupts import (
    NOTHING_WRITTEN,
    Interrupted,
    message_of,
    quiet_start,
    terminate_as_interrupt,
)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        with quiet_start():  # until the libraries are loaded, Ctrl-C exits at once
            args = _parser().parse_args(argv)
            _preload(args)
        try:
            with terminate_as_interrupt():
                return args.handler(args)
        except UserInputError as exc:
            print(f"govsim: error: {exc}", file=sys.stderr)
            return EXIT_INPUT
        except LedgerError as exc:
            print(f"govsim: model invariant violated (please report): {exc}", file=sys.stderr)
            return EXIT_LEDGER
    except KeyboardInterrupt as exc:
        print(f"govsim: {message_of(exc)}", file=sys.stderr)
        return EXIT_INTERRUPTED


PRELOAD = {
    "run": ("numpy", "pandas", "pyarrow.parquet", "simpy", "govsim.simulate", "govsim.app.console"),
    "validate": ("govsim.scenario",),
    "network": ("networkx", "govsim.network", "govsim.scenario"),
    "experiment": ("govsim.simulate", "govsim.experiments", "govsim.app.console"),
    "plot": ("matplotlib.pyplot", "govsim.plots", "govsim.results.loading"),
    "report": ("matplotlib.pyplot", "govsim.plots.report"),
    "docs": ("govsim.app.reference_pages",),
}
"""What each command imports before it starts: loaded under :func:`quiet_start`."""


def _preload(args: argparse.Namespace) -> None:
    import importlib

    if args.command in ("plot", "report"):
        import matplotlib

        matplotlib.use("Agg")
    names = list(PRELOAD.get(args.command, ()))
    if getattr(args, "scheduler", None) or getattr(args, "dask_local", None):
        names.append("distributed")
    for name in names:
        importlib.import_module(name)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govsim", description="Simulate multi-tier urban governance (Beijing's 12345 system)."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one scenario and write its tables")
    run.add_argument("scenario", help="scenario YAML file")
    run.add_argument("--out", help="output folder (default: results/<scenario name>/)")
    run.add_argument("--seed", type=int, help="root random seed (overrides the scenario's)")
    run.add_argument("--days", type=float, help="simulated days (overrides the scenario's)")
    _add_set(run)
    _add_force(run)
    run.add_argument("--quiet", action="store_true", help="no progress bar, no summary table")
    run.set_defaults(handler=_run)

    validate = sub.add_parser("validate", help="check a scenario file and exit")
    validate.add_argument("scenario", help="scenario YAML file")
    _add_set(validate)
    validate.set_defaults(handler=_validate)

    network = sub.add_parser("network", help="export the jurisdiction and whistle network")
    network.add_argument("scenario", help="scenario YAML file")
    network.add_argument("--graphml", required=True, help="GraphML file to write")
    _add_force(network, FORCE_FILE)
    _add_set(network)
    network.set_defaults(handler=_network)

    experiment = sub.add_parser(
        "experiment", help="run an experiment (replications, variants, sweeps)"
    )
    experiment_sub = experiment.add_subparsers(dest="experiment_command", required=True)
    exp_run = experiment_sub.add_parser("run", help="run an experiment YAML")
    exp_run.add_argument("experiment", help="experiment YAML file")
    add_backend(exp_run, _positive)
    exp_run.add_argument("--resume", action="store_true", help="run only the runs not finished yet")
    exp_run.add_argument(
        "--out", help="output folder (default: the experiment's `out`, else results/<name>/)"
    )
    _add_force(exp_run, "discard the runs and tables of the folder and start again")
    exp_run.add_argument("--quiet", action="store_true", help="no progress bar, no summary table")
    exp_run.set_defaults(handler=_experiment_run)

    for name, text in (
        ("plot", "draw the figures of a results folder into DIR/figures/"),
        ("report", "write a self-contained HTML report of a results folder"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument(
            "folder",
            metavar="DIR",
            help="results folder of `govsim run`, `experiment run` or `optimize`",
        )
        command.add_argument(
            "--no-replay",
            action="store_true",
            help="experiments: skip the figures that need their runs re-simulated",
        )
        command.add_argument(
            "--workers", type=_positive, help="processes to replay an experiment's runs"
        )
        command.add_argument("--quiet", action="store_true", help="no progress bar")
        if name == "report":
            command.add_argument("--out", help="HTML file to write (default DIR/report.html)")
            _add_force(command, FORCE_FILE)
        command.set_defaults(handler=_plot if name == "plot" else _report)

    from govsim.app.data_commands import add_commands as add_data_commands

    add_data_commands(sub)  # log validate | columns, export-log, fit

    from govsim.app.search_commands import add_commands as add_search_commands

    add_search_commands(sub)  # optimize, discover

    docs = sub.add_parser(
        "docs",
        help="regenerate the reference pages (scenarios, experiments-schema, cli, api) in docs/",
    )
    target = docs.add_mutually_exclusive_group()
    target.add_argument("--dir", default="docs", help="folder to write every reference page into")
    target.add_argument("--out", help="write only the scenario reference, to this Markdown file")
    docs.set_defaults(handler=_docs)

    from govsim.app.calibration_commands import add_commands as add_calibration

    add_calibration(sub)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


FORCE_FILE = "replace an existing file (never a results folder's tables)"


def _add_force(parser: argparse.ArgumentParser, text: str = "") -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help=text
        or "replace the results already in the output folder (they stay until the new ones "
        "are complete)",
    )


def _add_set(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override a scenario key by its dotted path (repeatable), e.g. hotline.operators=30",
    )


def _load(args: argparse.Namespace, extra: Sequence[str] = ()):
    from govsim.scenario import load_scenario

    return load_scenario(args.scenario, [*extra, *args.overrides])


def _run(args: argparse.Namespace) -> int:
    from govsim.app.console import format_summary
    from govsim.core.io import FolderInUse, check_output_folder, output_folder, resolve_out, shown
    from govsim.engine.cost import check_run
    from govsim.simulate import simulate

    extra = []
    if args.seed is not None:
        extra.append(f"seed={args.seed}")
    if args.days is not None:
        extra.append(f"days={args.days}")
    scenario = _load(args, extra)
    check_run(scenario, args.scenario)
    given = args.out or str(Path("results") / scenario.name)
    out = resolve_out(given)  # checked and written as one path (``..`` and symlinks applied)
    try:
        replacing = check_output_folder(out, replace=args.force)
    except FolderInUse as exc:
        raise UserInputError(exc.reason, source=shown(given, out)) from None
    kept = f"; the results already in {given} are unchanged" if replacing else ""
    try:
        with output_folder(out) as folder:
            # The case table streams to its file as cases finish: memory stays flat on a
            # city-wide year. Everything goes to a temporary folder that takes out's place.
            cases_file = folder / "cases.parquet" if scenario.output.cases_table else None
            problems_file = (
                folder / "problems.parquet"
                if scenario.output.cases_table and scenario.problems.enabled
                else None
            )
            result = simulate(
                scenario,
                progress=not args.quiet,
                cases_file=cases_file,
                problems_file=problems_file,
            )
            result.write_files(folder)
    except OSError as exc:
        raise UserInputError(
            f"cannot write the results ({exc.strerror or exc}); nothing was written{kept}",
            source=given,
        ) from None
    except MemoryError:
        raise UserInputError(
            f"the run ran out of memory; nothing was written{kept}", source=args.scenario
        ) from None
    except KeyboardInterrupt:
        raise Interrupted(NOTHING_WRITTEN + kept) from None
    if not args.quiet:
        print(format_summary(result.summary))
        print(f"\nwrote {given.rstrip('/')}/")
    return EXIT_OK


def _experiment_run(args: argparse.Namespace) -> int:
    from govsim.app.console import format_experiment
    from govsim.experiments import run_experiment

    executor = executor_of(args)
    result = run_experiment(
        args.experiment,
        executor=executor,
        resume=args.resume,
        out=args.out,
        progress=not args.quiet,
        force=args.force,
    )
    if not args.quiet:
        print(format_experiment(result.tables["summary"], result.variants, result.outcomes))
        print(f"\nran {result.ran} runs; wrote {result.out}/")
    for error in result.errors:
        print(
            f"govsim: run failed: variant {error['variant']}, sample {error['sample']}, "
            f"replication "
            f"{error['replication']}, seed {error['seed']}: {error['error'].splitlines()[0]}",
            file=sys.stderr,
        )
    return EXIT_RUNS_FAILED if result.errors else EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    scenario = _load(args)
    print(f"{args.scenario}: valid scenario '{scenario.name}'")
    return EXIT_OK


def _network(args: argparse.Namespace) -> int:
    from govsim.core.io import atomic_write
    from govsim.network import jurisdiction_graph, write_graphml

    scenario = _load(args)
    target = _output_file(args.graphml, replace=args.force, inputs=[args.scenario])
    graph = jurisdiction_graph(scenario)
    atomic_write(target, lambda tmp: write_graphml(graph, tmp))
    print(f"wrote {args.graphml}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges")
    return EXIT_OK


DOCS_MARK = "`govsim docs`; do not edit by hand"
"""What the opening of every page `govsim docs` writes says (such a file may be replaced)."""


def _output_file(
    given: str, *, replace: bool, inputs: Sequence[str] = (), mark: str | None = None
) -> Path:
    """The resolved path to write the single file ``given`` to, once checked
    (:func:`govsim.core.io.check_output_file`); its folder must exist."""
    from govsim.core.io import FolderInUse, check_output_file, resolve_out, shown

    target = resolve_out(given)
    if not target.parent.is_dir():
        raise UserInputError("the folder does not exist", source=str(Path(given).parent))
    try:
        check_output_file(target, replace=replace, inputs=inputs, mark=mark)
    except FolderInUse as exc:
        raise UserInputError(exc.reason, source=shown(given, target)) from None
    return target


def _plot(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from govsim.plots import make_figures
    from govsim.results.loading import load

    try:
        made = make_figures(
            load(args.folder),
            replay=not args.no_replay,
            workers=args.workers,
            progress=not args.quiet,
        )
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted; no figure was written ({Path(args.folder) / 'figures'} is as it was)"
        ) from None
    except OSError as exc:
        raise UserInputError(
            f"cannot write the figures ({exc.strerror or exc}); no figure was written",
            source=str(Path(args.folder) / "figures"),
        ) from None
    if not args.quiet:
        print(
            f"wrote {len(made)} figures (PNG and SVG) to {Path(args.folder) / 'figures'}/: "
            + ", ".join(m.name for m in made)
        )
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from govsim.plots.report import write_report

    try:
        target = write_report(
            args.folder,
            args.out,
            replay=not args.no_replay,
            workers=args.workers,
            progress=not args.quiet,
            force=args.force,
        )
    except KeyboardInterrupt:
        raise Interrupted("interrupted; the report was not written") from None
    except OSError as exc:
        raise UserInputError(
            f"cannot write the report ({exc.strerror or exc}); the report was not written",
            source=args.out or str(Path(args.folder) / "report.html"),
        ) from None
    if not args.quiet:
        print(f"wrote {target}")
    return EXIT_OK


def _docs(args: argparse.Namespace) -> int:
    from govsim.app.reference_pages import pages, write_pages
    from govsim.core.io import atomic_write, resolve_out
    from govsim.scenario.reference import scenario_reference

    if args.out is not None:
        target = _output_file(args.out, replace=False, mark=DOCS_MARK)
        text = scenario_reference()
        atomic_write(target, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
        print(f"wrote {args.out}")
        return EXIT_OK
    folder = Path(args.dir)
    if not resolve_out(folder).is_dir():
        raise UserInputError("the folder does not exist", source=str(folder))
    parser = _parser()
    for name in pages(parser):  # every page checked before any is written
        _output_file(str(folder / name), replace=False, mark=DOCS_MARK)
    written = write_pages(resolve_out(folder), parser)
    print(f"wrote {', '.join(str(folder / p.name) for p in written)}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
