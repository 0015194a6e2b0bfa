"""Mechanisms: what a run is assembled from besides the case life cycle (one folder each).

:data:`BUILT_IN` lists the built-in mechanisms in their order of installation; :func:`build`
makes a scenario's (an off mechanism is left out, at no cost). The interface they implement
is :class:`govsim.engine.mechanism.Mechanism`; docs/howto/add-a-mechanism.md walks through
adding one, with the problems mechanism as the worked example.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from govsim.engine.mechanism import Mechanism
from govsim.mechanisms.area_units import AreaUnitsMechanism
from govsim.mechanisms.assessment import AssessmentMechanism
from govsim.mechanisms.deliberation import DeliberationMechanism
from govsim.mechanisms.groups import GroupsMechanism
from govsim.mechanisms.places import PlacesMechanism
from govsim.mechanisms.problems import ProblemsMechanism
from govsim.mechanisms.volunteers import VolunteersMechanism
from govsim.mechanisms.workload import WorkloadMechanism

if TYPE_CHECKING:
    from govsim.scenario.schema import Scenario


BUILT_IN: tuple[type[Mechanism], ...] = (
    PlacesMechanism,
    ProblemsMechanism,
    GroupsMechanism,
    AssessmentMechanism,
    WorkloadMechanism,
    VolunteersMechanism,
    AreaUnitsMechanism,
    DeliberationMechanism,
)
"""The built-in mechanisms, in their order of installation."""


def build(scenario: Scenario, extra: Sequence[Mechanism] = ()) -> list[Mechanism]:
    """The mechanisms of a run of ``scenario``: each built-in one that is switched on, then
    ``extra`` (mechanisms of one's own, installed after the built-in ones)."""
    built = [cls.from_scenario(scenario) for cls in BUILT_IN]
    return [m for m in built if m is not None] + list(extra)
