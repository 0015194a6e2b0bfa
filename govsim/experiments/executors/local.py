"""The embedded default: a local process pool, nothing to install or start.

With one worker the runs execute in this process, one after another. Used as a context
manager (``with executor: ...``) the pool stays up across ``map`` calls, so a caller
that maps many small batches (``govsim optimize``) starts its workers once.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def _one_thread() -> None:
    # Each worker is one simulation: keep numeric libraries from starting thread pools.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


class LocalExecutor:
    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> LocalExecutor:
        if self.workers > 1 and self._pool is None:
            self._pool = self._new_pool()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        return ProcessPoolExecutor(self.workers, mp_context=context, initializer=_one_thread)

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        if self.workers == 1 or len(tasks) <= 1:
            for task in tasks:
                yield fn(task)
            return
        if self._pool is not None:
            yield from _bounded(self._pool, fn, tasks, 2 * self.workers)
            return
        with self._new_pool() as pool:
            yield from _bounded(pool, fn, tasks, 2 * self.workers)


def _bounded(
    pool: ProcessPoolExecutor, fn: Callable[[T], R], tasks: Sequence[T], limit: int
) -> Iterator[R]:
    # Keep at most two runs per worker in flight, so an interrupted experiment stops soon.
    pending: set[Future] = set()
    for task in tasks:
        pending.add(pool.submit(fn, task))
        if len(pending) >= limit:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            yield future.result()
