"""Dask distributed: an existing cluster (``--scheduler tcp://host:8786``) or a local one.

Start a cluster with Dask's own commands (``dask scheduler``, ``dask worker ADDRESS``);
the workers need govsim installed. A worker that dies has its runs rescheduled on the
others by the Dask scheduler (and each run may be retried ``retries`` times).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

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

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        from distributed import Client, LocalCluster, as_completed

        cluster = None
        if self.scheduler is None:
            cluster = LocalCluster(
                n_workers=self.workers or 2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            client = Client(cluster)
        else:
            client = Client(self.scheduler)
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
            client.close()
            if cluster is not None:
                cluster.close()
