"""The names of a synthetic city's units, made from their place in it unless given: districts
``D01``, streets ``D01-S001``, grids ``D01-S001-G0001``.

:func:`govsim.network.city.build_city` lays the city out with them, and the scenario's checks
refer to them (a policy's grid names must be the city's) without laying the city out.
"""

from __future__ import annotations


def spread(items: int, bins: int) -> list[int]:
    """Bin index of each of ``items`` items spread evenly over ``bins`` bins, in order."""
    return [i * bins // items for i in range(items)]


def synthetic_names(
    districts: int,
    streets: int,
    grids: int,
    district_names: list[str] | None = None,
    street_names: list[str] | None = None,
) -> tuple[list[str], list[str], list[str]]:
    """The names of the districts, streets and grids of a synthetic city of these counts;
    streets are spread evenly over the districts and grids over the streets, in order."""
    d_names = district_names or [f"D{i + 1:02d}" for i in range(districts)]
    s_names = [
        street_names[s] if street_names else f"{d_names[d]}-S{s + 1:03d}"
        for s, d in enumerate(spread(streets, districts))
    ]
    g_names = [f"{s_names[s]}-G{g + 1:04d}" for g, s in enumerate(spread(grids, streets))]
    return d_names, s_names, g_names
