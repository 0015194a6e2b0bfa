"""Time series of the system state, sampled at a fixed interval.

One row per (time, tier): open cases at that stage, queued and in service at the
tier's units, staff on duty, and flows during the interval just ended (cases that
entered the tier's units, cases closed there). The ``city`` row counts cases created,
closed and abandoned city-wide and all open cases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from govsim.case import STAGE, STAGES

if TYPE_CHECKING:
    from collections.abc import Generator

    from govsim.model import Model
    from govsim.servers import ServerPool

COLUMNS = ("time", "tier", "open", "queued", "in_service", "staff", "arrived", "closed", "abandoned")


class Monitor:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.interval = model.scenario.output.timeseries_interval_hours
        self.rows: list[tuple] = []
        self._last_arrived: dict[str, int] = {}
        self._last_closed: dict[str, int] = {}
        self._last_city = (0, 0, 0)
        self._tiers: dict[str, list[ServerPool]] = {}
        self._all_pools: list[ServerPool] = []

    def start(self) -> None:
        """Look up the units once; they do not change during a run (their capacities do)."""
        model = self.model
        self._tiers = {"hotline": [model.hotline.pool], **model.handlers.tier_pools()}
        self._all_pools = [p for pools in self._tiers.values() for p in pools]

    def sample(self) -> None:
        model = self.model
        now = model.env.now
        ledger = model.ledger
        open_by_stage = ledger.open_by_stage
        tiers = self._tiers
        for stage in STAGES:
            pools = tiers.get(stage, [])
            arrived = sum(p.arrived for p in pools)
            closed = model.closed_by_tier.get(stage, 0)
            self.rows.append((
                now, stage, open_by_stage[STAGE[stage]],
                sum(p.queued for p in pools), sum(p.busy for p in pools),
                sum(p.capacity for p in pools),
                arrived - self._last_arrived.get(stage, 0),
                closed - self._last_closed.get(stage, 0), 0,
            ))
            self._last_arrived[stage] = arrived
            self._last_closed[stage] = closed
        city = (ledger.created, ledger.closed, ledger.abandoned)
        all_pools = self._all_pools
        self.rows.append((
            now, "city", len(ledger.open), sum(p.queued for p in all_pools),
            sum(p.busy for p in all_pools), sum(p.capacity for p in all_pools),
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
        frame = pd.DataFrame(self.rows, columns=list(COLUMNS))
        frame["tier"] = pd.Categorical(frame["tier"], categories=[*STAGES, "city"])
        return frame
