"""Time series of the system state, sampled at a fixed interval.

One row per (time, tier): open cases at that stage, queued and in service at the
tier's units, staff on duty, and flows during the interval just ended (cases that
entered the tier's units, cases closed there). The ``city`` row counts cases created,
closed and abandoned city-wide and all open cases.
"""

from __future__ import annotations

import math
import operator
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from govsim.case import STAGES
from govsim.servers import TierTally
from govsim.spec import TIERS

if TYPE_CHECKING:
    from collections.abc import Generator

    from govsim.model import Model

COLUMNS = ("time", "tier", "open", "queued", "in_service", "staff", "arrived", "closed", "abandoned")
TIER_NAMES = [*STAGES, "city"]
CITY = TIER_NAMES.index("city")
"""Rows hold the tier as its index in TIER_NAMES (numbers only, for a fast frame)."""
FLOWS = slice(COLUMNS.index("arrived"), len(COLUMNS))
"""The flow columns: per interval in the frame, running totals in the snapshots."""
TALLY_COUNTS = operator.attrgetter("queued", "busy", "capacity", "arrived")
"""What a snapshot keeps of each tier's :class:`TierTally`, in this order."""
SNAPSHOT_BLOCK = 4096


class Monitor:
    """Samples the state every ``interval`` hours: one snapshot of the running counters per sample.

    A sample only copies counters into a tuple (about a microsecond): the rows per tier are
    laid out, and the flows differenced, by :meth:`frame` at the end, in numpy.
    """

    def __init__(self, model: Model) -> None:
        self.model = model
        self.interval = model.scenario.output.timeseries_interval_hours
        self.recent: list[tuple[float, ...]] = []
        """Snapshots not yet compacted into :attr:`blocks` (see :meth:`sample` for the layout)."""
        self.blocks: list[np.ndarray] = []
        """Older snapshots, as arrays of SNAPSHOT_BLOCK rows (numbers take less room than tuples)."""
        self.last_sample = -math.inf
        self._tallies: list[TierTally] = []
        self._tally_of_stage: list[int] = []

    def start(self) -> None:
        """Look up the tiers' running totals once (the pools keep them up to date)."""
        model = self.model
        tallies = {"hotline": model.hotline.pool.tally, **model.handlers.tallies}
        self._tallies = list(tallies.values())
        self._tally_of_stage = [list(tallies).index(stage) if stage in tallies else -1 for stage in STAGES]

    def sample(self) -> None:
        """Take a snapshot: time, open cases per stage, closed per tier, the ledger's totals, each tally's counts."""
        model = self.model
        ledger = model.ledger
        now = model.env._now  # noqa: SLF001 - env.now, without the property call
        self.recent.append((now, *ledger.open_by_stage, *model.closed_by_tier,
                            len(ledger.open), ledger.created, ledger.closed, ledger.abandoned,
                            *chain.from_iterable(map(TALLY_COUNTS, self._tallies))))
        if len(self.recent) >= SNAPSHOT_BLOCK:
            self.blocks.append(np.array(self.recent, dtype=np.float64))
            self.recent = []
        self.last_sample = now

    def process(self) -> Generator:
        env = self.model.env
        self.start()
        while True:
            self.sample()
            yield env.timeout(self.interval)

    def frame(self) -> pd.DataFrame:
        """The time series: a row per (sample, tier) with the COLUMNS, flows per interval."""
        n_stages, n_tiers, n_tallies = len(STAGES), len(TIERS), len(self._tallies)
        width = 1 + n_stages + n_tiers + 4 + 4 * n_tallies
        snapshots = np.concatenate([*self.blocks, np.array(self.recent, dtype=np.float64).reshape(-1, width)])
        time, open_by_stage, closed_by_tier, totals, counts = np.split(
            snapshots, np.cumsum([1, n_stages, n_tiers, 4]), axis=1)
        counts = counts.reshape(len(snapshots), n_tallies, 4)  # TALLY_COUNTS per tally
        rows = np.zeros((len(snapshots), len(TIER_NAMES), len(COLUMNS)))
        rows[:, :, 0] = time
        rows[:, :, 1] = np.arange(len(TIER_NAMES))
        queued, arrived, closed = COLUMNS.index("queued"), COLUMNS.index("arrived"), COLUMNS.index("closed")
        for stage, tally in enumerate(self._tally_of_stage):
            rows[:, stage, 2] = open_by_stage[:, stage]
            if tally >= 0:
                rows[:, stage, queued:queued + 3] = counts[:, tally, :3]  # queued, in service, staff
                rows[:, stage, arrived] = counts[:, tally, 3]
            if STAGES[stage] in TIERS:
                rows[:, stage, closed] = closed_by_tier[:, TIERS.index(STAGES[stage])]
        rows[:, CITY, 2] = totals[:, 0]  # every open case
        rows[:, CITY, queued:queued + 3] = counts[:, :, :3].sum(axis=1)
        rows[:, CITY, FLOWS] = totals[:, 1:]  # created, closed, abandoned
        # The flows are running totals in the snapshots: the flow of an interval is the difference.
        rows[1:, :, FLOWS] = np.diff(rows[:, :, FLOWS], axis=0)
        rows = rows.reshape(-1, len(COLUMNS))
        frame = pd.DataFrame(rows[:, 2:].astype(np.int64), columns=list(COLUMNS[2:]))
        frame.insert(0, "tier", pd.Categorical.from_codes(rows[:, 1].astype(np.int64), categories=TIER_NAMES))
        frame.insert(0, "time", rows[:, 0])
        return frame
