"""Step 1 of the life cycle: a raised appeal becomes a case and goes to its channel.

A case is born with every decision it will need drawn at once, whatever path it then
takes (so variants of a replication stay in step: common random numbers): the lowest
tier that can close it (from its category's ``closable_at`` shares), whether the order
goes straight to the owning department, whether it is a consultation. While patrols are
on, a grid patrol may find a problem before anyone calls. Then the case goes to the
hotline (a call), to triage (an online form) or straight to its grid (a patrol find).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from govsim.core.case import Case
from govsim.core.codes import HOTLINE_CHANNEL, ONLINE_CHANNEL, PATROL_CHANNEL

if TYPE_CHECKING:
    import simpy

    from govsim.core.controls import ArrivalControls
    from govsim.core.randomness import RandomStreams
    from govsim.engine.agents.handlers import Handlers
    from govsim.engine.agents.hotline import Hotline
    from govsim.engine.ledger import CaseLedger
    from govsim.scenario.schema import Category, Scenario


class CategoryRules(NamedTuple):
    """What a new case of one category is born with: codes, and the shares its decisions use."""

    urgency: int
    priority: int
    department: int
    """Owning department's index, -1 for none."""
    grid_cut: float
    """P(closable at the grid)."""
    street_cut: float
    """P(closable at the grid or the street)."""
    department_share: float
    """P(the order is routed to the department rather than the street)."""
    consultation_share: float

    @classmethod
    def of(
        cls, category: Category, urgencies: list[str], scenario: Scenario, departments: list[str]
    ) -> CategoryRules:
        closable = category.closable_at
        grid = closable.get("grid", 0.0)
        return cls(
            urgencies.index(category.urgency),
            scenario.urgency_classes[category.urgency].priority,
            departments.index(category.department) if category.department else -1,
            grid,
            grid + closable.get("street", 0.0),
            category.department_route_share,
            category.consultation_share,
        )

    def with_powers_moved_down(
        self, powers: float, street_powers: float | None = None
    ) -> CategoryRules:
        """The rules after a share ``powers`` of each tier's cases became closable one tier lower.

        Of the cases that needed the street, ``powers`` can now be closed at the grid; of
        those that needed the district, ``street_powers`` (default: ``powers``) at the street;
        the share routed straight to a department falls by the larger factor (resource
        sinking, :mod:`govsim.policies.sinking`; the two differ where the powers sit in one
        unit only).
        """
        down = powers if street_powers is None else street_powers
        grid, street, district = (
            self.grid_cut,
            self.street_cut - self.grid_cut,
            1.0 - self.street_cut,
        )
        grid, street, district = (
            grid + powers * street,
            street * (1 - powers) + down * district,
            district * (1 - down),
        )
        return self._replace(
            grid_cut=grid,
            street_cut=grid + street,
            department_share=self.department_share * (1 - max(powers, down)),
        )


