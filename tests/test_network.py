"""The jurisdiction and whistle network of scenarios/baseline.yaml, and its GraphML export."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import networkx as nx
import pytest
import yaml
from conftest import BASELINE

from govsim.app.cli import main
from govsim.network import jurisdiction_graph
from govsim.network.graph import HOTLINE
from govsim.scenario import load_scenario
from govsim.simulate import simulate


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(BASELINE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(BASELINE)


@pytest.fixture(scope="module")
def graph(scenario) -> nx.MultiDiGraph:
    return jurisdiction_graph(scenario)


@pytest.fixture(scope="module")
def whistling() -> tuple:
    """The baseline with whistle-blowing switched on (the shipped baseline has it off)."""
    scenario = load_scenario(BASELINE, ["whistle.enabled=true"])
    return scenario, jurisdiction_graph(scenario)


def edges(graph: nx.MultiDiGraph, kind: str) -> list[tuple[str, str, dict]]:
    return [(u, v, d) for u, v, d in graph.edges(data=True) if d.get("kind") == kind]


def tier_of(graph: nx.MultiDiGraph, node: str) -> str:
    return graph.nodes[node]["tier"]


def expected_report_hours(scenario) -> float:
    whistle = scenario.whistle
    if hasattr(whistle, "expected_report_hours"):
        return whistle.expected_report_hours()
    return whistle.report_delay.mean


def test_node_counts_per_tier(graph, raw) -> None:
    synthetic = raw["city"]["synthetic"]
    tiers = Counter(tier_of(graph, n) for n in graph.nodes)
    assert tiers == {
        "hotline": 1,
        "district": synthetic["districts"],
        "street": synthetic["streets"],
        "grid": synthetic["grids"],
        "department": len(raw["departments"]),
    }
    assert graph.number_of_nodes() == 1 + synthetic["districts"] + synthetic["streets"] + synthetic[
        "grids"
    ] + len(raw["departments"])


def test_every_edge_is_typed(graph, scenario, whistling) -> None:
    kinds = {d.get("kind") for _, _, d in graph.edges(data=True)}
    expected = {"contains", "escalates_to", "dispatches_to"}
    assert kinds == (expected | {"whistles"} if scenario.whistle.enabled else expected)
    _, with_whistles = whistling
    assert {d.get("kind") for _, _, d in with_whistles.edges(data=True)} == expected | {"whistles"}


def test_contains_edges_form_the_hierarchy(graph, raw) -> None:
    synthetic = raw["city"]["synthetic"]
    contains = edges(graph, "contains")
    pairs = Counter((tier_of(graph, u), tier_of(graph, v)) for u, v, _ in contains)
    assert pairs == {
        ("district", "street"): synthetic["streets"],
        ("street", "grid"): synthetic["grids"],
    }
    # A tree: every street and grid has exactly one parent.
    parents = Counter(v for _, v, _ in contains)
    assert all(n == 1 for n in parents.values())
    assert len(parents) == synthetic["streets"] + synthetic["grids"]


def test_every_grid_escalates_to_exactly_one_street(graph) -> None:
    escalates = edges(graph, "escalates_to")
    grids = [n for n in graph.nodes if tier_of(graph, n) == "grid"]
    for grid in grids:
        targets = [v for u, v, _ in escalates if u == grid]
        assert len(targets) == 1, (grid, targets)
        street = targets[0]
        assert tier_of(graph, street) == "street"
        assert graph.has_edge(street, grid) and any(
            d["kind"] == "contains" for d in graph.get_edge_data(street, grid).values()
        ), f"{grid} escalates to {street}, which does not contain it"
    streets = [n for n in graph.nodes if tier_of(graph, n) == "street"]
    for street in streets:
        targets = [v for u, v, _ in escalates if u == street]
        assert len(targets) == 1 and tier_of(graph, targets[0]) == "district", (street, targets)
    # Nothing else escalates: districts, departments and the hotline are tops.
    assert {tier_of(graph, u) for u, _, _ in escalates} == {"grid", "street"}


@pytest.mark.parametrize("direct", [True, False])
def test_dispatch_route_follows_direct_to_street(direct: bool) -> None:
    """graph.py: dispatches_to is hotline -> street, or hotline -> district -> street
    when orders go through the district (``hotline.direct_to_street: false``)."""
    scenario = load_scenario(BASELINE, [f"hotline.direct_to_street={str(direct).lower()}"])
    graph = jurisdiction_graph(scenario)
    dispatch = edges(graph, "dispatches_to")
    to_streets = {
        (tier_of(graph, u), tier_of(graph, v))
        for u, v, _ in dispatch
        if tier_of(graph, v) == "street"
    }
    if direct:
        assert to_streets == {("hotline", "street")}
    else:
        assert to_streets == {("district", "street")}
        assert {v for u, v, _ in dispatch if u == HOTLINE and tier_of(graph, v) == "district"} == {
            n for n in graph.nodes if tier_of(graph, n) == "district"
        }
        for u, v, _ in dispatch:
            if tier_of(graph, v) == "street":  # relayed by the district that contains the street
                assert any(d["kind"] == "contains" for d in graph.get_edge_data(u, v).values())


def test_dispatch_edges(graph, scenario) -> None:
    dispatch = edges(graph, "dispatches_to")
    assert all(u in (HOTLINE,) or tier_of(graph, u) == "district" for u, _, _ in dispatch)
    streets = {n for n in graph.nodes if tier_of(graph, n) == "street"}
    reached = {v for _, v, _ in dispatch if tier_of(graph, v) == "street"}
    assert reached == streets  # every street receives work orders
    routed = {
        c.department for c in scenario.categories if c.department and c.department_route_share
    }
    departments = {v for u, v, _ in dispatch if tier_of(graph, v) == "department"}
    assert {graph.nodes[v]["name"] for v in departments} == routed
    assert all(u == HOTLINE for u, v, _ in dispatch if v in departments)
    owned = {c.department for c in scenario.categories if c.department}
    assert owned - routed, "the baseline has departments that own categories but get no orders"


def test_no_dispatch_edge_to_a_department_that_gets_no_orders(scenario, graph) -> None:
    """Orders go straight to a department only by its route share: the figure must not draw
    edges the model never uses. Whistles are off in the baseline, so every case a department
    closes came by a dispatch edge, and every department without one closes nothing."""
    result = simulate(scenario.model_copy(update={"days": 20.0}), seed=3)
    closing = set(
        result.cases.loc[result.cases["final_tier"] == "department", "department"].astype(str)
    )
    drawn = {
        graph.nodes[v]["name"]
        for _, v, _ in edges(graph, "dispatches_to")
        if tier_of(graph, v) == "department"
    }
    assert closing and closing <= drawn


def test_whistle_edges(whistling) -> None:
    scenario, graph = whistling
    whistles = edges(graph, "whistles")
    streets = [n for n in graph.nodes if tier_of(graph, n) == "street"]
    whistled = {c.department for c in scenario.categories if c.department and c.whistle}
    assert Counter((tier_of(graph, u), tier_of(graph, v)) for u, v, _ in whistles) == {
        ("street", "department"): len(streets) * len(whistled)
    }
    assert {graph.nodes[v]["name"] for _, v, _ in whistles} == whistled
    expected = expected_report_hours(scenario)
    for _, _, data in whistles:
        assert data["report_delay_hours"] == pytest.approx(expected)
        assert data["report_delay_hours"] >= 0


def test_no_whistle_edges_when_disabled() -> None:
    scenario = load_scenario(BASELINE, ["whistle.enabled=false"])
    assert edges(jurisdiction_graph(scenario), "whistles") == []


@pytest.mark.parametrize(
    "overrides", [[], ["--set", "whistle.enabled=true"]], ids=["as_shipped", "whistles"]
)
def test_graphml_round_trip(tmp_path: Path, overrides: list[str], capsys) -> None:
    scenario = load_scenario(BASELINE, overrides[1::2])
    graph = jurisdiction_graph(scenario)
    target = tmp_path / "x.graphml"
    rc = main(["network", str(BASELINE), "--graphml", str(target), *overrides])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert target.is_file()
    back = nx.read_graphml(target)
    assert back.number_of_nodes() == graph.number_of_nodes()
    assert back.number_of_edges() == graph.number_of_edges()
    assert Counter(d["kind"] for _, _, d in back.edges(data=True)) == Counter(
        d["kind"] for _, _, d in graph.edges(data=True)
    )
    assert Counter(back.nodes[n]["tier"] for n in back.nodes) == Counter(
        graph.nodes[n]["tier"] for n in graph.nodes
    )
    assert f"{graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges" in captured.out
    assert [p.name for p in tmp_path.iterdir()] == ["x.graphml"]  # no temporary file left
    for _, _, data in back.edges(data=True):
        if data["kind"] == "whistles":
            assert float(data["report_delay_hours"]) == pytest.approx(
                expected_report_hours(scenario)
            )


def test_graphml_into_missing_folder(tmp_path: Path, capsys) -> None:
    target = tmp_path / "nowhere" / "x.graphml"
    rc = main(["network", str(BASELINE), "--graphml", str(target)])
    captured = capsys.readouterr()
    assert rc == 2 and "Traceback" not in captured.err
    assert str(target.parent) in captured.err
    assert not target.parent.exists()


def test_units_of_different_tiers_may_share_a_name() -> None:
    """Haidian is a district and one of its streets: two nodes, each with its own edges."""
    from conftest import SCENARIOS_DIR

    from govsim.network.city import build_city

    scenario = load_scenario(SCENARIOS_DIR / "haidian.yaml")
    layout = build_city(scenario)
    graph = jurisdiction_graph(scenario, layout)
    units = layout.districts + layout.streets + layout.grids + layout.departments
    names = Counter(unit.name for unit in units)
    shared = [name for name, n in names.items() if n > 1]
    assert "Haidian" in shared  # the case this test is about is present in the scenario
    assert graph.number_of_nodes() == 1 + len(units)
    tiers = {graph.nodes[n]["tier"] for n in graph if graph.nodes[n]["name"] == "Haidian"}
    assert tiers == {"district", "street"}
    district, street = "district:Haidian", "street:Haidian"
    assert any(d["kind"] == "contains" for d in graph.get_edge_data(district, street).values())
    assert not graph.has_edge(district, district)
