"""What an agent may do with a case: the narrow interface between the agents and the run.

Agents (the hotline, the handling units, the verification call, the residents) never
see the :class:`~govsim.engine.run.Run`; each is given its own parameters, its random
streams and a :class:`CaseFlow`, which :class:`~govsim.engine.life_cycle.LifeCycle`
implements. Everything that changes
the case ledger goes through it, so the ledger stays the single account of where every
case is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import simpy

    from govsim.core.case import Case

Step = Callable[["Case"], None]
"""What happens to a case next (a bound method of an agent)."""


class CaseFlow(Protocol):
    """The run's side of the life cycle, as the agents see it."""

    env: simpy.Environment
    """The clock (agents read ``env.now`` and schedule their own timers)."""

    def new_case(
        self, category: int, grid: int, resident: int, channel: int, repeat_of: int = -1
    ) -> None:
        """Step 1: an appeal is raised (or an issue found on patrol); the case is created."""

    def move(self, case: Case, stage: int) -> None:
        """Record that ``case`` is now at ``stage`` (a ``govsim.core.codes.STAGE`` code)."""

    def hold(self, delay: float, step: Step, case: Case) -> None:
        """Keep ``case`` in transit for ``delay`` hours, then hand it to ``step``."""

    def start_joint(self, case: Case) -> None:
        """``case`` is handled jointly: its departments' contributions, not the case itself, are
        in transit and in queues until :meth:`end_joint`."""

    def end_joint(self, case: Case) -> None:
        """The last contribution to ``case`` is done; it is about to be closed."""

    def close(self, case: Case, tier: int) -> None:
        """Steps 5 and 6: close ``case`` at ``tier`` (a TIERS code) and verify it."""

    def abandon(self, case: Case) -> None:
        """A caller hung up: ``case`` ends without being handled."""

    def appeal_again(self, delay: float, original: Case, channel: int) -> None:
        """The resident of ``original`` appeals again after ``delay`` hours (a repeat case)."""
