"""Time series of the system state, sampled at a fixed interval.

One row per (time, tier): open cases at that stage, queued and in service at the
tier's units, staff on duty, and flows during the interval just ended (cases that
entered the tier's units, cases closed there). The ``city`` row counts cases created,
closed and abandoned city-wide and all open cases.
"""

from __future__ import annotations

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
NO_UNITS = TierTally()
"""The all-zero totals of a stage without units of its own (orders in transit)."""


class Monitor:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.interval = model.scenario.output.timeseries_interval_hours
        self.rows: list[tuple] = []
        self._tallies: dict[str, TierTally] = {}
        self._tier_code = [TIERS.index(stage) if stage in TIERS else None for stage in STAGES]
        self._last_arrived = [0] * len(STAGES)
        self._last_closed = [0] * len(STAGES)
        self._last_city = (0, 0, 0)

    def start(self) -> None:
        """Look up the tiers' running totals once (the pools keep them up to date)."""
        model = self.model
        self._tallies = {"hotline": model.hotline.pool.tally, **model.handlers.tallies}

    def sample(self) -> None:
        model = self.model
        now = model.env.now
        ledger = model.ledger
        open_by_stage = ledger.open_by_stage
        closed_by_tier = model.closed_by_tier
        rows = self.rows
        for i, stage in enumerate(STAGES):
            tally = self._tallies.get(stage, NO_UNITS)
            code = self._tier_code[i]
            closed = closed_by_tier[code] if code is not None else 0
            rows.append((now, i, open_by_stage[i], tally.queued, tally.busy, tally.capacity,
                         tally.arrived - self._last_arrived[i], closed - self._last_closed[i], 0))
            self._last_arrived[i] = tally.arrived
            self._last_closed[i] = closed
        city = (ledger.created, ledger.closed, ledger.abandoned)
        tallies = self._tallies.values()
        rows.append((
            now, CITY, len(ledger.open), sum(t.queued for t in tallies), sum(t.busy for t in tallies),
            sum(t.capacity for t in tallies),
            city[0] - self._last_city[0], city[1] - self._last_city[1], city[2] - self._last_city[2],
        ))
        self._last_city = city

    def process(self) -> Generator:
        env = self.model.env
        self.start()
        while True:
            self.sample()
            yield env.timeout(self.interval)

    def frame(self) -> pd.DataFrame:
        values = np.array(self.rows, dtype=np.float64).reshape(-1, len(COLUMNS))
        frame = pd.DataFrame(values[:, 2:].astype(np.int64), columns=list(COLUMNS[2:]))
        frame.insert(0, "tier", pd.Categorical.from_codes(values[:, 1].astype(np.int64), categories=TIER_NAMES))
        frame.insert(0, "time", values[:, 0])
        return frame
