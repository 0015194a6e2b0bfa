"""Streaming tallies of finished cases: what the summary, the KPIs and the outcomes need.

Cases arrive in chunks of numpy columns (:mod:`govsim.engine.recording.cases`). Each chunk is
assessed with vectorised numpy and added into integer counters binned by the day the
case was created and the unit it is assessed to, so nothing per case is kept except
one float per closed case (its time to close, for exact quantiles) and one per case still
open at the end (its age then, for the censoring-aware figures of
:mod:`govsim.results.censoring`). A sweep can therefore switch the per-case table off and
still get every figure, and a city-wide year keeps its memory flat. The results layer names
the counters for its tables (:mod:`govsim.results.kpi_table`, :mod:`govsim.results.summary`).

Assessment rules (the same as :func:`govsim.results.kpis_from_cases.assess`, which computes
them from a cases table and serves as the reference): a case's response is *due* if it came
or the urgency limit passed before the end of the run, and *on time* if it came within the
limit; resolution and satisfaction count valid callbacks, 'basically satisfied' as 0.9.
A work order is assessed to the department that closed it, else to its street;
consultations to the hotline; abandoned calls are not assessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from govsim.core.codes import (
    ABANDONED,
    BASIC,
    CLOSED,
    DEPARTMENT_TIER,
    FIXED,
    HOTLINE_CHANNEL,
    HOTLINE_TIER,
    NOT_FIXABLE,
    NOT_FIXED,
    OPEN,
    SATISFIED,
    STATUSES,
    TIERS,
)
from govsim.core.rates import rates_from_counts

if TYPE_CHECKING:
    from govsim.engine.place_tallies import PlaceTallies
    from govsim.engine.recording.tables import Columns

HOURS_PER_DAY = 24.0
DISTRICT_NEEDED = 2
"""``Case.needed_tier`` of a case beyond the street's powers (TERRITORIAL_TIERS index)."""
BEYOND_STREET, CROSS_DEPARTMENT = 1, 2
"""Kinds of closed cases :meth:`RunStatistics.time_to_close` can select (bit flags)."""

UNIT_COUNTERS = (
    "cases",
    "due",
    "on_time",
    "valid",
    "resolved",
    "judged",
    "judged_fixed",
    "satisfied",
    "basic",
)
"""Per (creation day, assessed unit): the counts the three rates are made of, and the closed
cases with a judged outcome (JUDGED: the handling of a problem behind them was judged), of
those the ones FIXED."""
DAY_COUNTERS = (
    "created",
    "repeats",
    "calls",
    "abandoned_calls",
    "valid_callbacks",
    "judged_callbacks",
    "judged_callbacks_resolved",
    "judged_callbacks_fixed",
    *(f"closed_{tier}" for tier in TIERS),
    *(f"status_{s}" for s in STATUSES),
)
"""Per creation day: counts of all cases (assessed or not). ``judged_callbacks``: closed cases
with a judged outcome and a valid callback (in runs with problems, the closed cases of
problems), the one denominator of the reported resolved share (``_resolved``) and the truly
fixed share (``_fixed``) that :meth:`RunStatistics.resolution_gap` compares."""
JUDGED = (FIXED, NOT_FIXED, NOT_FIXABLE)
"""Outcomes a closed case has when what its handling did was judged (``Case.outcome``): set
by a mechanism for the cases it follows; other closed cases have none, or CONSULTATION."""


