"""Where runs execute: one module per backend, one interface.

An executor's ``map(fn, tasks)`` yields ``fn(task)`` for every task as each finishes,
in any order; the experiment writes each result as it arrives and sorts the tables
at the end, so results never depend on the backend, the number of workers or the
order in which runs finish.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    name: str

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]: ...


def choose(
    workers: int | None = None, scheduler: str | None = None, dask_workers: int | None = None
) -> Executor:
    """Local process pool by default; Dask when given a scheduler address or a local Dask cluster
    size."""
    if scheduler is not None or dask_workers is not None:
        from govsim.experiments.executors.dask import DaskExecutor

        return DaskExecutor(scheduler=scheduler, workers=dask_workers)
    from govsim.experiments.executors.local import LocalExecutor

    return LocalExecutor(workers=workers)
