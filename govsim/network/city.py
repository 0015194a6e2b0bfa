"""The jurisdiction as flat lists of units (what the simulation indexes into).

Districts contain streets/townships, which contain community grids; departments are
city-wide. Every unit knows its parent by index, so a case carries a few integers
rather than references.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from govsim.scenario.city_names import spread, synthetic_names
from govsim.scenario.schema import Scenario


@dataclass(frozen=True)
class Unit:
    name: str
    tier: str
    staff: int
    parent: int = -1
    population: int = 0
    kind: str = ""
    old_compound: bool = False


@dataclass
class CityLayout:
    districts: list[Unit] = field(default_factory=list)
    streets: list[Unit] = field(default_factory=list)
    grids: list[Unit] = field(default_factory=list)
    departments: list[Unit] = field(default_factory=list)

    @property
    def population(self) -> int:
        return sum(g.population for g in self.grids)

    def grid_street(self) -> np.ndarray:
        return np.array([g.parent for g in self.grids], dtype=np.int64)

    def street_district(self) -> np.ndarray:
        return np.array([s.parent for s in self.streets], dtype=np.int64)

    def grid_population(self) -> np.ndarray:
        return np.array([g.population for g in self.grids], dtype=np.int64)


def build_city(scenario: Scenario) -> CityLayout:
    """Lay out the city of ``scenario`` (synthetic counts or explicit lists)."""
    layout = CityLayout(
        departments=[Unit(d.name, "department", d.staff) for d in scenario.departments]
    )
    staffing = scenario.staffing
    if scenario.city.synthetic is not None:
        _synthetic(layout, scenario)
        _add_sunk_staff(layout, scenario)
        return layout
    for d_spec in scenario.city.districts or []:
        d = len(layout.districts)
        layout.districts.append(
            Unit(d_spec.name, "district", _or(d_spec.staff, staffing.district_staff))
        )
        for s_spec in d_spec.streets:
            s = len(layout.streets)
            layout.streets.append(
                Unit(
                    s_spec.name,
                    "street",
                    _or(s_spec.staff, staffing.street_staff),
                    parent=d,
                    kind=s_spec.kind,
                )
            )
            for g_spec in s_spec.grids:
                layout.grids.append(
                    Unit(
                        g_spec.name,
                        "grid",
                        _or(g_spec.workers, staffing.grid_workers),
                        parent=s,
                        population=g_spec.population,
                        kind=g_spec.kind,
                        old_compound=g_spec.old_compound,
                    )
                )
    _add_sunk_staff(layout, scenario)
    return layout


def _add_sunk_staff(layout: CityLayout, scenario: Scenario) -> None:
    """Add the on-duty equivalents of the staff sunk into the grids, spread evenly over all
    grids."""
    sunk = scenario.staffing.grid_sunk
    if sunk is None or not layout.grids:
        return
    extra = _split(sunk.on_duty, len(layout.grids))
    layout.grids[:] = [
        replace(g, staff=g.staff + int(n)) for g, n in zip(layout.grids, extra, strict=True)
    ]


RESIDENTIAL = ("community", "village")


def _synthetic(layout: CityLayout, scenario: Scenario) -> None:
    spec = scenario.city.synthetic
    assert spec is not None
    staffing = scenario.staffing
    names, street_names, grid_names = synthetic_names(
        spec.districts, spec.streets, spec.grids, spec.district_names, spec.street_names
    )
    for name in names:
        layout.districts.append(Unit(name, "district", staffing.district_staff))
    first_township = spec.streets - spec.townships
    for s, d in enumerate(spread(spec.streets, spec.districts)):
        kind = "township" if s >= first_township else "street"
        layout.streets.append(
            Unit(street_names[s], "street", staffing.street_staff, parent=d, kind=kind)
        )
    kinds = [
        kind for kind, n in (spec.grid_kinds or {"community": spec.grids}).items() for _ in range(n)
    ]
    # Deal kinds round-robin so each street gets a fair mix, not all road grids in the last one.
    kinds = [kinds[i] for i in _interleave(len(kinds), spec.streets)]
    grid_street = np.array(spread(spec.grids, spec.streets), dtype=np.int64)
    residential = np.array([kind in RESIDENTIAL for kind in kinds])
    if spec.population_dispersion or spec.grid_dispersion:
        population = _dispersed(scenario, grid_street, residential)
    else:
        population = np.zeros(spec.grids, dtype=np.int64)
        population[residential] = _split(spec.population, int(residential.sum()))
    old = _old_compounds(scenario, residential)
    for g, s in enumerate(grid_street):
        layout.grids.append(
            Unit(
                grid_names[g],
                "grid",
                staffing.grid_workers,
                parent=int(s),
                population=int(population[g]),
                kind=kinds[g],
                old_compound=bool(old[g]),
            )
        )
    if spec.staff_by_population or spec.staff_dispersion:
        _staff_by_street(layout, scenario)


def _layout_rng(scenario: Scenario, purpose: int) -> np.random.Generator:
    """The layout's generator for one ``purpose`` (0 streets, 1 grids, 2 staff, 3 old
    compounds): seeded from ``city.synthetic.layout_seed`` only, never the run's seed, and one
    per purpose, so that switching one dispersion on leaves the others' draws as they were."""
    spec = scenario.city.synthetic
    assert spec is not None
    return np.random.default_rng([spec.layout_seed, purpose])


