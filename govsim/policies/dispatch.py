"""Dispatch reform: orders straight to the street (街乡直派) or through the district; accuracy.

A static policy: it sets ``hotline.direct_to_street``, the district relay delay and,
when given, the dispatch accuracy (a wrong dispatch returns after ``return_delay``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from govsim.core.parameters import Distribution
from govsim.policies.base import PolicySpec

if TYPE_CHECKING:
    from govsim.policies.levers import ScenarioT


class DispatchReform(PolicySpec):
    """Send orders straight to streets (or through districts) and set dispatch accuracy."""

    type: Literal["dispatch_reform"]
    direct_to_street: bool = Field(True, description="Orders go straight to the street.")
    district_relay_delay: Distribution | None = Field(
        None,
        description="Relay time through the district when not direct (hours); null: unchanged.",
    )
    dispatch_accuracy: float | None = Field(
        None,
        gt=0,
        le=1,
        description="Probability a dispatch reaches the right unit; null: unchanged.",
    )

    def apply(self, scenario: ScenarioT) -> ScenarioT:
        changes: dict[str, object] = {"direct_to_street": self.direct_to_street}
        if self.district_relay_delay is not None:
            changes["district_relay_delay"] = self.district_relay_delay
        if self.dispatch_accuracy is not None:
            changes["dispatch_accuracy"] = self.dispatch_accuracy
        hotline = scenario.hotline.model_copy(update=changes)
        return scenario.model_copy(update={"hotline": hotline})
