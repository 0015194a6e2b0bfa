"""Where a command's many runs execute: the same three options on every command that has them.

``--workers N`` (a local process pool, the default with all cores), ``--scheduler ADDRESS``
(a running Dask scheduler) or ``--dask-local N`` (a local Dask cluster), one at most
(``govsim/experiments/executors``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govsim.experiments.executors import Executor


def add_backend(parser: argparse.ArgumentParser, count: Callable[[str], Any] = int) -> None:
    """Add the three mutually exclusive options; ``count`` reads the two numbers."""
    backend = parser.add_mutually_exclusive_group()
    backend.add_argument(
        "--workers", type=count, help="local worker processes (default: all cores)"
    )
    backend.add_argument(
        "--scheduler", help="address of a running Dask scheduler, e.g. tcp://host:8786"
    )
    backend.add_argument(
        "--dask-local",
        type=count,
        metavar="N",
        help="start a local Dask cluster of N worker processes",
    )


def executor_of(args: argparse.Namespace) -> Executor:
    """The executor the options ask for (imported on use: ``--help`` loads nothing heavy)."""
    from govsim.experiments.executors import choose

    return choose(workers=args.workers, scheduler=args.scheduler, dask_workers=args.dask_local)
