"""Time series of the system state, sampled at a fixed interval.

One row per (time, tier): open cases at that stage, queued and in service at the
tier's units, staff on duty, and flows during the interval just ended (cases that
entered the tier's units, cases closed there). The ``city`` row counts cases created,
closed and abandoned city-wide and all open cases.
"""

from __future__ import annotations

import math
from array import array
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
"""The flow columns: per interval in the frame, running totals in the rows."""
NO_UNITS = TierTally()
"""The all-zero totals of a stage without units of its own (orders in transit)."""


class Monitor:
    """Samples the state every ``interval`` hours; flows are kept as running totals, differenced in :meth:`frame`."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.interval = model.scenario.output.timeseries_interval_hours
        self.values = array("d")
        """The rows, flattened: COLUMNS per (sample, tier), numbers only (a frame without conversion)."""
        self.last_sample = -math.inf
        self._stages: list[tuple[int, TierTally, int]] = []

    def start(self) -> None:
        """Look up the tiers' running totals once (the pools keep them up to date)."""
        model = self.model
        tallies = {"hotline": model.hotline.pool.tally, **model.handlers.tallies}
        no_tier = len(model.closed_by_tier)  # the index of the 0 appended in sample()
        self._stages = [(i, tallies.get(stage, NO_UNITS), TIERS.index(stage) if stage in TIERS else no_tier)
                        for i, stage in enumerate(STAGES)]
        self._tallies = list(tallies.values())

    def sample(self) -> None:
        model = self.model
        now = model.env.now
        ledger = model.ledger
        open_by_stage = ledger.open_by_stage
        closed_by_tier = [*model.closed_by_tier, 0]
        values = self.values
        for i, tally, tier in self._stages:
            values.extend((now, i, open_by_stage[i], tally.queued, tally.busy, tally.capacity,
                           tally.arrived, closed_by_tier[tier], 0))
        tallies = self._tallies
        values.extend((now, CITY, len(ledger.open), sum(t.queued for t in tallies), sum(t.busy for t in tallies),
                       sum(t.capacity for t in tallies), ledger.created, ledger.closed, ledger.abandoned))
        self.last_sample = now

    def process(self) -> Generator:
        env = self.model.env
        self.start()
        while True:
            self.sample()
            yield env.timeout(self.interval)

    def frame(self) -> pd.DataFrame:
        width = len(COLUMNS)
        values = np.array(self.values, dtype=np.float64).reshape(-1, len(TIER_NAMES), width)
        # The flows are running totals in the rows: the flow of an interval is the difference.
        values[1:, :, FLOWS] = np.diff(values[:, :, FLOWS], axis=0)
        values = values.reshape(-1, width)
        frame = pd.DataFrame(values[:, 2:].astype(np.int64), columns=list(COLUMNS[2:]))
        frame.insert(0, "tier", pd.Categorical.from_codes(values[:, 1].astype(np.int64), categories=TIER_NAMES))
        frame.insert(0, "time", values[:, 0])
        return frame
