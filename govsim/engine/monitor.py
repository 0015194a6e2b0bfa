"""Time series of the system state, sampled at a fixed interval.

One row per (time, tier): open cases at that stage, queued and in service at the
tier's units, staff on duty, and flows during the interval just ended (cases that
entered the tier's units, cases closed there). The ``city`` row counts cases created,
closed and abandoned city-wide and all open cases.
"""

from __future__ import annotations

import math
import operator
import struct
from itertools import chain
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from simpy.events import Timeout

from govsim.core.codes import STAGES, TIERS
from govsim.core.servers import TierTally

if TYPE_CHECKING:
    from collections.abc import Generator

    import simpy

    from govsim.engine.ledger import CaseLedger

COLUMNS = (
    "time",
    "tier",
    "open",
    "queued",
    "in_service",
    "staff",
    "arrived",
    "closed",
    "abandoned",
)
TIER_NAMES = [*STAGES, "city"]
CITY = TIER_NAMES.index("city")
"""Rows hold the tier as its index in TIER_NAMES (numbers only, for a fast frame)."""
COUNTS = COLUMNS[2:]
"""The counted columns, in the order of a row's counts."""
OPEN, QUEUED, ARRIVED, CLOSED = (COUNTS.index(c) for c in ("open", "queued", "arrived", "closed"))
FLOWS = slice(ARRIVED, len(COUNTS))
"""The flows among the counts: per interval in the frame, running totals in the snapshots."""
TALLY_COUNTS = operator.attrgetter("queued", "busy", "capacity", "arrived")
"""What a snapshot keeps of each tier's :class:`TierTally`, in this order."""


class Monitor:
    """Samples the state every ``interval`` hours: one snapshot of the running counters per sample.

    A sample packs the counters into a bytes buffer (the time as a float, the counts as
    integers), so no Python object is kept per sample; the rows per tier are laid out, and
    the flows differenced, by :meth:`frame` at the end. Only tiers with units are read
    (the others count nothing). Sampled hourly in M/M/10, with about 9 cases an hour, the
    time series is still a noticeable share of the run (docs/performance.md).
    """

    def __init__(
        self,
        env: simpy.Environment,
        interval: float,
        ledger: CaseLedger,
        closed_by_tier: list[int],
        tallies: dict[str, TierTally],
    ) -> None:
        """``tallies``: the totals of each tier that has units (summed over its pools when a
        sample reads them); ``closed_by_tier``: cases closed per TIERS code so far (the model
        counts)."""
        self.env = env
        self.interval = interval
        self.ledger = ledger
        self.closed_by_tier = closed_by_tier
        self.snapshots = bytearray()
        """The snapshots, packed (see :meth:`sample` for the layout of one)."""
        self.last_sample = -math.inf
        self._tallies = [tallies[stage] for stage in STAGES if stage in tallies]
        """The totals of the tiers with units, in STAGES order."""
        self._tally_of_stage = [
            self._tallies.index(tallies[stage]) if stage in tallies else -1 for stage in STAGES
        ]
        """Per stage, the index of its tier's totals in ``_tallies`` (-1: no units, all zero)."""
        self._pack = struct.Struct(self._format()).pack

    def _format(self) -> str:
        """A snapshot's layout: the time (float64), then int64 counts."""
        return "<d" + "q" * (self.width - 1)

    @property
    def width(self) -> int:
        """Numbers per snapshot."""
        return 1 + len(STAGES) + len(TIERS) + 4 + 4 * len(self._tallies)

    def sample(self) -> None:
        """Take a snapshot: time, open cases per stage, closed per tier, the ledger's totals, each
        tally's counts."""
        ledger = self.ledger
        now = self.env._now  # noqa: SLF001 - env.now, without the property call
        self.snapshots += self._pack(
            now,
            *ledger.open_by_stage,
            *self.closed_by_tier,
            len(ledger.open),
            ledger.created,
            ledger.closed,
            ledger.abandoned,
            *chain.from_iterable(map(TALLY_COUNTS, self._tallies)),
        )
        self.last_sample = now

    def process(self) -> Generator:
        """SimPy process of the first snapshot; a callback chain takes one every ``interval`` hours
        after it.

        The first snapshot waits for SimPy to start the process, so the policies' own
        processes, started before it, have set up first. The chain is one event per
        snapshot, with no generator to resume.
        """
        self._tick_callback = self._tick  # bound once, not per snapshot
        self._tick(None)
        yield from ()

    def _tick(self, _event: object) -> None:
        self.sample()
        Timeout(self.env, self.interval).callbacks.append(self._tick_callback)

    def frame(self) -> pd.DataFrame:
        """The time series: a row per (sample, tier) with the COLUMNS, flows per interval."""
        n_stages, n_tiers, n_tallies = len(STAGES), len(TIERS), len(self._tallies)
        snapshots = np.frombuffer(self.snapshots, dtype="<i8").reshape(-1, self.width)
        n = len(snapshots)
        time = snapshots[:, 0].view("<f8")
        open_by_stage, closed_by_tier, totals, tallies = np.split(
            snapshots[:, 1:], np.cumsum([n_stages, n_tiers, 4]), axis=1
        )
        tallies = tallies.reshape(n, n_tallies, 4)  # TALLY_COUNTS per tally
        counts = np.zeros((n, len(TIER_NAMES), len(COUNTS)), dtype=np.int64)
        for stage, tally in enumerate(self._tally_of_stage):
            counts[:, stage, OPEN] = open_by_stage[:, stage]
            if tally >= 0:
                counts[:, stage, QUEUED : QUEUED + 3] = tallies[
                    :, tally, :3
                ]  # queued, in service, staff
                counts[:, stage, ARRIVED] = tallies[:, tally, 3]
            if STAGES[stage] in TIERS:
                counts[:, stage, CLOSED] = closed_by_tier[:, TIERS.index(STAGES[stage])]
        counts[:, CITY, OPEN] = totals[:, 0]  # every open case
        counts[:, CITY, QUEUED : QUEUED + 3] = tallies[:, :, :3].sum(axis=1)
        counts[:, CITY, FLOWS] = totals[:, 1:]  # created, closed, abandoned
        # The flows are running totals in the snapshots: the flow of an interval is the difference.
        counts[1:, :, FLOWS] = np.diff(counts[:, :, FLOWS], axis=0)
        frame = pd.DataFrame(counts.reshape(-1, len(COUNTS)), columns=list(COUNTS), copy=False)
        tiers = np.tile(np.arange(len(TIER_NAMES)), n)
        frame.insert(0, "tier", cast(Any, pd.Categorical.from_codes(tiers, pd.Index(TIER_NAMES))))
        frame.insert(0, "time", np.repeat(time, len(TIER_NAMES)))
        return frame
