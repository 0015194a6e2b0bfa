"""Policies as composable levers, switched on in a scenario's ``policies:`` list.

Each policy is one module: its parameters (a pydantic spec with a ``type`` tag) and its
mechanism (a static ``apply`` before the run and/or a controller ``install``-ed into the
model). They compose in the fixed order of :data:`ORDER` (static changes first, then
controllers, both in this order), whatever their order in the list; two of the same type
act in list order. ``docs/policies.md`` explains each mechanism.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, TypeVar, get_args

from pydantic import Field

from govsim.policies.base import PolicySpec
from govsim.policies.dispatch import DispatchReform
from govsim.policies.proactive import GridPatrol, MonthlyTopic
from govsim.policies.ranking import Ranking
from govsim.policies.rebalancing import StaffRebalancing
from govsim.policies.self_governance import SelfGovernance
from govsim.policies.sinking import ResourceSinking
from govsim.policies.street_powers import StreetPowers
from govsim.policies.whistle import WhistleBlowing

if TYPE_CHECKING:
    from govsim.policies.levers import Levers, PolicyHooks, ScenarioT

Policy = Annotated[
    DispatchReform
    | WhistleBlowing
    | StreetPowers
    | ResourceSinking
    | StaffRebalancing
    | GridPatrol
    | MonthlyTopic
    | SelfGovernance
    | Ranking,
    Field(discriminator="type"),
]
"""Any policy of a scenario's ``policies:`` list, told apart by its ``type``."""
POLICY_TYPES: tuple[type[PolicySpec], ...] = get_args(get_args(Policy)[0])
"""The policy classes, in composition order."""
ORDER: tuple[str, ...] = tuple(
    get_args(cls.model_fields["type"].annotation)[0] for cls in POLICY_TYPES
)
"""The composition order: dispatch reform, whistle-blowing, resource sinking, staff
rebalancing, grid patrol, monthly topic, self-governance, ranking."""


P = TypeVar("P", bound="PolicyHooks")


def ordered(policies: Iterable[P]) -> list[P]:
    return sorted(policies, key=lambda p: ORDER.index(p.type))  # stable: list order within a type


def apply_policies(scenario: ScenarioT) -> ScenarioT:
    """The scenario after every static policy change, in composition order."""
    for policy in ordered(scenario.policies):
        scenario = policy.apply(scenario)
    return scenario


def install_policies(levers: Levers) -> None:
    """Start every policy's controller, in composition order."""
    for policy in ordered(levers.scenario.policies):
        policy.install(levers)


__all__ = [
    "ORDER",
    "DispatchReform",
    "GridPatrol",
    "MonthlyTopic",
    "Policy",
    "Ranking",
    "SelfGovernance",
    "StaffRebalancing",
    "ResourceSinking",
    "WhistleBlowing",
    "apply_policies",
    "install_policies",
]
