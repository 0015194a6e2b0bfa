"""Streaming tallies of work orders by where the problem is: per street and per grid kind.

The equity outcomes (:mod:`govsim.results.equity`) ask who waits longest and where. The
assessed units of :class:`~govsim.engine.statistics.RunStatistics` cannot say: a work order
a department closed is assessed to the department. Here each work order (a case sent out to
a handling unit: ``dispatched`` is set, so neither a consultation nor an abandoned call)
counts in the street of its grid and in its grid's kind, binned by the day it was created,
so every figure takes a warm-up like the others. Beside its time to close, which the run
statistics keep anyway, each closed case keeps its grid (-1 for no work order) and its
category there: 6 bytes, for exact per-street quantiles and the ratio of time to close to
its urgency limit. The tallies fill from the same chunks as the run statistics and leave the
simulation as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from govsim.core.codes import BASIC, CLOSED, FIXED, OPEN, SATISFIED

if TYPE_CHECKING:
    from govsim.engine.recording.tables import Columns
    from govsim.network.city import CityLayout

PLACE_COUNTERS = (
    "work_orders",
    "closed",
    "open_at_end",
    "due",
    "on_time",
    "valid",
    "resolved",
    "satisfied",
    "basic",
    "judged",
    "judged_fixed",
)
"""Per (creation day, place), over work orders: created; closed; still open at the end; the
counts of the three rates (as :data:`~govsim.engine.statistics.UNIT_COUNTERS`); closed with a
judged outcome, and of those FIXED (the true fix rate, runs with problems)."""


@dataclass(frozen=True)
class PlaceNames:
    """The places work orders are counted in: streets, then grid kinds; and the lookups."""

    streets: list[str]
    kinds: list[str]
    grid_kind: np.ndarray
    """Kind code of each grid (index into ``kinds``)."""
    grid_street: np.ndarray
    """Street code of each grid."""
    population: np.ndarray
    """Residents of each place (streets, then grid kinds)."""

    @property
    def size(self) -> int:
        return len(self.streets) + len(self.kinds)


def place_names(layout: CityLayout) -> PlaceNames:
    """The streets and grid kinds of ``layout`` (kinds in order of first appearance), with
    their residents."""
    kinds = list(dict.fromkeys(g.kind for g in layout.grids))
    grid_kind = np.array([kinds.index(g.kind) for g in layout.grids], dtype=np.int64)
    people = layout.grid_population()
    by_street = np.bincount(layout.grid_street(), people, minlength=len(layout.streets))
    by_kind = np.bincount(grid_kind, people, minlength=len(kinds))
    return PlaceNames(
        streets=[s.name for s in layout.streets],
        kinds=kinds,
        grid_kind=grid_kind,
        grid_street=layout.grid_street(),
        population=np.concatenate([by_street, by_kind]).astype(np.int64),
    )


class PlaceTallies:
    """Counters per (counter, creation day, place); the closed work orders' grids and times
    are kept by the run statistics (``RunStatistics.closed_orders``)."""

    def __init__(self, days: int, names: PlaceNames) -> None:
        self.days = days
        self.names = names
        self.counts = np.zeros((len(PLACE_COUNTERS), days * names.size), dtype=np.int64)

    def add(
        self,
        c: Columns,
        day: np.ndarray,
        due: np.ndarray,
        on_time: np.ndarray,
        judged: np.ndarray,
    ) -> None:
        """Tally a chunk's work orders; ``day``, ``due``, ``on_time`` and ``judged`` are per
        case, as the run statistics assess them."""
        orders = ~np.isnan(c["dispatched"])
        if not orders.any():
            return
        status, outcome, satisfaction = c["status"], c["outcome"], c["satisfaction"]
        closed = status == CLOSED
        size = self.names.size
        # Keys within the chunk's days only (as RunStatistics.add): not every day of the run.
        first_day, last_day = int(day[orders].min()), int(day[orders].max())
        days = slice(first_day * size, (last_day + 1) * size)
        base = (day[orders] - first_day) * size
        keys = np.concatenate(
            [
                base + c["street"][orders],
                base + len(self.names.streets) + self.names.grid_kind[c["grid"][orders]],
            ]
        )
        flags = {
            "work_orders": None,
            "closed": closed,
            "open_at_end": status == OPEN,
            "due": due,
            "on_time": on_time,
            "valid": ~np.isnan(c["callback"]),
            "resolved": c["resolved"] == 1,
            "satisfied": satisfaction == SATISFIED,
            "basic": satisfaction == BASIC,
            "judged": judged,
            "judged_fixed": judged & (outcome == FIXED),
        }
        for row, name in enumerate(PLACE_COUNTERS):
            mask = flags[name]
            picked = keys if mask is None else keys[np.tile(mask[orders], 2)]
            self.counts[row, days] += np.bincount(picked, minlength=days.stop - days.start)

    def table(self, first_day: int = 0) -> np.ndarray:
        """Counters per (counter, place), summed over the days from ``first_day``."""
        counts = self.counts.reshape(len(PLACE_COUNTERS), self.days, self.names.size)
        return counts[:, first_day:, :].sum(axis=1)
