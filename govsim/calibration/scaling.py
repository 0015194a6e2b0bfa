"""Population-scaled copies of a synthetic city: what the calibration simulates.

A year of Beijing is 24 million cases; the calibration simulates instead a copy with
21 of its 343 streets (1 : 16.3) whose every grid, street and district carries the load
it carries in the full city. Counts of the copy divided by the scale factor stand for
the city; docs/calibration.md checks the copy against the full city on a short horizon.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from govsim.calibration.expected import hourly_offered_load, population_of, shift_plan
from govsim.scenario.loader import merge, validate
from govsim.scenario.schema import Scenario

SCALED_STREETS = 21
"""Streets in the scaled copy of Beijing: 21 of 343 (1 : 16.3), one district of 21 streets,
as a Beijing district has 343 / 16 = 21.4 streets."""


def scaled_changes(scenario: Scenario, streets: int) -> dict[str, Any]:
    """The keys that turn a synthetic city into a copy with ``streets`` streets.

    Streets, grids, residents, townships, grid kinds, departments' staff and sunk staff are
    multiplied by f = streets / streets of the city; districts become max(1, round(districts
    x f)) with their staff scaled to the streets they serve; the hotline keeps each hour's
    Halfin-Whitt staffing parameter (below). Per-unit staffing (grid workers, street staff)
    is unchanged, so each grid, street and district carries the load it carries in the city.
    """
    syn = scenario.city.synthetic
    if syn is None:
        raise ValueError("only synthetic cities can be scaled")
    f = streets / syn.streets
    districts = max(1, round(syn.districts * f))
    grids = max(streets, round(syn.grids * f))
    city: dict[str, Any] = {
        "districts": districts,
        "streets": streets,
        "townships": round(syn.townships * f),
        "grids": grids,
        "population": round(syn.population * f),
        "district_names": syn.district_names[:districts] if syn.district_names else None,
        "street_names": None,
        "grid_kinds": None,
    }
    if syn.grid_kinds:
        kinds = {k: round(n * f) for k, n in syn.grid_kinds.items()}
        biggest = max(kinds, key=lambda k: kinds[k])
        kinds[biggest] += grids - sum(kinds.values())
        city["grid_kinds"] = {k: n for k, n in kinds.items() if n > 0}
    per_district = (streets / districts) / (syn.streets / syn.districts)
    staffing: dict[str, Any] = {
        "district_staff": round(scenario.staffing.district_staff * per_district)
    }
    if scenario.staffing.grid_sunk is not None:
        sunk = scenario.staffing.grid_sunk.model_dump(mode="json")
        for key in ("departments", "street_offices", "auxiliaries", "community"):
            sunk[key] = round(sunk[key] * f)
        staffing["grid_sunk"] = sunk
    departments = [
        {"name": d.name, "staff": max(1, round(d.staff * f)) if d.staff else 0}
        for d in scenario.departments
    ]
    return {
        "name": f"{scenario.name}-s{streets}",
        "description": f"{scenario.name} scaled to {streets} of {syn.streets} streets "
        f"(1 : {1 / f:.1f}): residents, units and staff pools in proportion (the hotline at "
        "the city's Halfin-Whitt staffing), unit staffing unchanged.",
        "city": {"synthetic": city},
        "staffing": staffing,
        "departments": departments,
        "hotline": {"operators": _scaled_operators(scenario, f)},
    }


def _scaled_operators(scenario: Scenario, f: float) -> int | list[int]:
    """The hotline is one pool: in proportion, a small copy would make callers wait (and hang
    up) far more than the city's. Keep instead each hour's Halfin-Whitt parameter
    beta = (operators - load) / sqrt(load), i.e. the city's chance that a caller waits."""
    load = hourly_offered_load(scenario)
    operators = []
    for n, a in zip(shift_plan(scenario), load, strict=True):
        if a <= 0 or n <= a:
            operators.append(max(1, round(n * f)) if n else 0)
        else:
            beta = (n - a) / math.sqrt(a)
            operators.append(max(1, math.ceil(f * a + beta * math.sqrt(f * a))))
    if not isinstance(scenario.hotline.operators, list):
        return max(operators)
    return operators


def scaled_copy(scenario: Scenario, streets: int = SCALED_STREETS) -> Scenario:
    """The scenario with its city scaled to ``streets`` streets, validated."""
    data = merge(scenario.model_dump(mode="json"), scaled_changes(scenario, streets))
    return validate(data, source=f"<{scenario.name} scaled to {streets} streets>")


def scale_factor(full: Scenario, copy: Scenario) -> float:
    """Residents of the copy over residents of the full city (arrivals scale with them)."""
    return population_of(copy) / population_of(full)


def scaled_file_text(scenario: Scenario, base: Path, streets: int = SCALED_STREETS) -> str:
    """The generated scenario file of a scaled copy (for ``govsim experiment run``).

    ``base`` is the full scenario's file as the generated file refers to it (relative to the
    generated file's folder).
    """
    changes = scaled_changes(scenario, streets)
    header = (
        f"# Generated by govsim calibrate from scenarios/{base.name}:\n"
        f"# do not edit; rerun it. {changes['description']}\n"
    )
    body = yaml.safe_dump(
        {"base": str(base), **changes},
        sort_keys=False,
        allow_unicode=True,
        width=110,
        default_flow_style=None,
    )
    return header + str(body)
