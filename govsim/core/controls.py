"""The run-time state that policies move and agents read: one home for each.

- :class:`ArrivalControls`: how many of each category's appeals still arise (proactive
  work prevents some), per category and per street, and how likely a grid patrol finds
  an issue before anyone reports it. Read by the residents and by case creation.
- :class:`UnitQuality`: each street's and department's own shift of the resolution
  probability and of the satisfaction score of the cases it closes (rankings move them).
  Read by the verification call.
- :class:`WhistleEffort`: how fast departments answer each street's whistles (street powers
  move it). Read by the whistle desk.

Each keeps an ``on`` flag that stays False until a policy moves something, so a run
without such policies pays no lookup per case (the flags are read in the hot path).
Policies reach these through :class:`govsim.policies.levers.Levers`.
"""

from __future__ import annotations

from govsim.core.codes import DEPARTMENT_TIER, HOTLINE_TIER


class ArrivalControls:
    """Arrival prevention and patrol detection, per category and per street."""

    __slots__ = (
        "on",
        "prevention",
        "street_prevention",
        "patrol_detection",
        "prevented",
        "_sources",
    )

    def __init__(self, n_categories: int, n_streets: int) -> None:
        self.on = False
        """True once any policy set prevention or detection (read per appeal)."""
        self.prevention = [1.0] * n_categories
        """Share of each category's appeals that still arise (the product over sources)."""
        self.street_prevention = [1.0] * n_streets
        """Share of each street's appeals that still arise."""
        self.patrol_detection = [0.0] * n_categories
        """Probability that a grid patrol finds an issue before anyone reports it."""
        self.prevented = [0] * n_categories
        """Appeals prevented so far, per category."""
        self._sources: dict[int, list[float]] = {}

    def set_prevention(self, source: object, factors: list[float]) -> None:
        """Set one source's per-category factors; the share that arises is their product."""
        self._sources[id(source)] = factors
        self.on = True
        product = [1.0] * len(self.prevention)
        for source_factors in self._sources.values():
            product = [a * b for a, b in zip(product, source_factors, strict=True)]
        self.prevention[:] = product

    def prevent_street(self, street: int, factor: float) -> None:
        """Multiply the share of ``street``'s appeals that still arise by ``factor``."""
        self.on = True
        self.street_prevention[street] *= factor

    def set_patrol_detection(self, category: int, probability: float) -> None:
        """Let grid patrols find ``category``'s issues first with ``probability``."""
        self.on = True
        self.patrol_detection[category] = probability


class UnitQuality:
    """Per-unit shifts of the resolution probability and of the satisfaction score.

    A street's shift applies to the cases closed at its grids, the street itself and its
    district; a department's to the cases it closed; consultations (the hotline) have none.
    """

    __slots__ = (
        "resolution_on",
        "service_on",
        "effort_on",
        "street_resolution",
        "department_resolution",
        "street_service",
        "department_service",
    )

    def __init__(self, n_streets: int, n_departments: int) -> None:
        self.resolution_on = False
        """True once a resolution shift was moved (read per closed case)."""
        self.service_on = False
        """True once a satisfaction-score shift was moved (read per closed case)."""
        self.effort_on = False
        """True once a policy made a unit work faster or slower than its staff's time
        (a ``time_factor`` other than 1): a rushed unit fixes fewer problems."""
        self.street_resolution = [0.0] * n_streets
        """Added to the resolution probability (a probability, may be negative)."""
        self.department_resolution = [0.0] * n_departments
        self.street_service = [0.0] * n_streets
        """Added to the logistic satisfaction score (score points)."""
        self.department_service = [0.0] * n_departments

    def resolution(self, unit_type: str) -> list[float]:
        """The resolution shifts of ``unit_type`` ('street' or 'department'), to move in place."""
        self.resolution_on = True
        return self.street_resolution if unit_type == "street" else self.department_resolution

    def service(self, unit_type: str) -> list[float]:
        """The satisfaction-score shifts of ``unit_type``, to move in place."""
        self.service_on = True
        return self.street_service if unit_type == "street" else self.department_service

    def resolution_shift(self, final_tier: int, street: int, department: int) -> float:
        """The closing unit's own shift of the resolution probability."""
        if final_tier == DEPARTMENT_TIER:
            return self.department_resolution[department]
        if final_tier == HOTLINE_TIER:
            return 0.0
        return self.street_resolution[street]

    def service_shift(self, final_tier: int, street: int, department: int) -> float:
        """The closing unit's own shift of the satisfaction score."""
        if final_tier == DEPARTMENT_TIER:
            return self.department_service[department]
        if final_tier == HOTLINE_TIER:
            return 0.0
        return self.street_service[street]


class SelfGovernance:
    """Residents solving problems without an appeal (owners' committees, deliberation).

    A problem arising in grid g, of a category residents can solve, is solved by them with
    probability ``coverage[g] x solve_share[category]``; the policy
    (:mod:`govsim.policies.self_governance`) sets both.
    """

    __slots__ = ("on", "coverage", "solve_share")

    def __init__(self, n_grids: int, n_categories: int) -> None:
        self.on = False
        self.coverage = [0.0] * n_grids
        """Share of each grid's residents covered by an owners' committee or deliberation."""
        self.solve_share = [0.0] * n_categories
        """Share of covered problems, per category, that residents solve themselves."""


class WhistleEffort:
    """How fast each department answers each street's whistles: a factor on its arrival time.

    The factors start at 1 (as the scenario's ``whistle.arrival`` says). The street powers
    policy (:mod:`govsim.policies.street_powers`) lowers them by documented fixed effects;
    a model of how departments respond to their assessment can later set them instead.
    Read by the whistle desk once per whistle.
    """

    __slots__ = ("on", "factors")

    def __init__(self, n_streets: int, n_departments: int) -> None:
        self.on = False
        """True once any policy set a factor (read per whistle)."""
        self.factors = [[1.0] * n_departments for _ in range(n_streets)]
        """Arrival time factor by street, then department (no unit; 1: as the scenario)."""

    def scale(self, street: int, department: int, factor: float) -> None:
        """Multiply the arrival time of ``department`` at ``street``'s whistles by ``factor``."""
        self.factors[street][department] *= factor
        self.on = True

    def arrival_factor(self, street: int, department: int) -> float:
        """The factor on ``department``'s arrival time at ``street``'s whistles."""
        return self.factors[street][department] if self.on else 1.0
