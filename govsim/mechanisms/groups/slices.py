"""Which residents are in which group: a slice of every grid's residents per group.

A resident is an integer id, its grid's offset + its index in the grid
(:mod:`govsim.engine.agents.residents`). Group j holds, in every grid, the residents whose
position index / population lies in [cum_j, cum_{j+1}), cum being the cumulative shares of
the groups in their order: the indices from ceil(cum_j x population) up. The same integer
cuts decide a resident's group everywhere (a problem's, a case's, the cases table's column),
so they always agree. The residents' draws put a position u in [0, 1) on resident
int(u x population): a position next to a cut can fall on the resident across it, one
resident per cut and grid at most.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence


class GroupSlices:
    """The groups' slices of each grid's residents (see the module docstring)."""

    def __init__(self, shares: Sequence[float], grid_population: np.ndarray) -> None:
        share = np.asarray(shares, dtype=float)
        self.shares = share / share.sum()
        """Each group's share of the residents (normalised to sum 1)."""
        cum = np.concatenate([[0.0], np.cumsum(self.shares)])
        cum[-1] = 1.0
        self.cum = cum
        """Cumulative shares: group j holds positions [cum[j], cum[j + 1])."""
        population = np.asarray(grid_population, dtype=np.int64)
        self.offset = np.concatenate([[0], np.cumsum(population)[:-1]]).astype(np.int64)
        self.population = population
        self.cuts = np.ceil(np.outer(population, cum[1:-1])).astype(np.int64)
        """(grids, groups - 1): the first index of groups 1 .. in each grid."""
        self._offset = self.offset.tolist()
        self._cuts = self.cuts.tolist()

    @property
    def count(self) -> int:
        return len(self.shares)

    def group_of(self, grid: int, resident: int) -> int:
        """The group of ``resident`` (an id of ``grid``)."""
        return bisect_right(self._cuts[grid], resident - self._offset[grid])

    def groups_of(self, grids: np.ndarray, residents: np.ndarray) -> np.ndarray:
        """The groups of arrays of residents and their grids (vectorised :meth:`group_of`)."""
        index = residents - self.offset[grids]
        return (index[:, None] >= self.cuts[grids]).sum(axis=1)

    def residents(self) -> np.ndarray:
        """Residents per group, over all grids."""
        bounds = np.column_stack([np.zeros_like(self.population), self.cuts, self.population])
        return np.diff(bounds, axis=1).sum(axis=0)

    def breakpoints(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """``(cdf, position)`` breakpoints for ``np.interp`` that put a uniform draw in group j
        with probability ``weights[j] / weights.sum()``, uniformly inside its slice; None when
        that is the identity (weights proportional to the shares) or no weight is left."""
        total = weights.sum()
        held = self.shares > 0
        ratio = weights[held] / self.shares[held]
        if total <= 0 or (np.all(ratio == ratio[0]) and not weights[~held].any()):
            return None
        cdf = np.concatenate([[0.0], np.cumsum(weights) / total])
        cdf[-1] = 1.0
        return cdf, self.cum.copy()


class Positions:
    """A uniform draw to a position in a grid with ``GroupSlices.breakpoints`` (one draw at a
    time, for the problems' later reporters: ``np.interp`` costs more for a scalar)."""

    def __init__(self, breakpoints: tuple[np.ndarray, np.ndarray]) -> None:
        cdf, position = breakpoints
        self.cdf = list(map(float, cdf))
        self.position = list(map(float, position))
        self.last = len(self.cdf) - 2

    def __call__(self, u: float) -> float:
        cdf, position = self.cdf, self.position
        j = min(bisect_right(cdf, u) - 1, self.last)
        width = cdf[j + 1] - cdf[j]
        if width <= 0.0:
            return position[j]
        return position[j] + (u - cdf[j]) / width * (position[j + 1] - position[j])
