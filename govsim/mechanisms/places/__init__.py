"""Unequal places: grid kinds with their own demand and old compounds raising some categories
(docs/model.md).

The modules:

- :mod:`~govsim.mechanisms.places.weights`: each category's resident-equivalents per grid;
- this module: :class:`PlacesMechanism`, which gives them to the run's placement
  (``RunParts.placement.grid_weights``, govsim/engine/agents/placement.py) before the
  residents start, and the ``places`` block of ``summary.json``.

It sets no hook: the residents' draws (and, with problems on, the problems' arising) follow
the weights, and nothing per event is added. Switched off (``places.enabled: false``),
:meth:`PlacesMechanism.from_scenario` returns None; switched on with weights that are the
populations (no exposure, no multipliers), it leaves the placement plain: the run is the
one without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, get_args

import numpy as np

from govsim.core.json_numbers import round_number
from govsim.engine.mechanism import FinishedRun, Mechanism, RunParts
from govsim.mechanisms.places.weights import grid_weights
from govsim.network.city import RESIDENTIAL
from govsim.scenario.places import GridKindName

if TYPE_CHECKING:
    from govsim.scenario.schema import Scenario

GRID_KINDS: tuple[str, ...] = get_args(GridKindName)


class PlacesMechanism(Mechanism):
    """Unequal places, installed into a run (see the module docstring)."""

    name = "places"

    def __init__(self, scenario: Scenario) -> None:
        self.rates = np.array([c.rate for c in scenario.categories])
        """Each category's appeals per 1,000 residents a day: what the summary's expected
        appeals are computed at."""
        self.block: dict[str, Any] = {}

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> PlacesMechanism | None:
        return cls(scenario) if scenario.places.enabled else None

    def install(self, run: RunParts) -> None:
        layout = run.layout
        weights = grid_weights(run.scenario, layout)
        population = layout.grid_population().astype(float)
        if not np.array_equal(weights, np.broadcast_to(population, weights.shape)):
            run.placement.grid_weights = weights
        self.block = _block(weights, self.rates, layout.grids)

    def summary(self, state: FinishedRun) -> dict[str, Any]:
        """The ``places`` block: grids, residents, resident-equivalents and expected appeals a
        day by grid kind, and for old compounds beside the other residential grids."""
        return self.block


def _block(weights: np.ndarray, rates: np.ndarray, grids: list[Any]) -> dict[str, Any]:
    """Per group of grids: how many, their residents, their resident-equivalents (each grid's
    weights averaged over the categories by their rates) and their expected appeals a day
    (weights x rate / 1000, before the day's shapes; with problems on, the appeals the
    categories' rates stand for)."""
    total_rate = rates.sum()
    appeals = rates @ weights / 1000  # per grid
    equivalents = appeals * 1000 / total_rate if total_rate > 0 else weights.mean(axis=0)
    kinds = np.array([g.kind for g in grids])
    residents = np.array([g.population for g in grids])
    old = np.array([g.old_compound for g in grids], dtype=bool)
    residential = np.isin(kinds, RESIDENTIAL)

    def figures(mask: np.ndarray) -> dict[str, Any]:
        return {
            "grids": int(mask.sum()),
            "residents": int(residents[mask].sum()),
            "resident_equivalents": round_number(float(equivalents[mask].sum())),
            "expected_appeals_per_day": round_number(float(appeals[mask].sum())),
        }

    return {
        "by_kind": {kind: figures(kinds == kind) for kind in GRID_KINDS},
        "old_compounds": figures(old),
        "other_residential": figures(residential & ~old),
        "city": figures(np.ones(len(grids), dtype=bool)),
    }
