"""The 12345 hotline: call-takers, callers who hang up, consultations and dispatch.

Steps 2 and 3 of the life cycle. A call waits for an operator; a caller whose
patience runs out first hangs up (the case is abandoned, and may redial). An online
appeal skips the operator queue. The operator answers a consultation on the spot
(the case closes at tier "hotline"); anything else becomes a work order, dispatched
to the street where the problem is or to the owning department. A wrong dispatch
comes back after a delay (退单) and goes out again; after ``max_returns`` returns it
reaches the right unit (the first receiving unit is responsible). Whether an order comes
back is a :class:`ReturnRule`: for now :class:`RandomReturns` (each dispatch is wrong with
probability ``1 - dispatch_accuracy``). A return a unit chooses is the assessment mechanism's
*dispute* option, beside this rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import simpy
from simpy.events import Timeout

from govsim.core.case import Case
from govsim.core.codes import HOTLINE_CHANNEL, HOTLINE_TIER, OPEN, STAGE
from govsim.core.randomness import per_item
from govsim.core.servers import ServerPool

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

    from govsim.core.randomness import RandomStreams
    from govsim.engine.agents.flow import CaseFlow, Step
    from govsim.scenario.schema import Hotline as HotlineSpec

DISPATCH = STAGE["dispatch"]
HOTLINE = STAGE["hotline"]


class ReturnRule(Protocol):
    """Decides, as an order goes out, whether it will come back (退单)."""

    def __call__(self, case: Case) -> bool: ...


class RandomReturns:
    """A dispatch is wrong, and the order comes back, with probability ``1 - accuracy``, at most
    ``max_returns`` times per case."""

    __slots__ = ("accuracy", "draw", "max_returns")

    def __init__(self, accuracy: float, max_returns: int, draw: Callable[[], float]) -> None:
        self.accuracy = accuracy
        self.max_returns = max_returns
        self.draw = draw

    def __call__(self, case: Case) -> bool:
        draw = self.draw  # a local name: cheaper than self.x() (docs/performance.md)
        return case.returns < self.max_returns and draw() >= self.accuracy


class Hotline:
    """The operators' pool, callers' patience, triage and dispatch.

    ``receive`` is where a correctly dispatched work order goes (the handling units).
    """

    def __init__(
        self, spec: HotlineSpec, streams: RandomStreams, flow: CaseFlow, receive: Step
    ) -> None:
        self.flow = flow
        self.env = flow.env
        self.receive = receive
        operators = spec.operators
        self.shifts = operators if isinstance(operators, list) else None
        """Operators on duty per hour of the day (a shift plan), or None for a fixed number."""
        capacity = operators[0] if isinstance(operators, list) else operators
        self.talk_time = streams.duration("hotline/talk", spec.talk_time)
        # A talk's start is a talk time drawn, with no Python call (per_item).
        self.pool = ServerPool(
            self.env, "hotline", "hotline", capacity, per_item(self.talk_time), self.triage
        )
        self.patience = (
            streams.duration("hotline/patience", spec.patience) if spec.patience else None
        )
        self.redial_draw = streams.uniform("hotline/redial")
        self.redial_delay = streams.duration("hotline/redial_delay", spec.redial_delay)
        self.redial_probability = spec.redial_probability
        self.dispatch_delay = streams.duration("hotline/dispatch_delay", spec.dispatch_delay)
        self.return_delay = streams.duration("hotline/return_delay", spec.return_delay)
        # The rule's bound ``__call__``: called on every dispatch, and the interpreter calls a
        # bound method directly, an instance through its type's call slot.
        self.returned: ReturnRule = RandomReturns(
            spec.dispatch_accuracy, spec.max_returns, streams.uniform("hotline/accuracy")
        ).__call__
        self.relay_delay = (
            None
            if spec.direct_to_street
            else streams.duration("hotline/relay_delay", spec.district_relay_delay)
        )

    # -- intake ----------------------------------------------------------------------------
    def call(self, case: Case) -> None:
        """A resident calls 12345."""
        patience_draw = self.patience  # a local name: cheaper than self.x() (performance.md)
        patience = patience_draw() if patience_draw else None
        if self.pool.arrive(case) and patience is not None:
            timer = Timeout(self.env, patience, (case, case.ticket))
            timer.callbacks.append(self._hang_up)

    def online(self, case: Case) -> None:
        """An online appeal: no operator queue, straight to triage."""
        self.triage(case)

    def triage(self, case: Case, _pool: ServerPool | None = None) -> None:
        """Step 2: answer a consultation on the spot, or create a work order and dispatch it.

        Also the operator pool's ``done``: a call is triaged as the operator finishes it.
        """
        now = self.env._now  # noqa: SLF001 - env.now, without the property call
        if case.settled:  # settled elsewhere while the caller was on the line
            case.first_response = now
            self.flow.close(case, HOTLINE_TIER)
            return
        if case.consultation:
            case.first_response = now
            self.flow.close(case, HOTLINE_TIER)
        else:
            case.dispatched = now
            self.dispatch(case)

    def _hang_up(self, event: simpy.Event) -> None:
        case, ticket = event._value  # noqa: SLF001
        # Tickets are numbered per unit: a case answered in time may hold an equal ticket
        # in another unit's queue by now, so check it is still open and at the hotline.
        if case.status != OPEN or case.stage != HOTLINE or case.ticket != ticket:
            return  # answered in time
        self.pool.withdraw(case)
        case.abandoned_at = self.env.now
        self.flow.abandon(case)
        if self.redial_draw() < self.redial_probability:
            self.flow.appeal_again(self.redial_delay(), case, HOTLINE_CHANNEL)

    # -- dispatch --------------------------------------------------------------------------
    def dispatch(self, case: Case) -> None:
        """Send a work order out; a wrong dispatch returns and is sent again."""
        flow = self.flow
        # Stored callables through local names: cheaper than self.x() (docs/performance.md).
        move, dispatch_delay, returned = flow.move, self.dispatch_delay, self.returned
        move(case, DISPATCH)
        delay = dispatch_delay()
        relay_delay = self.relay_delay
        if relay_delay is not None and not case.route_department:
            delay += relay_delay()  # the district passes the order on to the street
        if returned(case):
            return_delay = self.return_delay
            flow.hold(delay + return_delay(), self._returned, case)
        else:
            flow.hold(delay, self.receive, case)

    def _returned(self, case: Case) -> None:
        case.returns += 1
        self.dispatch(case)

    # -- shifts ----------------------------------------------------------------------------
    def shift_plan(self) -> Generator:
        """SimPy process: set the number of operators on duty at each hour's start."""
        env = self.env
        shifts = self.shifts
        assert shifts is not None
        hour = 0
        while True:
            self.pool.set_capacity(shifts[hour % 24])
            yield env.timeout(1.0)
            hour += 1
