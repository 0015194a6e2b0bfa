"""Each category's resident-equivalents per grid: population plus exposure, times the multipliers
of the grid's kind and of old compounds (govsim/scenario/places.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from govsim.network.city import CityLayout
    from govsim.scenario.schema import Scenario


def grid_weights(scenario: Scenario, layout: CityLayout) -> np.ndarray:
    """(categories, grids) resident-equivalents: ``(population + exposure of the grid's kind) x
    the kind's multiplier x the old-compound multiplier`` (a grid is an old compound if the
    layout says so: ``Unit.old_compound``)."""
    places = scenario.places
    code = {c.name: i for i, c in enumerate(scenario.categories)}
    kinds = np.array([g.kind for g in layout.grids])
    exposure = np.zeros(len(kinds))
    for kind, spec in places.kinds.items():
        exposure[kinds == kind] = spec.exposure
    base = layout.grid_population().astype(float) + exposure
    weights = np.tile(base, (len(code), 1))
    for kind, spec in places.kinds.items():
        mask = kinds == kind
        for name, multiplier in spec.rates.items():
            weights[code[name], mask] *= multiplier
    old = np.array([g.old_compound for g in layout.grids], dtype=bool)
    for name, multiplier in places.old_compounds.rates.items():
        weights[code[name], old] *= multiplier
    return weights
