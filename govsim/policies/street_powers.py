"""Street powers over departments: streets assess the departments that answer their whistles,
and may veto their staff's personnel decisions (街乡对部门的考核权、否决权).

The 2018 reform gave streets four powers over the departments stationed in or serving them:
to summon (召集权, the whistle itself, :mod:`govsim.policies.whistle`), to assess (考核权),
to advise (建议权) and to veto (否决权) personnel decisions. Here assessment and veto are
levers on how fast departments answer whistles: from ``start_day``, each one switched on
multiplies the departments' arrival time at the covered streets by its effect. The effects
are documented fixed numbers, assumed (no published figure measures them); the interface
(:class:`govsim.core.controls.WhistleEffort`) is where a model of how departments respond to their
assessment will set them instead. Advice is not modelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from govsim.policies.base import PolicySpec, at_day

if TYPE_CHECKING:
    from collections.abc import Generator

    from govsim.policies.levers import Levers


class StreetPowers(PolicySpec):
    """Streets assess departments and may veto their staff's promotion: departments come sooner."""

    type: Literal["street_powers"]
    start_day: float = Field(0.0, ge=0, le=3660, description="When the powers apply (days).")
    street_share: float = Field(
        1.0,
        ge=0,
        le=1,
        description="Share of streets holding the powers, spread evenly in layout order (the "
        "2018 whistle pilot: 169 streets, 51%, Beijing government).",
    )
    departments: list[str] | None = Field(
        None, description="Departments subject to them (names); null: every department."
    )
    assessment: bool = Field(
        True, description="Streets assess the departments answering their whistles (考核权)."
    )
    assessment_effect: float = Field(
        0.8,
        gt=0,
        le=1,
        description="Factor on a department's arrival time once streets assess it (no unit); "
        "assumed.",
    )
    veto: bool = Field(
        False,
        description="Streets may veto personnel decisions on the departments' staff (否决权).",
    )
    veto_effect: float = Field(
        0.9,
        gt=0,
        le=1,
        description="Factor on the arrival time under the veto, on top of assessment (no unit); "
        "assumed.",
    )

    def factor(self) -> float:
        """The combined factor on the arrival time (1: no effect)."""
        return (self.assessment_effect if self.assessment else 1.0) * (
            self.veto_effect if self.veto else 1.0
        )

    def install(self, levers: Levers) -> None:
        levers.env.process(self._run(levers))

    def _run(self, levers: Levers) -> Generator:
        yield from at_day(levers, self.start_day)
        n_streets = len(levers.unit_names("street"))
        departments = [d.name for d in levers.scenario.departments]
        factor = self.factor()
        effort = levers.whistle_effort
        covered = covered_streets(n_streets, self.street_share)
        for s in covered:
            for d, department in enumerate(departments):
                if self.departments is None or department in self.departments:
                    effort.scale(s, d, factor)
        levers.log(
            f"street powers: {len(covered)} of {n_streets} streets, departments' arrival time "
            f"x {factor:g}"
        )


def covered_streets(n_streets: int, share: float) -> list[int]:
    """Streets ``s`` where ``floor((s + 1) x share)`` steps up: ``floor(n x share)`` of them,
    spread evenly."""
    return [s for s in range(n_streets) if int((s + 1) * share) > int(s * share)]
