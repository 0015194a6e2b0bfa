"""The jurisdiction (districts > streets > grids, departments) and the whistle network."""

from govsim.network.city import CityLayout, Unit, build_city
from govsim.network.graph import jurisdiction_graph, write_graphml

__all__ = ["CityLayout", "Unit", "build_city", "jurisdiction_graph", "write_graphml"]
