"""The jurisdiction and whistle network as a typed networkx graph.

Nodes carry ``tier`` (hotline, district, street, grid, department), ``staff`` and
``population``. Edges carry ``kind``:

- ``contains``: district -> street -> grid;
- ``escalates_to``: grid -> street -> district (micro, small, big cycle);
- ``dispatches_to``: hotline -> street (or hotline -> district -> street when orders
  go through the district) and hotline -> department;
- ``whistles``: street -> department, with the expected ``report_delay_hours``.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from govsim.network.city import CityLayout, build_city
from govsim.scenario.schema import Scenario

HOTLINE = "12345 hotline"


def jurisdiction_graph(scenario: Scenario, layout: CityLayout | None = None) -> nx.MultiDiGraph:
    layout = layout or build_city(scenario)
    graph = nx.MultiDiGraph(name=scenario.name)
    graph.add_node(HOTLINE, tier="hotline", staff=_operators(scenario), population=0)
    for unit in layout.districts + layout.streets + layout.grids + layout.departments:
        graph.add_node(unit.name, tier=unit.tier, staff=unit.staff, population=unit.population,
                       kind=unit.kind)
    for street in layout.streets:
        district = layout.districts[street.parent].name
        graph.add_edge(district, street.name, kind="contains")
        graph.add_edge(street.name, district, kind="escalates_to")
        if scenario.hotline.direct_to_street:
            graph.add_edge(HOTLINE, street.name, kind="dispatches_to")
        else:
            graph.add_edge(HOTLINE, district, kind="dispatches_to")
            graph.add_edge(district, street.name, kind="dispatches_to")
    for grid in layout.grids:
        street = layout.streets[grid.parent].name
        graph.add_edge(street, grid.name, kind="contains")
        graph.add_edge(grid.name, street, kind="escalates_to")
    owned = {c.department for c in scenario.categories if c.department}
    allowed = scenario.whistle.categories
    whistled = {c.department for c in scenario.categories
                if c.department and c.whistle and (allowed is None or c.name in allowed)}
    for department in layout.departments:
        if department.name in owned:
            graph.add_edge(HOTLINE, department.name, kind="dispatches_to")
    if scenario.whistle.enabled:
        delay = scenario.whistle.expected_report_hours()
        for street in layout.streets:
            for department in layout.departments:
                if department.name in whistled:
                    graph.add_edge(street.name, department.name, kind="whistles",
                                   report_delay_hours=delay)
    return graph


def write_graphml(graph: nx.MultiDiGraph, path: str | Path) -> None:
    nx.write_graphml(graph, str(path))


def _operators(scenario: Scenario) -> int:
    ops = scenario.hotline.operators
    return max(ops) if isinstance(ops, list) else ops
