"""Dask distributed: an existing cluster (``--scheduler tcp://host:8786``) or a local one.

Start a cluster with Dask's own commands (``dask scheduler``, ``dask worker ADDRESS``);
the workers need govsim installed. A worker that dies has its runs rescheduled on the
others by the Dask scheduler (and each run may be retried ``retries`` times). Used as a
context manager (``with executor: ...``) the client (and a local cluster) stays up
across ``map`` calls.
"""

from __future__ import annotations

import logging
import signal
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from govsim.core.errors import UserInputError

T = TypeVar("T")
R = TypeVar("R")
CONNECT_SECONDS = 10
"""How long to try to reach a scheduler before saying it cannot be reached."""


def check_address(address: str) -> None:
    """Refuse a scheduler address that is not one (before anything is written)."""
    from distributed.comm.addressing import parse_address

    try:
        parse_address(address, strict=True)
    except (ValueError, TypeError) as exc:
        raise UserInputError(
            f"not a scheduler address ({exc}); give one like tcp://host:8786",
            source=f"--scheduler {address}",
        ) from None


@contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """Start the local cluster's processes with Ctrl-C ignored (they inherit it): the parent
    stops them and reports, instead of every worker printing a traceback. Meanwhile (the
    seconds the cluster takes to start) Ctrl-C is ignored here too."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class DaskExecutor:
    name = "dask"

    def __init__(
        self, scheduler: str | None = None, workers: int | None = None, retries: int = 3
    ) -> None:
        if scheduler is not None:
            check_address(scheduler)
        self.scheduler = scheduler
        self.workers = workers
        self.retries = retries
        self._session: tuple[Any, Any] | None = None

    def __enter__(self) -> DaskExecutor:
        if self._session is None:
            self._session = self._connect()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._session is not None:
            _close(*self._session)
            self._session = None

    def _connect(self) -> tuple[Any, Any]:
        """A client of the scheduler (and the local cluster it runs on, or None)."""
        from distributed import Client, LocalCluster

        if self.scheduler is None:
            with _workers_ignore_ctrl_c():
                cluster = LocalCluster(
                    n_workers=self.workers or 2,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.CRITICAL,  # runs report their own errors
                )
            return Client(cluster), cluster
        try:
            return Client(self.scheduler, timeout=CONNECT_SECONDS), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise UserInputError(
                f"cannot reach the Dask scheduler within {CONNECT_SECONDS} s "
                f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                "is `dask scheduler` running there?",
                source=f"--scheduler {self.scheduler}",
            ) from None

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        from distributed import as_completed

        own = self._session is None
        client, cluster = self._connect() if self._session is None else self._session
        token = uuid.uuid4().hex[:8]
        try:
            futures = [
                client.submit(
                    fn,
                    task,
                    key=f"govsim-{token}-{getattr(task, 'run_id', i)}",
                    pure=False,
                    retries=self.retries,
                )
                for i, task in enumerate(tasks)
            ]
            # as_completed waits on the futures in the loop it is given, by default the
            # process's default client's: ours, explicitly (with another client in the process
            # a future lost with its worker was then awaited in two loops).
            for future in as_completed(futures, loop=client.loop):
                yield future.result()
                future.release()
        finally:
            if own:
                _close(client, cluster)


def _close(client: Any, cluster: Any) -> None:
    client.close()
    if cluster is not None:
        cluster.close()
