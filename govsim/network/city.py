"""The jurisdiction as flat lists of units (what the simulation indexes into).

Districts contain streets/townships, which contain community grids; departments are
city-wide. Every unit knows its parent by index, so a case carries a few integers
rather than references.
"""

from __future__ import annotations

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
    residential = sum(kind in RESIDENTIAL for kind in kinds)
    population = iter(_split(spec.population, residential))
    for g, s in enumerate(spread(spec.grids, spec.streets)):
        kind = kinds[g]
        layout.grids.append(
            Unit(
                grid_names[g],
                "grid",
                staffing.grid_workers,
                parent=int(s),
                population=int(next(population)) if kind in RESIDENTIAL else 0,
                kind=kind,
            )
        )


def _interleave(items: int, bins: int) -> list[int]:
    """A permutation taking items in strides of ``bins``, so consecutive runs mix all kinds."""
    return sorted(range(items), key=lambda i: (i % bins, i))


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _split(total: int, parts: int) -> np.ndarray:
    base, rest = divmod(total, parts)
    return np.array([base + (1 if i < rest else 0) for i in range(parts)], dtype=np.int64)
