"""What every policy is: parameters (a pydantic spec) plus up to two hooks.

- ``apply(scenario) -> scenario``: a *static* change made before the run (for example
  turn whistle-blowing on with given deadlines);
- ``install(model)``: a *dynamic* controller started with the run (monthly, on a date,
  on a threshold), pulling the levers the model exposes (unit capacities, arrival
  prevention, patrol detection, unit quality: :mod:`govsim.policies.levers`).

Policies compose in the fixed order of :data:`govsim.policies.ORDER`, whatever their
order in the YAML list; within a type, in list order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govsim.core.parameters import Strict

if TYPE_CHECKING:
    from collections.abc import Generator

    from govsim.policies.levers import Levers, ScenarioT


class PolicySpec(Strict):
    """Base of the policy specs; subclasses add a ``type`` literal and their parameters."""

    def apply(self, scenario: ScenarioT) -> ScenarioT:
        """The scenario after this policy's static change, made before the run: a changed copy
        (``scenario.model_copy(update=...)``), never the given scenario changed in place. The
        default changes nothing. A policy sees the scenario as
        :class:`~govsim.policies.levers.ScenarioView` (the schema imports the policies, not the
        other way round)."""
        return scenario

    def install(self, levers: Levers) -> None:
        """Start this policy's controller as the run starts (usually ``levers.env.process``
        of a generator). The default starts none."""
        return None


def at_day(levers: Levers, day: float) -> Generator:
    """Wait (inside a SimPy process) until simulated ``day``."""
    delay = day * 24.0 - levers.env.now
    if delay > 0:
        yield levers.env.timeout(delay)


def spread(total: int, slots: int) -> list[int]:
    """``total`` items dealt as evenly as possible over ``slots`` slots."""
    base, rest = divmod(total, slots)
    return [base + (1 if i < rest else 0) for i in range(slots)]
