"""The embedded default: a local process pool, nothing to install or start.

With one worker the runs execute in this process, one after another. Used as a context
manager (``with executor: ...``) the pool stays up across ``map`` calls, so a caller
that maps many small batches (``govsim optimize``) starts its workers once. Workers
ignore Ctrl-C: the parent stops them (and records nothing of the runs in flight).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import TypeVar

from govsim.core.interrupts import ignore_in_worker

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
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> LocalExecutor:
        if self.workers > 1 and self._pool is None:
            self._pool = self._new_pool()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            if exc and exc[0] is not None:
                _stop(self._pool)
            else:
                self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        return ProcessPoolExecutor(self.workers, mp_context=context, initializer=_start_worker)

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        if self.workers == 1 or len(tasks) <= 1:
            for task in tasks:
                yield fn(task)
            return
        if self._pool is not None:
            yield from _bounded(self._pool, fn, tasks, 2 * self.workers)
            return
        pool = self._new_pool()
        try:
            yield from _bounded(pool, fn, tasks, 2 * self.workers)
        except BaseException:
            _stop(pool)  # Ctrl-C or a failure: do not wait for the runs in flight
            raise
        pool.shutdown(wait=True)


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


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now (their runs are not recorded)."""
    processes = list((pool._processes or {}).values())  # noqa: SLF001 - no public handle
    # (getattr: typeshed's types of these private fields are not CPython's; shutdown() drops
    # them, so they are taken first.)
    thread: threading.Thread | None = getattr(pool, "_executor_manager_thread", None)
    results = getattr(pool, "_result_queue", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)
    # A worker ended in the middle of sending a result leaves the pool's manager thread
    # waiting for the rest of that message, for ever: the exit would hang on it (1 Ctrl-C in
    # about 20). With every worker gone, closing our own copy of the result pipe's write end
    # gives that wait an end of file; the thread then marks the pool broken and ends.
    writer = getattr(results, "_writer", None)
    if thread is not None and thread.is_alive() and writer is not None:
        writer.close()
        thread.join(timeout=5)
