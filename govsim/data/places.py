"""Map a case log's categories and places onto a scenario's city (codes the model indexes by).

A log's category must be one of the scenario's categories, its street one of the city's
streets; a district or grid, where given, must be the street's. The first row that does
not fit is refused with its row and column.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from govsim.data.caselog import CaseLog, shown
from govsim.network.city import CityLayout, build_city
from govsim.scenario.schema import Scenario


@dataclass(frozen=True)
class Codes:
    """Per row of ``log.frame`` (same order): category, street, district and grid codes."""

    category: np.ndarray
    street: np.ndarray
    district: np.ndarray
    grid: np.ndarray
    """-1 where the log gives no grid."""


def place_codes(log: CaseLog, scenario: Scenario, layout: CityLayout | None = None) -> Codes:
    """The scenario's codes of every row of ``log``; :class:`LogError` on the first misfit."""
    layout = layout or build_city(scenario)
    frame = log.frame
    category = _codes(
        log, "category", [c.name for c in scenario.categories], "categories of the scenario"
    )
    street = _codes(
        log, "street", [s.name for s in layout.streets], "streets of the scenario's city"
    )
    street_district = layout.street_district()
    district = street_district[street]
    if "district" in frame:
        given = _codes(
            log,
            "district",
            [d.name for d in layout.districts],
            "districts of the scenario's city",
            allow_missing=True,
        )
        wrong = (given >= 0) & (given != district)
        _refuse(
            log,
            wrong,
            "district",
            lambda i: (
                f"street '{frame['street'].iloc[i]}' is in district "
                f"'{layout.districts[district[i]].name}', not '{frame['district'].iloc[i]}'"
            ),
        )
    grid = np.full(len(frame), -1, dtype=np.int64)
    if "grid" in frame:
        grid = _codes(
            log,
            "grid",
            [g.name for g in layout.grids],
            "grids of the scenario's city",
            allow_missing=True,
        )
        grid_street = layout.grid_street()
        wrong = (grid >= 0) & (grid_street[np.maximum(grid, 0)] != street)
        _refuse(
            log,
            wrong,
            "grid",
            lambda i: (
                f"grid '{frame['grid'].iloc[i]}' is in street "
                f"'{layout.streets[grid_street[grid[i]]].name}', not '{frame['street'].iloc[i]}'"
            ),
        )
    return Codes(category, street, district, grid)


def _codes(
    log: CaseLog, column: str, names: list[str], what: str, allow_missing: bool = False
) -> np.ndarray:
    values = log.frame[column]
    lookup = pd.Index(names)
    codes = lookup.get_indexer(pd.Index(values.astype(object).where(values.notna(), None)))
    unknown = (codes < 0) & values.notna().to_numpy()
    if not allow_missing:
        unknown |= values.isna().to_numpy()
    names_shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    _refuse(
        log,
        unknown,
        column,
        lambda i: f"{shown(values.iloc[i])} is not one of the {what} ({names_shown})",
    )
    return codes.astype(np.int64)


def _refuse(log: CaseLog, mask: np.ndarray, column: str, message) -> None:
    if mask.any():
        positions = np.flatnonzero(
            mask
        )  # the frame is sorted by time: name the first row in the file
        position = int(positions[np.argmin(log.frame.index.to_numpy()[positions])])
        raise log.fail(message(position), int(log.frame.index[position]), column)
