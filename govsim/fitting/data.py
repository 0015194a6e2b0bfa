"""A validated log as the numpy arrays the fits read: codes, hours since its first midnight."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from govsim.core.codes import CHANNELS, SATISFACTION_LEVELS, TIERS
from govsim.data.caselog import TIME_COLUMNS, CaseLog
from govsim.data.places import Codes, place_codes
from govsim.network.city import CityLayout, build_city
from govsim.scenario.schema import Scenario

HOURS_PER_DAY = 24


@dataclass
class FitData:
    """Arrays over the log's rows (sorted by ``created``), and the window they cover.

    Times are hours since ``start``, the midnight of the log's first day, NaN where
    empty; ``days`` whole days are observed, to ``end = 24 * days``. ``settled`` marks
    rows created at least ``settle_hours`` before the end: their outcome (closing tier,
    handling time, callback) has had time to happen, so shares computed on them are not
    biased towards quick cases.
    """

    log: CaseLog
    scenario: Scenario
    layout: CityLayout
    codes: Codes
    start: pd.Timestamp
    days: int
    settle_hours: float
    times: dict[str, np.ndarray]
    first: np.ndarray
    channel: np.ndarray
    tier: np.ndarray
    """Closing tier code (index into TIERS), -1 where not given."""
    counts: dict[str, np.ndarray]
    """escalations, whistles, returns where the log has them (-1 where empty)."""
    resolved: np.ndarray
    """1.0, 0.0 or NaN."""
    satisfaction: np.ndarray
    """Index into SATISFACTION_LEVELS, -1 where not rated."""

    @property
    def end(self) -> float:
        return float(self.days * HOURS_PER_DAY)

    @property
    def n(self) -> int:
        return len(self.first)

    @property
    def settled(self) -> np.ndarray:
        return self.times["created"] <= self.end - self.settle_hours

    def has(self, *columns: str) -> bool:
        return self.log.has(*columns)


def prepare(log: CaseLog, scenario: Scenario, settle_days: float) -> FitData:
    """The arrays of ``log`` against ``scenario``'s city (raises LogError on unknown places)."""
    layout = build_city(scenario)
    codes = place_codes(log, scenario, layout)
    frame = log.frame
    start, days = log.window()
    times = {c: log.hours(c, start) for c in TIME_COLUMNS if c in frame}
    first = log.first_contacts().index
    is_first = frame.index.isin(first)
    channel = _codes(frame["channel"], CHANNELS)
    tier = _codes(frame["closing_tier"], TIERS) if "closing_tier" in frame else _none(len(frame))
    counts = {
        name: frame[name].fillna(-1).to_numpy(dtype=np.int64)
        for name in ("escalations", "whistles", "returns")
        if name in frame
    }
    resolved = (
        frame["resolved"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        if "resolved" in frame
        else np.full(len(frame), np.nan)
    )
    satisfaction = (
        _codes(frame["satisfaction"], SATISFACTION_LEVELS)
        if "satisfaction" in frame
        else _none(len(frame))
    )
    return FitData(
        log,
        scenario,
        layout,
        codes,
        start,
        days,
        settle_days * HOURS_PER_DAY,
        times,
        is_first,
        channel,
        tier,
        counts,
        resolved,
        satisfaction,
    )


def _codes(values: pd.Series, names: tuple[str, ...]) -> np.ndarray:
    return pd.Categorical(values.astype(object), categories=list(names)).codes.astype(np.int64)


def _none(n: int) -> np.ndarray:
    return np.full(n, -1, dtype=np.int64)