def day_index(hours: np.ndarray, days: int) -> np.ndarray:
    """The day (0 .. ``days`` - 1) of each time in hours; times past the last day count in it."""
    return np.minimum((hours // HOURS_PER_DAY).astype(np.int64), days - 1)


@dataclass(frozen=True)
class AssessedUnits:
    """The units cases are assessed to, flattened: the hotline, then departments, then streets."""

    departments: list[str]
    streets: list[str]

    @property
    def size(self) -> int:
        return 1 + len(self.departments) + len(self.streets)

    def frame(self) -> pd.DataFrame:
        """``unit_type`` and ``unit`` per flat unit index."""
        return pd.DataFrame(
            {
                "unit_type": ["hotline"]
                + ["department"] * len(self.departments)
                + ["street"] * len(self.streets),
                "unit": ["12345 hotline", *self.departments, *self.streets],
            }
        )


class RunStatistics:
    """Counters of one run, filled chunk by chunk; queries take a warm-up (hours, whole days)."""

    def __init__(
        self,
        days: int,
        horizon: float,
        category_limits: list[float],
        units: AssessedUnits,
        category_joint: list[bool] | None = None,
        places: PlaceTallies | None = None,
    ) -> None:
        self.days = max(days, 1)
        self.horizon = horizon
        self.limits = np.asarray(category_limits, dtype=float)
        """Response time limit by category code (hours)."""
        self.units = units
        self.unit_counts = np.zeros((len(UNIT_COUNTERS), self.days * units.size), dtype=np.int64)
        self.day_counts = np.zeros((len(DAY_COUNTERS), self.days), dtype=np.int64)
        self.category_joint = np.asarray(
            category_joint if category_joint is not None else [False] * len(category_limits),
            dtype=bool,
        )
        """Which categories need several departments (their whistled cases are joint)."""
        # Kept per closed case for the whole run (21.9 million in a Beijing year), so in the
        # narrowest types that hold them: a day as int32, the kind as int8, 19 bytes a case
        # with the places' grid and category (hours stay float64: the quantiles reported).
        self._close_days: list[np.ndarray] = []
        self._close_hours: list[np.ndarray] = []
        self._close_kinds: list[np.ndarray] = []
        """Per closed case: BEYOND_STREET if it was a work order beyond the street's powers, plus
        CROSS_DEPARTMENT if its category needs several departments."""
        self._close_grids: list[np.ndarray] = []
        self._close_categories: list[np.ndarray] = []
        """Per closed case, in a run that counts places: its grid (-1 if it was no work order)
        and category, for the time to close by street (:meth:`closed_orders`)."""
        self._open_days: list[np.ndarray] = []
        self._open_ages: list[np.ndarray] = []
        """Per case still open at the end: its creation day and its age then (hours)."""
        self.places = places
        """Work orders by street and grid kind of where the problem is (the equity figures,
        :mod:`govsim.results.equity`); None when the run does not count them."""

    # -- filling -------------------------------------------------------------------------
    def add(self, c: Columns) -> None:
        """Tally one chunk of case columns (codes, times: :mod:`govsim.engine.recording.cases`)."""
        if not len(c["id"]):
            return
        day = day_index(c["created"], self.days)
        status, tier = c["status"], c["final_tier"]
        count = self._day_counter(day)
        count("created", None)
        count("repeats", c["repeat_of"] >= 0)
        calls = c["channel"] == HOTLINE_CHANNEL
        count("calls", calls)
        count("abandoned_calls", calls & (status == ABANDONED))
        valid = ~np.isnan(c["callback"])
        count("valid_callbacks", valid)
        for code, name in enumerate(TIERS):
            count(f"closed_{name}", (status == CLOSED) & (tier == code))
        for code, name in enumerate(STATUSES):
            count(f"status_{name}", status == code)

        closed = status == CLOSED
        judged = closed & np.isin(c["outcome"], JUDGED)
        judged_callbacks = judged & valid
        count("judged_callbacks", judged_callbacks)
        count("judged_callbacks_resolved", judged_callbacks & (c["resolved"] == 1))
        count("judged_callbacks_fixed", judged_callbacks & (c["outcome"] == FIXED))
        still_open = status == OPEN
        self._open_days.append(day[still_open].astype(np.int32))
        self._open_ages.append(self.horizon - c["created"][still_open])
        self._close_days.append(day[closed].astype(np.int32))
        self._close_hours.append(c["closed"][closed] - c["created"][closed])
        beyond = (c["needed_tier"][closed] == DISTRICT_NEEDED) & (tier[closed] != HOTLINE_TIER)
        kinds = (
            beyond * BEYOND_STREET
            + (beyond & self.category_joint[c["category"][closed]]) * CROSS_DEPARTMENT
        )
        self._close_kinds.append(kinds.astype(np.int8))
        if self.places is not None:
            order = ~np.isnan(c["dispatched"][closed])
            self._close_grids.append(np.where(order, c["grid"][closed], -1).astype(np.int32))
            self._close_categories.append(c["category"][closed].astype(np.int16))

        assessed = status != ABANDONED
        unit = np.where(
            tier == HOTLINE_TIER,
            0,
            np.where(
                tier == DEPARTMENT_TIER,
                1 + c["department"],
                1 + len(self.units.departments) + c["street"],
            ),
        )
        # Keys within the chunk's days only: its cases come from a few days, and counting and
        # adding every day of the run (a year of Beijing: 366 days x some 400 units) per chunk
        # cost more than the counting.
        first_day, last_day, size = int(day.min()), int(day.max()), self.units.size
        days = slice(first_day * size, (last_day + 1) * size)
        key = ((day - first_day) * size + unit)[assessed]
        limit = self.limits[c["category"]]
        created, first = c["created"], c["first_response"]
        due = ~np.isnan(first) | (created + limit <= self.horizon)
        on_time = due & (first - created <= limit)
        if self.places is not None:
            self.places.add(c, day, due, on_time, judged)
        satisfaction = c["satisfaction"][assessed]
        flags = {
            "cases": None,
            "due": due[assessed],
            "on_time": on_time[assessed],
            "valid": valid[assessed],
            "resolved": c["resolved"][assessed] == 1,
            "judged": judged[assessed],
            "judged_fixed": judged[assessed] & (c["outcome"][assessed] == FIXED),
            "satisfied": satisfaction == SATISFIED,
            "basic": satisfaction == BASIC,
        }
        for row, name in enumerate(UNIT_COUNTERS):
            picked = key if flags[name] is None else key[flags[name]]
            self.unit_counts[row, days] += np.bincount(picked, minlength=days.stop - days.start)

    def _day_counter(self, day: np.ndarray):
        def count(name: str, mask: np.ndarray | None) -> None:
            picked = day if mask is None else day[mask]
            self.day_counts[DAY_COUNTERS.index(name)] += np.bincount(picked, minlength=self.days)

        return count

    # -- queries ---------------------------------------------------------------------------
    def first_day(self, warmup_hours: float) -> int:
        """The first counted day for a warm-up, which must be whole days."""
        days = warmup_hours / HOURS_PER_DAY
        if days != int(days):
            raise ValueError(f"warm-up must be whole days, got {warmup_hours} hours")
        return int(days)

    def day_total(self, name: str, warmup_hours: float = 0.0) -> int:
        return int(self.day_counts[DAY_COUNTERS.index(name), self.first_day(warmup_hours) :].sum())

    def unit_table(self, warmup_hours: float = 0.0) -> np.ndarray:
        """Counters per (counter, day, unit) from the first day after warm-up."""
        table = self.unit_counts.reshape(len(UNIT_COUNTERS), self.days, self.units.size)
        return table[:, self.first_day(warmup_hours) :, :]

    def rates(self, warmup_hours: float = 0.0) -> dict[str, float]:
        """Response, resolution and satisfaction rates (NaN without a denominator)."""
        totals = dict(
            zip(UNIT_COUNTERS, self.unit_table(warmup_hours).sum(axis=(1, 2)), strict=True)
        )
        return rates_from_counts(totals)

    def time_to_close(self, warmup_hours: float = 0.0, kind: int = 0) -> np.ndarray:
        """Hours from appeal to closing of closed cases created after warm-up (in recording
        order); with ``kind`` (BEYOND_STREET or CROSS_DEPARTMENT) only the cases of that kind."""
        if not self._close_days:
            return np.empty(0)
        days, hours, kinds = self._closed()[:3]
        counted = days >= self.first_day(warmup_hours)
        if kind:
            counted &= (kinds & kind) == kind
        return hours[counted]

    def closed_orders(self, warmup_hours: float = 0.0) -> tuple[np.ndarray, ...]:
        """Grid, category and hours to close of the closed work orders created after warm-up
        (in recording order); empty unless the run counts places."""
        if not self._close_grids:
            none = np.empty(0, dtype=np.int32)
            return none, none, np.empty(0)
        days, hours, _, grids, categories = self._closed()
        kept = (days >= self.first_day(warmup_hours)) & (grids >= 0)
        return grids[kept], categories[kept], hours[kept]

    def _closed(self) -> tuple[np.ndarray, ...]:
        """The closed cases' arrays, concatenated once, not per query."""
        lists = (
            self._close_days,
            self._close_hours,
            self._close_kinds,
            self._close_grids,
            self._close_categories,
        )
        joined = []
        for chunks in lists:  # one list at a time: its chunks are freed before the next is joined
            whole = np.concatenate(chunks) if chunks else np.empty(0)
            chunks[:] = [whole] if chunks else []
            joined.append(whole)
        return tuple(joined)

    def open_ages(self, warmup_hours: float = 0.0) -> np.ndarray:
        """Ages at the end of the run (hours) of the cases still open then, created after
        warm-up: what :meth:`time_to_close` leaves out."""
        if not self._open_days:
            return np.empty(0)
        days, ages = np.concatenate(self._open_days), np.concatenate(self._open_ages)
        self._open_days, self._open_ages = [days], [ages]
        return ages[days >= self.first_day(warmup_hours)]

    def open_share(self, warmup_hours: float = 0.0) -> float:
        """Cases still open at the end over cases created, both after warm-up."""
        created = self.day_total("created", warmup_hours)
        return len(self.open_ages(warmup_hours)) / created if created else float("nan")

    def resolution_gap(self, warmup_hours: float = 0.0) -> dict[str, float]:
        """Over closed cases with a judged outcome and a valid callback (one denominator for
        both; in runs with problems, the closed cases of problems): the share reported
        resolved, the share judged FIXED, and the gap (reported minus truly fixed); NaN
        without such cases."""
        n = self.day_total("judged_callbacks", warmup_hours)
        if not n:
            return dict.fromkeys(("reported_resolved", "truly_fixed", "gap"), float("nan"))
        resolved = self.day_total("judged_callbacks_resolved", warmup_hours) / n
        fixed = self.day_total("judged_callbacks_fixed", warmup_hours) / n
        return {"reported_resolved": resolved, "truly_fixed": fixed, "gap": resolved - fixed}

    def closed_by_tier(self, warmup_hours: float = 0.0) -> dict[str, int]:
        return {t: self.day_total(f"closed_{t}", warmup_hours) for t in TIERS}