def _lognormal(rng: np.random.Generator, n: int, cv: float) -> np.ndarray:
    """``n`` lognormal factors of mean 1 and coefficient of variation ``cv`` (ones if 0)."""
    if cv == 0:
        return np.ones(n)
    sigma = math.sqrt(math.log1p(cv * cv))
    return rng.lognormal(-sigma * sigma / 2, sigma, n)


def _dispersed(scenario: Scenario, grid_street: np.ndarray, residential: np.ndarray) -> np.ndarray:
    """Residents per grid, unevenly: each street's share is its residential grids' times a
    lognormal factor (CV ``population_dispersion``), each residential grid's share of its
    street a lognormal factor (CV ``grid_dispersion``); integers by largest remainders, so
    that they add up to the city's population and each street's exactly."""
    spec = scenario.city.synthetic
    assert spec is not None
    street_factor = _lognormal(_layout_rng(scenario, 0), spec.streets, spec.population_dispersion)
    grid_factor = _lognormal(_layout_rng(scenario, 1), spec.grids, spec.grid_dispersion)
    homes = np.bincount(grid_street, weights=residential, minlength=spec.streets)
    street_weight = homes * street_factor
    streets = largest_remainders(spec.population, street_weight / street_weight.sum())
    population = np.zeros(spec.grids, dtype=np.int64)
    weight = residential * grid_factor
    for s, residents in enumerate(streets):
        grids = np.flatnonzero((grid_street == s) & residential)
        if len(grids):
            share = weight[grids] / weight[grids].sum()
            population[grids] = largest_remainders(residents, share)
    return population


def _old_compounds(scenario: Scenario, residential: np.ndarray) -> np.ndarray:
    """Which grids are old compounds: ``places.old_compounds.share`` of the residential grids
    (rounded), drawn from the layout seed."""
    old = np.zeros(len(residential), dtype=bool)
    share = scenario.places.old_compounds.share
    if share:
        homes = np.flatnonzero(residential)
        count = round(share * len(homes))
        old[_layout_rng(scenario, 3).choice(homes, size=count, replace=False)] = True
    return old


def _staff_by_street(layout: CityLayout, scenario: Scenario) -> None:
    """Street staff and grid workers per street: the ``staffing`` defaults times the street's
    population over the average street's (with ``staff_by_population``) times a lognormal
    factor (CV ``staff_dispersion``); rounded, at least 1 (0 stays 0). A street's grid staff
    is spread evenly over its grids, each at least 1."""
    spec = scenario.city.synthetic
    assert spec is not None
    staffing = scenario.staffing
    streets = len(layout.streets)
    grid_street = layout.grid_street()
    scale = np.ones(streets)
    if spec.staff_by_population:
        residents = np.bincount(grid_street, weights=layout.grid_population(), minlength=streets)
        scale = residents / (residents.sum() / streets)
    scale = scale * _lognormal(_layout_rng(scenario, 2), streets, spec.staff_dispersion)
    grids = np.bincount(grid_street, minlength=streets)
    for s, street in enumerate(layout.streets):
        layout.streets[s] = replace(street, staff=_scaled(staffing.street_staff, scale[s], 1))
        own = np.flatnonzero(grid_street == s)
        staff = _scaled(staffing.grid_workers * int(grids[s]), scale[s], int(grids[s]))
        for g, n in zip(own, _split(staff, len(own)), strict=True):
            layout.grids[g] = replace(layout.grids[g], staff=int(n))


def _scaled(base: int, scale: float, least: int) -> int:
    """``base x scale`` rounded, at least ``least``; a base of 0 stays 0."""
    return 0 if base == 0 else max(least, round(base * scale))


def _interleave(items: int, bins: int) -> list[int]:
    """A permutation taking items in strides of ``bins``, so consecutive runs mix all kinds."""
    return sorted(range(items), key=lambda i: (i % bins, i))


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _split(total: int, parts: int) -> np.ndarray:
    base, rest = divmod(total, parts)
    return np.array([base + (1 if i < rest else 0) for i in range(parts)], dtype=np.int64)


def largest_remainders(total: int, shares: np.ndarray) -> list[int]:
    """``total`` split in proportion to ``shares`` (summing to 1) into integers that sum to it:
    each its floor, then one more to the largest fractional parts (ties to the first)."""
    quotas = total * shares
    counts = np.floor(quotas).astype(int)
    left = total - int(counts.sum())
    if left > 0:
        order = np.argsort(-(quotas - counts), kind="stable")
        counts[order[:left]] += 1
    return [int(c) for c in counts]
