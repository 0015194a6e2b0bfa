"""The data tools' commands: ``govsim log validate | columns | compare``, ``export-log``, ``fit``.

Bad input (a bad log, a missing file) raises :class:`govsim.core.errors.UserInputError`, which
``govsim.app.cli`` prints as one line and exit code 2; nothing is written then.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from govsim.app.backend_options import add_backend, executor_of
from govsim.app.exit_codes import EXIT_OK
from govsim.core.errors import UserInputError
from govsim.core.progress import Progress


def add_commands(sub: Any) -> None:
    """Add the data commands to the ``govsim`` subparsers ``sub``."""
    log = sub.add_parser("log", help="case logs: check one, or list the format's columns")
    log_sub = log.add_subparsers(dest="log_command", required=True)
    validate = log_sub.add_parser("validate", help="check a case log (CSV or parquet) and exit")
    validate.add_argument("log", help="case log file (.csv or .parquet)")
    validate.add_argument(
        "--scenario", help="also check the log's categories and places against this scenario"
    )
    validate.set_defaults(handler=_validate)
    columns = log_sub.add_parser("columns", help="print the case-log columns (docs/caselog.md)")
    columns.set_defaults(handler=_columns)
    compare = log_sub.add_parser("compare", help="headline figures of case logs side by side")
    compare.add_argument("logs", nargs="+", metavar="LOG", help="case log files")
    compare.add_argument(
        "--settle-days",
        type=float,
        default=7.0,
        help="closing figures use cases created this long before the window's end (default 7)",
    )
    compare.set_defaults(handler=_compare)

    export = sub.add_parser("export-log", help="write a run's cases as a case log")
    export.add_argument("run_dir", metavar="RUN_DIR", help="folder written by `govsim run`")
    export.add_argument(
        "--out", help="log to write, .parquet or .csv (default RUN_DIR/caselog.parquet)"
    )
    _add_force(export)
    export.set_defaults(handler=_export)

    fit = sub.add_parser("fit", help="fit a scenario to a case log, with 95%% confidence intervals")
    fit.add_argument("log", help="case log file (.csv or .parquet)")
    fit.add_argument(
        "--base", required=True, help="scenario whose city and structure the fit keeps"
    )
    fit.add_argument(
        "--out", required=True, help="fitted scenario YAML to write (report beside it)"
    )
    fit.add_argument(
        "--settle-days",
        type=float,
        default=7.0,
        help="shares and callbacks use cases created this long before the log's end (default 7)",
    )
    fit.add_argument("--no-figures", action="store_true", help="write the report without figures")
    fit.add_argument(
        "--calibrate",
        type=int,
        default=24,
        metavar="N",
        help="candidates of the calibration by simulation of waits, staff and (problems on) "
        "appeals per problem; 0: none, the base's values kept (default 24)",
    )
    fit.add_argument(
        "--seeds",
        type=int,
        default=2,
        metavar="K",
        help="common random seeds each calibration candidate runs on (default 2)",
    )
    fit.add_argument(
        "--check",
        type=int,
        metavar="N",
        help="round trip: run the fitted city N times, arrivals drawn and the log replayed, and "
        "add the log's headline figures against theirs to the report",
    )
    add_backend(fit)
    _add_force(fit)
    fit.set_defaults(handler=_fit)


def _add_force(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace an existing output file (never an input, nor a results folder's tables)",
    )


def _validate(args: argparse.Namespace) -> int:
    from govsim.data.caselog import read_log

    log = read_log(args.log)
    first_day, days = log.window()
    repeats = len(log.frame) - len(log.first_contacts())
    text = (
        f"{args.log}: valid case log, {len(log.frame):,} appeals ({repeats:,} repeats) over "
        f"{days} days from {first_day.date()}; columns: {', '.join(log.columns)}"
    )
    if args.scenario:
        from govsim.data.places import place_codes
        from govsim.scenario import load_scenario

        place_codes(log, load_scenario(args.scenario))
        text += f"; categories and places fit {args.scenario}"
    print(text)
    return EXIT_OK


def _columns(args: argparse.Namespace) -> int:
    from govsim.data.caselog import column_table

    print(column_table(), end="")
    return EXIT_OK


def _compare(args: argparse.Namespace) -> int:
    from govsim.data.caselog import read_log
    from govsim.fitting.compare import compare

    stems = [Path(p).stem for p in args.logs]
    labels = [
        stem if stems.count(stem) == 1 else f"{Path(p).parent.name}/{stem}"
        for stem, p in zip(stems, args.logs, strict=True)
    ]
    if args.settle_days < 0:
        raise UserInputError("--settle-days must be >= 0", source="--settle-days")
    logs = {label: read_log(p) for label, p in zip(labels, args.logs, strict=True)}
    table = compare(logs, settle_days=args.settle_days).rename_axis(None)
    print(table.to_string(float_format=lambda x: f"{x:,.3f}", na_rep="-"))
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from govsim.fitting.export import export_log

    target, rows = export_log(args.run_dir, args.out, force=args.force)
    print(f"wrote {target}: {rows:,} appeals")
    return EXIT_OK


def _fit(args: argparse.Namespace) -> int:
    from govsim.fitting import fit_log

    out = Path(args.out)
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise UserInputError("the fitted scenario must be a .yaml file", source=str(out))
    if args.settle_days < 0:
        raise UserInputError("--settle-days must be >= 0", source="--settle-days")
    for flag, value, least in (
        ("--calibrate", args.calibrate, 0),
        ("--seeds", args.seeds, 1),
        ("--check", args.check, 1),
        ("--workers", args.workers, 1),
    ):
        if value is not None and value < least:
            raise UserInputError(f"{flag} must be at least {least}", source=flag)
    executor = executor_of(args) if args.calibrate or args.check else None
    with Progress(args.calibrate, desc="calibration", unit="candidate") as bar:
        written = fit_log(
            args.log,
            args.base,
            out,
            settle_days=args.settle_days,
            figures=not args.no_figures,
            force=args.force,
            calibrate=args.calibrate,
            seeds=args.seeds,
            executor=executor,
            progress=lambda done, total: bar.update(done - bar.done),
            check=args.check or 0,
        )
    print("wrote " + ", ".join(str(p) for p in written))
    return EXIT_OK
