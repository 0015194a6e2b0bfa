"""The levers a policy may pull during a run: the narrow interface between policies and the model.

A policy's controller (``install``) is given a :class:`Levers`, which the model implements
(:class:`govsim.engine.run.Run`); it never sees the agents. The levers, by kind:

- **capacity**: the server pools of a tier (``pools_of``): change their staff
  (``set_capacity``, staff busy finish the case in hand) or how fast they work
  (``time_factor``);
- **arrival prevention** and **detection** (``arrivals``,
  :class:`~govsim.core.controls.ArrivalControls`): the share of a category's or a street's
  appeals that still arise, the probability that a grid patrol finds an issue first;
- **quality** (``quality``, :class:`~govsim.core.controls.UnitQuality`): a unit's own shift of
  the resolution probability and satisfaction score of the cases it closes;
- **effort** (``whistle_effort``, :class:`~govsim.core.controls.WhistleEffort`): how fast each
  department answers each street's whistles;
- **routing** (``move_powers_down``, ``move_powers_down_at`` for one unit): which tier can
  close a category's new cases;
- **a mechanism's own levers** (``mechanism(name)``): e.g. fixing open problems
  (:class:`ProblemLevers`), or the assessed units' seam (:class:`AssessmentLevers`), when
  the run has that mechanism;
- **observation**: listeners on every case created and closed, the clock and calendar,
  the whistles (``on_whistle``) and the run's records (``log``, ``record_ranking``,
  ``record_cost``, ``record_mover``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar, cast

if TYPE_CHECKING:
    from collections.abc import MutableMapping

    import simpy

    from govsim.core.calendar import Calendar
    from govsim.core.case import Case
    from govsim.core.codes import TierName
    from govsim.core.controls import ArrivalControls, UnitQuality, WhistleEffort
    from govsim.core.parameters import Distribution
    from govsim.core.servers import ServerPool

Listener = Callable[["Case"], None]


class Section(Protocol):
    """A scenario section (pydantic): copied with changes, never changed in place."""

    def model_copy(
        self, *, update: Mapping[str, Any] | None = None, deep: bool = False
    ) -> Self: ...


class Named(Protocol):
    @property
    def name(self) -> str: ...


class CategoryView(Named, Protocol):
    @property
    def department(self) -> str | None:
        """The owning department's name, None for none."""
        ...


class Feedback(Protocol):
    @property
    def resolution_probability(self) -> Mapping[TierName, float]: ...


class WhistleRules(Protocol):
    @property
    def deadline_hours(self) -> float: ...


class ScenarioView(Section, Protocol):
    """What a policy reads of the scenario that holds it (read only). The scenario
    (:class:`govsim.scenario.schema.Scenario`) is one: named here as a protocol because the
    scenario's schema imports the policies, so no policy imports the schema."""

    @property
    def categories(self) -> Sequence[CategoryView]: ...
    @property
    def departments(self) -> Sequence[Named]: ...
    @property
    def feedback(self) -> Feedback: ...
    @property
    def hotline(self) -> Section: ...
    @property
    def policies(self) -> Sequence[PolicyHooks]: ...
    @property
    def whistle(self) -> WhistleRules: ...


ScenarioT = TypeVar("ScenarioT", bound=ScenarioView)
"""The scenario's own type, kept through a static change (``apply``)."""


class PolicyHooks(Protocol):
    """What the run calls on a policy (:class:`govsim.policies.base.PolicySpec` is one)."""

    @property
    def type(self) -> str: ...
    def apply(self, scenario: ScenarioT) -> ScenarioT: ...
    def install(self, levers: Levers) -> None: ...


