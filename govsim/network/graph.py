"""The jurisdiction and whistle network as a typed networkx graph.

Node ids are ``"tier:name"`` (:func:`node_id`), because names are only unique within a
tier: Haidian is a district and also one of its streets. Nodes carry ``name``, ``tier``
(hotline, district, street, grid, department), ``staff`` and ``population``. Edges carry
``kind``:

- ``contains``: district -> street -> grid;
- ``escalates_to``: grid -> street -> district (micro, small, big cycle);
- ``dispatches_to``: hotline -> street (or hotline -> district -> street when orders
  go through the district) and hotline -> department, for a department that some category
  routes orders to straight (``department_route_share`` > 0 and not only consultations);
- ``whistles``: street -> department, with the expected ``report_delay_hours``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from govsim.network.city import CityLayout, build_city
from govsim.scenario.schema import Scenario

if TYPE_CHECKING:
    import networkx as nx

HOTLINE_NAME = "12345 hotline"


def node_id(tier: str, name: str) -> str:
    """The graph's id of the unit ``name`` of ``tier``."""
    return f"{tier}:{name}"


HOTLINE = node_id("hotline", HOTLINE_NAME)


def jurisdiction_graph(scenario: Scenario, layout: CityLayout | None = None) -> nx.MultiDiGraph:
    import networkx as nx  # here, not above: a run lays out the city without the graph library

    layout = layout or build_city(scenario)
    graph = nx.MultiDiGraph(name=scenario.name)
    graph.add_node(
        HOTLINE, name=HOTLINE_NAME, tier="hotline", staff=_operators(scenario), population=0
    )
    for unit in layout.districts + layout.streets + layout.grids + layout.departments:
        graph.add_node(
            node_id(unit.tier, unit.name),
            name=unit.name,
            tier=unit.tier,
            staff=unit.staff,
            population=unit.population,
            kind=unit.kind,
        )
    for unit in layout.streets:
        street = node_id("street", unit.name)
        district = node_id("district", layout.districts[unit.parent].name)
        graph.add_edge(district, street, kind="contains")
        graph.add_edge(street, district, kind="escalates_to")
        if scenario.hotline.direct_to_street:
            graph.add_edge(HOTLINE, street, kind="dispatches_to")
        else:
            graph.add_edge(HOTLINE, district, kind="dispatches_to")
            graph.add_edge(district, street, kind="dispatches_to")
    for unit in layout.grids:
        grid = node_id("grid", unit.name)
        street = node_id("street", layout.streets[unit.parent].name)
        graph.add_edge(street, grid, kind="contains")
        graph.add_edge(grid, street, kind="escalates_to")
    routed = {
        c.department
        for c in scenario.categories
        if c.department and c.department_route_share > 0 and c.consultation_share < 1
    }
    allowed = scenario.whistle.categories
    whistled = {
        name
        for c in scenario.categories
        if c.department and c.whistle and (allowed is None or c.name in allowed)
        for name in (c.department, *c.joint_departments)
    }  # owners and the joint departments their whistles summon
    for department in layout.departments:
        if department.name in routed:
            graph.add_edge(HOTLINE, node_id("department", department.name), kind="dispatches_to")
    if scenario.whistle.enabled:
        delay = scenario.whistle.expected_report_hours()
        for street_unit in layout.streets:
            for unit in layout.departments:
                if unit.name in whistled:
                    graph.add_edge(
                        node_id("street", street_unit.name),
                        node_id("department", unit.name),
                        kind="whistles",
                        report_delay_hours=delay,
                    )
    return graph


def write_graphml(graph: nx.MultiDiGraph, path: str | Path) -> None:
    import networkx as nx

    nx.write_graphml(graph, str(path))


def _operators(scenario: Scenario) -> int:
    ops = scenario.hotline.operators
    return max(ops) if isinstance(ops, list) else ops
