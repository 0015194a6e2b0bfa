"""Dask distributed: an existing cluster (``--scheduler tcp://host:8786``) or a local one.

Start a cluster with Dask's own commands (``dask scheduler``, ``dask worker ADDRESS``);
the workers need govsim installed. A worker that dies has its runs rescheduled on the
others by the Dask scheduler (and each run may be retried ``retries`` times). Used as a
context manager (``with executor: ...``) the client (and a local cluster) stays up
across ``map`` calls.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class DaskExecutor:
    name = "dask"

    def __init__(
        self, scheduler: str | None = None, workers: int | None = None, retries: int = 3
    ) -> None:
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
        from distributed import Client, LocalCluster

        if self.scheduler is not None:
            return Client(self.scheduler), None
        cluster = LocalCluster(
            n_workers=self.workers or 2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        return Client(cluster), cluster

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        from distributed import as_completed

        own = self._session is None
        client, cluster = self._connect() if own else self._session  # type: ignore[misc]
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
            for future in as_completed(futures):
                yield future.result()
                future.release()
        finally:
            if own:
                _close(client, cluster)


def _close(client: Any, cluster: Any) -> None:
    client.close()
    if cluster is not None:
        cluster.close()