class Levers(Protocol):
    """What a policy's controller may read and move while the run goes on."""

    env: simpy.Environment
    """The clock: controllers are SimPy processes (``env.process``) and wait on ``env.timeout``."""

    @property
    def scenario(self) -> ScenarioView:
        """The scenario after the static policy changes (read only)."""
        ...

    calendar: Calendar
    category_limits: list[float]
    """Response time limit of each category's cases (hours), by category code: the owning
    department's limit if it has one, else the urgency class's."""
    arrivals: ArrivalControls
    quality: UnitQuality
    whistle_effort: WhistleEffort

    def pools_of(self, tier: str) -> list[ServerPool]:
        """The units of ``tier`` ('grid', 'street', 'district', 'department'), in layout order
        (for 'department': the city-wide pools, then the local branches, if any)."""
        ...

    def unit_names(self, tier: str) -> list[str]:
        """The names of the units of ``tier``, in layout order."""
        ...

    def units_by_district(self, tier: str) -> dict[int, list[int]]:
        """The units of territorial ``tier`` ('grid', 'street', 'district') by the index of
        their district: layout indices, in layout order."""
        ...

    def move_powers_down(self, category: int, powers: float) -> None:
        """Let a share ``powers`` of ``category``'s new cases close one tier lower."""

    def move_powers_down_at(self, category: int, tier: str, unit: int, powers: float) -> None:
        """Let a share ``powers`` of ``category``'s new cases close one tier lower at one unit
        only: at grid ``unit`` (``tier`` 'grid') those that needed the street, at street
        ``unit`` ('street') those that needed the district; the orders of the cases arising
        there go straight to the department less often by the same factor. Someone holding the
        powers works there; more holders do not add up (the largest share counts)."""

    def on_create(self, listener: Listener) -> None:
        """Call ``listener(case)`` for every case created from now on."""

    def on_close(self, listener: Listener) -> None:
        """Call ``listener(case)`` for every case closed from now on (after its callback draw)."""

    def on_whistle(self, listener: Callable[[Case, int, float], None]) -> None:
        """Call ``listener(case, department, hours)`` at every whistle from now on: the
        department summoned and the hours its staff will take to arrive at the street."""

    def log(self, text: str) -> None:
        """Record what the policy did, with the time (``summary.json``: ``policy_events``)."""

    def mechanism(self, name: str) -> object | None:
        """The run's mechanism called ``name`` (its own levers, e.g. :class:`ProblemLevers`
        for "problems"), or None if the run does not have it."""
        ...

    def record_cost(self, policy: str, staff_hours: float, yuan: float) -> None:
        """Add what a policy spent (``summary.json``: ``policy_costs``)."""

    def record_mover(self, mover: Mapping[str, object]) -> None:
        """Add a person a policy moved (``summary.json``: ``movers``, one object each)."""

    def record_ranking(
        self,
        month: str,
        unit_type: str,
        unit: str,
        rank: int,
        composite: float | None,
        group: str,
        backlog: tuple[float, int, int] | None = None,
        extra: Mapping[str, float] | None = None,
    ) -> None:
        """Add a row to the league tables (``rankings.parquet``); ``backlog``: the unit's mean
        open cases, open orders past their limit and orders counted open
        (:mod:`govsim.policies.backlog`); ``extra``: more columns by name, after those (e.g.
        :mod:`govsim.policies.two_way`'s); each given for every row of a run or for none."""


class ProblemLevers(Protocol):
    """What the problems mechanism (``levers.mechanism("problems")``) lets a policy pull."""

    def fix_open_problems(self, category: int, share: float) -> int:
        """Fix each open problem of ``category`` with probability ``share`` now (a monthly
        topic's programme); return how many were fixed."""
        ...

    def set_self_governance(
        self, coverage: list[float], solve_share: list[float], delay: Distribution
    ) -> None:
        """Residents solve a share ``coverage[grid] x solve_share[category]`` of new problems
        themselves, ``delay`` hours after they arise, without an appeal."""


def problem_levers(levers: Levers) -> ProblemLevers | None:
    """The problems mechanism's levers, or None in a run without problems."""
    return cast("ProblemLevers | None", levers.mechanism("problems"))


class AssessmentLevers(Protocol):
    """The seam of units that answer to their assessment (``levers.mechanism("assessment")``,
    govsim/mechanisms/assessment/) with the ranking policy that assesses them."""

    labelled: set[int]
    """Ids of closed cases their unit labelled unreasonable: they leave the rates (the ranking
    discards each id as it skips the case)."""

    def assessed_by(
        self,
        weights: Mapping[str, float],
        audit_share: float,
        groups: int,
        overdue: bool = False,
        follow_up: tuple[float, int] = (0.0, 0),
    ) -> None:
        """The design: composite weights, the share of closures audited, the rank groups a
        caught unit drops, whether overdue orders count as failed, a caught unit's follow-up
        audits (share, months)."""

    def penalise(self, groups: MutableMapping[tuple[str, int], str], unit_type: str) -> None:
        """Drop the caught units of ``unit_type`` in the month's ``groups`` (in place)."""

    def ranked(
        self,
        month: str,
        groups: Mapping[tuple[str, int], str],
        tally: Mapping[tuple[str, int], list[float]],
        backlog: tuple[list[float], Mapping[tuple[str, int], int]] | None,
    ) -> None:
        """``month`` is ranked (its groups; the ranking's counts per unit: closed, on time,
        valid callbacks, resolved, satisfaction points; the streets' mean open cases and the
        units' open orders past their limit, when the ranking records them): the units
        choose for next month."""


def assessment_levers(levers: Levers) -> AssessmentLevers | None:
    """The assessed units' seam, or None in a run without the assessment mechanism."""
    return cast("AssessmentLevers | None", levers.mechanism("assessment"))
