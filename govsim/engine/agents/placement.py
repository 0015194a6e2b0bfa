"""Where the residents' events fall: which grid, and which resident of it, per category.

Plain, the residents' events of every category fall on the grids by population and on a
grid's residents uniformly (:mod:`govsim.engine.agents.residents`). Mechanisms of unequal
places and unequal residents change that before the residents start, through the run's
:class:`Placement` (``RunParts.placement``, govsim/engine/mechanism.py):

- ``grid_weights`` (categories x grids, resident-equivalents): how much of category c's
  demand grid g holds, relative to one average resident (a grid's population times what
  its kind and its housing raise or lower; a road grid's exposure). None: the populations,
  for every category;
- ``category_factors`` (categories): the city-wide events of a category per resident,
  relative to the category's ``rate`` (a mix of resident groups with their own rates).
  None: 1;
- ``positions`` (per category: two increasing breakpoint arrays ``(cdf, position)`` from 0
  to 1): a uniform draw ``u`` maps to ``np.interp(u, cdf, position)``, the resident's
  position in its grid (resident = grid offset + int(position x population)). None: the
  identity, so residents are uniform within their grid.

Left at None, the draws are exactly those of the plain model (the same random numbers,
used the same way): a mechanism switched off changes nothing.
"""

from __future__ import annotations

import numpy as np


class Placement:
    """The run's placement of the residents' events (see the module docstring)."""

    def __init__(self, categories: int, grid_population: np.ndarray) -> None:
        self.categories = categories
        self.grid_population = grid_population
        """Residents per grid (the layout's), the weights when nothing sets ``grid_weights``."""
        self.grid_weights: np.ndarray | None = None
        """(categories, grids) resident-equivalents; None: ``grid_population`` for each."""
        self.category_factors: np.ndarray | None = None
        """(categories,) events per resident relative to the category's rate; None: 1."""
        self.positions: list[tuple[np.ndarray, np.ndarray]] | None = None
        """Per category, ``(cdf, position)`` breakpoints for ``np.interp``; None: uniform."""

    @property
    def plain(self) -> bool:
        """Nothing set: every category falls by population, uniformly within a grid."""
        return (
            self.grid_weights is None and self.category_factors is None and self.positions is None
        )

    def weights(self) -> np.ndarray:
        """(categories, grids) resident-equivalents, ``grid_population`` where nothing is set."""
        if self.grid_weights is not None:
            return self.grid_weights
        return np.broadcast_to(
            self.grid_population.astype(float), (self.categories, len(self.grid_population))
        )

    def expected_residents(self) -> np.ndarray:
        """(categories,) the city's resident-equivalents per category: the daily events of
        category c are this x rate_c / 1000 (x the day's shapes)."""
        totals = self.weights().sum(axis=1)
        if self.category_factors is not None:
            totals = totals * self.category_factors
        return totals

    def grid_cdfs(self) -> np.ndarray | None:
        """(categories, grids) cumulative shares of each category's events over the grids, or
        None when every category falls by population (one CDF, the plain model's)."""
        if self.grid_weights is None:
            return None
        totals = self.grid_weights.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            cdf = np.cumsum(self.grid_weights, axis=1) / totals
        return np.nan_to_num(cdf, nan=1.0)
