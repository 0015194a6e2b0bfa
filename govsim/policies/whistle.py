"""Whistle-blowing (吹哨报到) as a lever: the scenario's ``whistle`` section, replaced whole.

A static policy with the same parameters as the ``whistle`` section (see
:class:`govsim.scenario.schema.Whistle` and :mod:`govsim.agents.whistle` for the
mechanism): on/off, eligible categories, whistle types with their report deadlines and
the share of departments meeting them, precision, and a monthly cap per street.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from govsim.policies.base import PolicySpec
from govsim.spec import Whistle

if TYPE_CHECKING:
    from govsim.scenario.schema import Scenario


class WhistleBlowing(PolicySpec, Whistle):
    """Streets whistle, departments report: replaces the scenario's ``whistle`` section."""

    type: Literal["whistle_blowing"]

    def apply(self, scenario: Scenario) -> Scenario:
        whistle = Whistle(**self.model_dump(exclude={"type"}))
        return scenario.model_copy(update={"whistle": whistle})
