"""The run's side of a case's life cycle: what the agents do to a case, on the ledger.

:class:`LifeCycle` implements :class:`~govsim.engine.agents.flow.CaseFlow`, the narrow
interface the agents are given: create a case, move it between stages, hold it in transit,
handle it jointly, close it (with the verification call), let it be abandoned, and a
resident's repeat appeal. Everything that changes the case ledger goes through it. It also
holds four mechanism hooks (``judging``, ``closing``, ``abandoning``, ``repeat_appeal``,
govsim/engine/mechanism.py) and ``merge``, which a mechanism calls to close a case because
what it was about was settled elsewhere.

The run builds it first and wires the agents it needs once they exist (``new_case``,
``verification``, ``hotline_pool``, ``handlers``), because the agents are built with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from simpy.events import Timeout

from govsim.core.codes import ABANDONED, CLOSED, OPEN, STAGE, TIERS
from govsim.core.event_queue import later

if TYPE_CHECKING:
    import simpy

    from govsim.core.case import Case
    from govsim.core.servers import ServerPool
    from govsim.engine.agents import Handlers, VerificationCall
    from govsim.engine.agents.flow import Step
    from govsim.engine.ledger import CaseLedger

STAGE_HOTLINE, STAGE_GRID, STAGE_STREET, STAGE_DISTRICT = (
    STAGE[s] for s in ("hotline", "grid", "street", "district")
)
NewCase = Callable[[int, int, int, int, int], None]


class LifeCycle:
    """The agents' :class:`~govsim.engine.agents.flow.CaseFlow` over one run's ledger."""

    def __init__(self, env: simpy.Environment, ledger: CaseLedger) -> None:
        self.env = env
        self.ledger = ledger
        self.move = ledger.move  # CaseFlow.move, without a call in between
        self._later = later(env)
        self._arrive_callback = self._arrive  # bound once, not per hold
        self.closed_by_tier = [0] * len(TIERS)
        """Cases closed so far per TIERS code (the monitor's flows)."""
        self.on_close: list[Callable[[Case], None]] = []
        """Listeners called for every closed case, after its callback draw (policies')."""
        # Wired by the run once the agents exist.
        self.new_case: Callable[..., None] = _not_wired
        """CaseFlow.new_case: the intake's ``create``."""
        self.verification: VerificationCall
        self.hotline_pool: ServerPool
        self.handlers: Handlers
        # Mechanisms' hooks (govsim/engine/mechanism.py): None until one sets them.
        self.judging: Callable[[Case, int], None] | None = None
        """Called as a case created with a mechanism's record closes (``case.attached``), before
        its callback is drawn: the mechanism judges what closing it did (``case.outcome``)."""
        self.closing: Callable[[Case, int], None] | None = None
        """Called as any case closes, before its callback is drawn (a notification)."""
        self.abandoning: Callable[[Case], None] | None = None
        """Called after a caller hung up."""
        self.repeat_appeal: Callable[[float, Case, int], None] | None = None
        """What a resident's repeat appeal becomes (else a new case)."""

    def close(self, case: Case, tier: int) -> None:
        """Steps 5 and 6: report back, close at ``tier`` (a TIERS code), and draw the
        verification call."""
        case.closed = self.env._now  # noqa: SLF001 - env.now, without the property call
        case.final_tier = tier
        self.closed_by_tier[tier] += 1
        if case.attached:  # created with a mechanism's record: it may judge the outcome
            judging = self.judging
            if judging is not None:
                judging(case, tier)
        closing = self.closing
        if closing is not None:
            closing(case, tier)
        self.verification.assess(case)
        for listener in self.on_close:
            listener(case)
        self.ledger.finish(case, CLOSED)

    def abandon(self, case: Case) -> None:
        """A caller hung up before an operator answered."""
        self.ledger.finish(case, ABANDONED)
        abandoning = self.abandoning
        if abandoning is not None:
            abandoning(case)

    def hold(self, delay: float, step: Step, case: Case) -> None:
        """Hold ``case`` in transit for ``delay`` hours, then hand it to ``step``."""
        self.ledger.transit.add(case)
        call_later = self._later  # a local name: cheaper than self.x() (docs/performance.md)
        call_later(delay, self._arrive_callback, (step, case))

    def _arrive(self, held: tuple[Step, Case]) -> None:
        step, case = held
        if case.status != OPEN:
            return  # closed in transit: a mechanism settled it meanwhile (merged handling)
        self.ledger.transit.discard(case)
        step(case)

    def start_joint(self, case: Case) -> None:
        """``case`` is now handled jointly by several departments (see CaseFlow)."""
        self.ledger.joint.add(case)

    def end_joint(self, case: Case) -> None:
        self.ledger.joint.discard(case)

    def appeal_again(self, delay: float, original: Case, channel: int) -> None:
        """The resident of ``original`` appeals again after ``delay`` hours (a repeat case, or
        what a mechanism's ``repeat_appeal`` hook makes of it)."""
        repeat_appeal = self.repeat_appeal
        if repeat_appeal is not None:
            repeat_appeal(delay, original, channel)
            return
        args = (original.category, original.grid, original.resident, channel, original.id)
        event = Timeout(self.env, delay)
        event.callbacks.append(lambda _event: self.new_case(*args))

    # -- for mechanisms --------------------------------------------------------------------
    def merge(self, case: Case, tier: int) -> None:
        """Close ``case`` because what it was about was settled elsewhere (merged handling,
        并案): at once if it waits in a queue or is in transit, at the end of its visit if a
        unit is on it now."""
        ledger = self.ledger
        if case.parts_open:
            return  # handled jointly: it closes when its departments' last part is done
        if case in ledger.transit:
            ledger.transit.discard(case)
        elif case.ticket > 0:
            self._pool_holding(case).withdraw(case)
        else:
            return  # in service: the unit closes it when the visit ends (it sees the fix)
        if case.first_response != case.first_response:  # NaN: nobody had taken it up yet
            # Its resident is answered by the settlement (merged handling answers every
            # report at once): without this, a duplicate closed in a queue would count as a
            # late response, and the response rate would fall by a case merged.
            case.first_response = self.env.now
        self.close(case, tier)

    def _pool_holding(self, case: Case) -> ServerPool:
        """The unit whose queue ``case`` waits in (by its stage)."""
        handlers, stage = self.handlers, case.stage
        if stage == STAGE_HOTLINE:
            return self.hotline_pool
        if stage == STAGE_GRID:
            return handlers.grids[case.grid]
        if stage == STAGE_STREET:
            return handlers.streets[case.street]
        if stage == STAGE_DISTRICT:
            return handlers.districts[case.district]
        if case.route_department:
            return handlers.departments[case.department]
        return handlers.whistle.pool_for(case.summoned, case)


def _not_wired(*_args: object) -> None:
    raise RuntimeError("the life cycle's new_case is wired by the run once the intake exists")
