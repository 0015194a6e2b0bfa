"""Scenarios: the typed schema and the YAML loader."""

from govsim.scenario.loader import load_scenario
from govsim.scenario.schema import Scenario

__all__ = ["Scenario", "load_scenario"]
