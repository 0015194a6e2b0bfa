"""Unequal places: residents per grid from where a log's appeals come, when the log says so.

The model's appeal rates are per resident and alike everywhere, so a street that appeals
twice as much as its residents predict can only be given twice the residents. When the
likelihood-ratio test of population-proportional streets
(:func:`govsim.fitting.arrivals.fit_arrivals`) rejects at ``ALPHA``, the fitted city is
written explicitly: the base's districts, streets and grids by name and kind, the base's
total residents dealt to streets by their share of the log's first contacts, and within a
street to its residential grids by their share (by the base's proportions where the log
gives no grid). Staff stay the base's (per unit where the base gives them), so a busy
street's queue comes back. Below ``ALPHA`` the base's city is kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from govsim.engine.agents.handlers import largest_remainders
from govsim.fitting.arrivals import ArrivalFit
from govsim.fitting.data import FitData

ALPHA = 0.001
"""Significance at which streets' volumes count as unequal (assumed: strict, so a city of
equal streets keeps its synthetic layout but for one log in a thousand)."""


def unequal_city(data: FitData, arrivals: ArrivalFit) -> tuple[dict[str, Any] | None, str]:
    """The explicit city to write (None: keep the base's) and a line saying why."""
    p = arrivals.proportionality.get("p", float("nan"))
    if not np.isfinite(p) or p >= ALPHA:
        return None, f"streets' volumes follow their residents (LR test p = {p:.3g}): city kept"
    layout = data.layout
    first = data.first
    n_streets, n_grids = len(layout.streets), len(layout.grids)
    per_street = np.bincount(data.codes.street[first], minlength=n_streets).astype(float)
    base_pop = layout.grid_population().astype(float)
    grid_street = layout.grid_street()
    total = base_pop.sum()
    street_pop = total * per_street / per_street.sum()
    has_grid = data.has("grid")
    per_grid = (
        np.bincount(data.codes.grid[first & (data.codes.grid >= 0)], minlength=n_grids).astype(
            float
        )
        if has_grid
        else base_pop.copy()
    )
    weights = np.where(base_pop > 0, per_grid, 0.0)
    population = np.zeros(n_grids)
    for s in range(n_streets):
        mine = grid_street == s
        w = weights[mine]
        if w.sum() <= 0:
            w = base_pop[mine]
        if w.sum() > 0:
            population[mine] = street_pop[s] * w / w.sum()
    counts = largest_remainders(int(round(total)), population / population.sum())
    city = _explicit(data, counts)
    return city, (
        f"streets' volumes do not follow their residents (LR test p = {p:.3g}): residents "
        f"dealt to streets and grids by their shares of the log's first contacts "
        f"({int(per_street.sum()):,}), {int(round(total)):,} in all as in the base"
    )


def _explicit(data: FitData, population: list[int]) -> dict[str, Any]:
    """The base's city as explicit lists with ``population`` per grid."""
    scenario = data.scenario
    layout = data.layout
    given = scenario.city.districts
    districts: list[dict[str, Any]] = []
    for d, district in enumerate(layout.districts):
        entry: dict[str, Any] = {"name": district.name}
        if given is not None and given[d].staff is not None:
            entry["staff"] = given[d].staff
        entry["streets"] = []
        districts.append(entry)
    street_entries: list[dict[str, Any]] = []
    given_streets = [s for d in given for s in d.streets] if given is not None else None
    for s, street in enumerate(layout.streets):
        entry = {"name": street.name}
        if street.kind and street.kind != "street":
            entry["kind"] = street.kind
        if given_streets is not None and given_streets[s].staff is not None:
            entry["staff"] = given_streets[s].staff
        entry["grids"] = []
        districts[street.parent]["streets"].append(entry)
        street_entries.append(entry)
    given_grids = [g for s in given_streets for g in s.grids] if given_streets is not None else None
    for g, grid in enumerate(layout.grids):
        item: dict[str, Any] = {"name": grid.name, "population": population[g]}
        if grid.kind and grid.kind != "community":
            item["kind"] = grid.kind
        if given_grids is not None and given_grids[g].workers is not None:
            item["workers"] = given_grids[g].workers
        street_entries[grid.parent]["grids"].append(item)
    return {"synthetic": None, "districts": districts}
