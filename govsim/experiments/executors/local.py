"""The embedded default: a local process pool, nothing to install or start.

With one worker the runs execute in this process, one after another.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import TypeVar

from govsim.interrupts import ignore_in_worker

T = TypeVar("T")
R = TypeVar("R")


def _start_worker() -> None:
    # Each worker is one simulation: keep numeric libraries from starting thread pools.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    ignore_in_worker()  # Ctrl-C goes to the parent, which stops the pool


class LocalExecutor:
    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        if self.workers == 1 or len(tasks) <= 1:
            for task in tasks:
                yield fn(task)
            return
        context = multiprocessing.get_context("forkserver")
        pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_start_worker)
        try:
            # Keep at most two runs per worker in flight, so an interrupted experiment stops soon.
            pending: set[Future] = set()
            queue = iter(tasks)
            for task in queue:
                pending.add(pool.submit(fn, task))
                if len(pending) >= 2 * self.workers:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield future.result()
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        except BaseException:
            _stop(pool)  # Ctrl-C or a failure: do not wait for the runs in flight
            raise
        pool.shutdown(wait=True)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now (their runs are not recorded)."""
    processes = list((pool._processes or {}).values())  # noqa: SLF001 - no public handle
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)