class Intake:
    """Creates cases (the life cycle's ``new_case``) and sends each to its channel.

    ``rules`` has one :class:`CategoryRules` per category; the routing lever of the
    policies replaces entries (cases already open keep the rules they were born with).
    ``local``, None unless powers were moved to some units only, has the rules of each grid's
    new cases, by grid: ``rules`` itself for a grid whose cases have the city-wide rules.
    """

    def __init__(
        self,
        rules: list[CategoryRules],
        grid_street: list[int],
        street_district: list[int],
        streams: RandomStreams,
        env: simpy.Environment,
        controls: ArrivalControls,
        ledger: CaseLedger,
        listeners: list[Callable[[Case], None]],
        hotline: Hotline,
        handlers: Handlers,
    ) -> None:
        self.rules = rules
        self.grid_street = grid_street
        self.street_district = street_district
        self.env = env
        self.controls = controls
        self.ledger = ledger
        self.listeners = listeners
        self.hotline = hotline
        self.handlers = handlers
        self.consult_draw = streams.uniform("decide/consultation")
        self.route_draw = streams.uniform("decide/route")
        self.tier_draw = streams.uniform("decide/needed_tier")
        self.patrol_draw = streams.uniform("arrivals/patrol_detection")
        self.local: list[list[CategoryRules]] | None = None
        self.attach: Callable[[Case, Any], None] | None = None
        """A mechanism's hook (govsim/engine/mechanism.py): links a new case to the record it
        stands for (:meth:`create_decided`'s ``record``)."""

    def create(
        self, category: int, grid: int, resident: int, channel: int, repeat_of: int = -1
    ) -> None:
        """Step 1: an appeal is raised (or an issue found on patrol): create its case.

        The same as drawing the decisions and calling :meth:`create_decided`, written out:
        this is every case's first step in a run without a mechanism raising cases, and a
        call less per case is worth the repeated lines (``tests/test_problems.py``'s reduction
        test holds the two paths to the same numbers)."""
        local = self.local
        urgency, priority, department, grid_cut, street_cut, route_share, consult_share = (
            self.rules if local is None else local[grid]
        )[category]
        street = self.grid_street[grid]
        ledger = self.ledger
        # Streams called through local names: cheaper than self.x() (docs/performance.md).
        tier_draw, route_draw, consult_draw = self.tier_draw, self.route_draw, self.consult_draw
        u_tier = tier_draw()
        needed_tier = 0 if u_tier < grid_cut else 1 if u_tier < street_cut else 2
        case = Case(
            ledger.created,
            resident,
            category,
            urgency,
            priority,
            channel,
            grid,
            street,
            self.street_district[street],
            self.env._now,  # noqa: SLF001 - env.now, without the property call
            repeat_of,
            department,
            needed_tier,
            route_draw() < route_share,  # routed to the department rather than the street
            consult_draw() < consult_share,
        )
        controls = self.controls
        if controls.on:
            patrol_draw = self.patrol_draw
            u_patrol = patrol_draw()
            if (
                channel != PATROL_CHANNEL
                and not case.consultation
                and u_patrol < controls.patrol_detection[category]
            ):
                case.channel = channel = PATROL_CHANNEL  # a patrol found it before anyone called
        ledger.create(case)
        for listener in self.listeners:
            listener(case)
        if channel == HOTLINE_CHANNEL:
            self.hotline.call(case)
        elif channel == ONLINE_CHANNEL:
            self.hotline.online(case)
        else:
            case.consultation = False  # a patrol find is an issue to handle, not a question
            case.route_department = False
            self.handlers.found_on_patrol(case)

    # -- for mechanisms that raise cases themselves (govsim/engine/mechanism.py) -------------
    # The decision streams tier_draw, route_draw, consult_draw and patrol_draw are public for
    # them: such a mechanism draws a case's decisions from them in create's order (the lowest
    # closing tier, the route, whether a consultation, then, while patrols are on, whether a
    # patrol finds it), so that reduced to one case per event it draws the same numbers.

    def create_decided(
        self,
        category: int,
        grid: int,
        resident: int,
        channel: int,
        repeat_of: int,
        needed_tier: int,
        route_department: bool,
        consultation: bool,
        record: object = None,
    ) -> Case:
        """Create a case whose decisions were drawn already and send it to its channel.

        ``record``, a mechanism's record of what the case stands for, is handed with the new
        case to the ``attach`` hook before the case enters the ledger (its channel may take it
        on at once)."""
        urgency, priority, department, _, _, _, _ = self.rules[category]
        street = self.grid_street[grid]
        ledger = self.ledger
        case = Case(
            ledger.created,
            resident,
            category,
            urgency,
            priority,
            channel,
            grid,
            street,
            self.street_district[street],
            self.env._now,  # noqa: SLF001 - env.now, without the property call
            repeat_of,
            department,
            needed_tier,
            route_department,
            consultation,
        )
        if record is not None:
            attach = self.attach
            if attach is None:
                raise ValueError("a case with a record needs a mechanism's attach hook")
            case.attached = True
            attach(case, record)
        ledger.create(case)
        for listener in self.listeners:
            listener(case)
        if channel == HOTLINE_CHANNEL:
            self.hotline.call(case)
        elif channel == ONLINE_CHANNEL:
            self.hotline.online(case)
        else:
            case.consultation = False
            case.route_department = False
            self.handlers.found_on_patrol(case)
        return case
