"""Mechanisms: the parts of a run that the case life cycle does not need, as plug-ins.

The engine runs the seven steps of a case (:mod:`govsim.engine.agents`). A mechanism adds
something to them: problems behind the appeals (:mod:`govsim.mechanisms.problems`) is the
first; units answering to their assessment, people at work (duty hours) and party-building
are others (:data:`govsim.mechanisms.BUILT_IN` lists them). The run
(:class:`govsim.engine.run.Run`) is given its mechanisms and names none of them. A
mechanism has a life cycle, called by the run in this order (the shape of desmod's
components, with their elaboration and result hooks):

1. **built** from the scenario by its factory, a ``from_scenario(scenario)`` that returns
   None when the mechanism is switched off, so that an off mechanism costs nothing;
2. :meth:`Mechanism.install`, once, when the run is assembled (its agents built, before
   the residents start): the mechanism takes its random streams by name and sets the
   hooks below. A hook is an attribute of an agent or of the run, None unless a mechanism
   sets it; the per-event path calls it as a bound method, never a loop over mechanisms;
3. :meth:`Mechanism.check`, at the end of the run, after the case ledger balanced: its own
   ledger (raise :class:`govsim.core.errors.LedgerError`); then :meth:`Mechanism.close_book`;
4. :meth:`Mechanism.finish` (or :meth:`Mechanism.abort` if the run failed): its tables are
   complete (or dropped: no partial file is left);
5. its results: :meth:`Mechanism.summary` (a block of ``summary.json`` under its
   :attr:`Mechanism.name`), :meth:`Mechanism.tables` (``NAME.parquet`` files of the run
   folder), :meth:`Mechanism.tallies` (kept with the run's tables) and
   :attr:`Mechanism.outcomes` (experiment outcomes computed from those tallies).

The hooks a mechanism may set (None: the plain life cycle), with where they are called:

- ``intake.attach(case, record)``: a case a mechanism creates with its record
  (``Intake.create_decided``) is linked to what it stands for, before it enters the ledger;
- ``flow.judging(case, tier)``: as a case created with the mechanism's record closes
  (``case.attached``), before its callback is drawn: it judges ``case.outcome``;
- ``flow.closing(case, tier)``: as any case closes, before its callback is drawn;
- ``flow.abandoning(case)``: after a caller hung up;
- ``flow.repeat_appeal(delay, case, channel)``: a resident appeals again (else a new case);
- ``handlers.after_visit(case, tier)``: after a visit at a territorial tier; True if the
  mechanism closed the case;
- ``handlers.jurisdiction(case, share, draw)``: whether an order's jurisdiction is unclear;
- ``handlers.at_grid(case)``: a work order reaches its grid; True if the mechanism took it
  on in a pool of its own (listed in ``handlers.extra_pools``, so that the case ledger finds
  its cases; its ``done`` is ``handlers.visited``, which goes on as after the grid's visit);
- ``verification.by_resident(case)``: the callback's reach and the shift of the satisfaction
  score for the case's resident (unequal residents), instead of ``callback_reach`` and 0;
- ``verification.pressing(case, resolution, u, z)``: for a judged case reached at its
  callback, the P(resolved) and satisfaction draw its resident answers with (a unit that
  presses its residents), instead of ``resolution`` and ``z``.

Not hooks but data, read on the per-case path without a call: a mechanism that settles what
a case is about elsewhere sets ``case.settled`` and calls ``flow.merge(case, tier)`` (the
case closes at once if it waits, or when the unit or operator working on it is done); one
that judges what closing a case did sets ``case.outcome`` as it closes (``flow.judging``)
and gives the verification call its resolution probabilities
(``verification.judged_resolution``): the resident of a judged case answers from whether
it was fixed.

And once, by a call: ``run.route_arrivals(raise_event, rates, filtered)`` sends the
residents' events to the mechanism instead of the intake (one mechanism per run);
``run.case_column(name, make)`` adds a column to the cases table, made from each chunk's
columns as the table is written. Where the residents' events fall is data too:
``run.placement`` (govsim/engine/agents/placement.py). A mechanism may offer a seam of its own
to another (the problems stock's ``reporters`` and ``averting``); the other finds it
with ``run.mechanism(name)``.

Hooks are set with :func:`set_hook`. Two mechanisms may both listen to ``closing`` and
``abandoning`` (:data:`NOTIFICATIONS`: both are called, in order of installation); every
other hook decides something and has one owner: a second mechanism that sets it is refused
when the run is assembled, rather than silently overriding the first.

(``flow`` is the run's :class:`~govsim.engine.life_cycle.LifeCycle`, ``hotline``,
``handlers`` and ``verification`` its agents.) A mechanism reaches the rest of the run only
through :class:`RunParts` while it installs and :class:`FinishedRun` for its summary: what
they list is all it may use (the run and its state satisfy them; this module imports neither,
so that no import circle runs through the interface). It offers its own levers to policies
through :meth:`govsim.policies.levers.Levers.mechanism`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    import pandas as pd
    import simpy

    from govsim.core.controls import ArrivalControls, SelfGovernance, UnitQuality
    from govsim.core.randomness import RandomStreams
    from govsim.engine.agents import Handlers, Hotline, VerificationCall
    from govsim.engine.agents.intake import Intake
    from govsim.engine.agents.placement import Placement
    from govsim.engine.ledger import CaseLedger
    from govsim.engine.life_cycle import LifeCycle
    from govsim.engine.recording.cases import CaseRecorder
    from govsim.engine.recording.tables import Columns
    from govsim.engine.statistics import RunStatistics
    from govsim.network.city import CityLayout
    from govsim.scenario.schema import Scenario


class RunParts(Protocol):
    """What a mechanism may use of the run it installs into (:class:`govsim.engine.run.Run`)."""

    scenario: Scenario
    """The scenario after the static policy changes."""
    env: simpy.Environment
    streams: RandomStreams
    """Take streams by a name of the mechanism's own (``"NAME/purpose"``)."""
    layout: CityLayout
    ledger: CaseLedger
    flow: LifeCycle
    """Its hooks ``closing``, ``abandoning``, ``repeat_appeal``; ``close`` and ``merge``."""
    intake: Intake
    """``decide``, ``build`` and ``admit`` for a mechanism that raises cases itself; its
    ``rules``."""
    hotline: Hotline
    handlers: Handlers
    verification: VerificationCall
    arrivals: ArrivalControls
    quality: UnitQuality
    self_governance: SelfGovernance
    placement: Placement
    """Where the residents' events fall (per category and grid, and within a grid): set
    before the residents start (govsim/engine/agents/placement.py)."""

    def route_arrivals(
        self, raise_event: Callable[[int, int, int, int], None], rates: list[float], filtered: bool
    ) -> None: ...

    def table_file(self, name: str) -> Path | None: ...

    def case_column(self, name: str, make: Callable[[Columns], Any]) -> None:
        """Add the column ``name`` to the cases table, made by ``make`` from each chunk's
        columns (vectorised, as the table is written: no cost per case)."""
        ...

    def mechanism(self, name: str) -> Mechanism | None:
        """The run's mechanism called ``name`` (installed before this one, or later), or
        None: a mechanism that builds on another one's seam finds it by name."""
        ...


class FinishedRun(Protocol):
    """What a mechanism's summary may read of a finished run (its
    :class:`govsim.engine.run.RunState`)."""

    scenario: Scenario
    ledger: CaseLedger
    recorder: CaseRecorder
    """The case recorder: ``recorder.tallies`` holds the cases' streaming tallies."""
    horizon: float
    prevented: dict[str, int]


class Mechanism:
    """Base of every mechanism: each hook of the life cycle does nothing until overridden."""

    name: ClassVar[str] = ""
    """The mechanism's name: its ``summary.json`` block, and what policies ask levers for."""
    outcomes: ClassVar[Mapping[str, MechanismOutcome]] = {}
    """Its experiment outcomes by name: each one number per run, of the mechanism's
    :meth:`tallies` (None in a run where it was off), the case statistics and the warm-up."""

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Mechanism | None:
        """The mechanism as ``scenario`` sets it, or None if the scenario switches it off (a
        built-in mechanism's factory: :data:`govsim.mechanisms.BUILT_IN`)."""
        raise NotImplementedError(f"{cls.__name__} is not built from a scenario")

    def install(self, run: RunParts) -> None:
        """Wire the mechanism into ``run`` (see the module docstring): called once."""

    def check(self, run: RunParts) -> None:
        """Raise :class:`govsim.core.errors.LedgerError` unless the mechanism's own books
        balance at the end of the run (the case ledger was checked already)."""

    def close_book(self) -> None:
        """The run is over and checked: record what is still open."""

    def finish(self) -> None:
        """Complete the mechanism's tables (files are closed)."""

    def abort(self) -> None:
        """The run failed: drop the mechanism's tables (no partial file is left behind)."""

    def summary(self, state: FinishedRun) -> dict[str, Any] | None:
        """The mechanism's block of ``summary.json`` (None: no block)."""
        return None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The mechanism's tables, by name (each written as ``NAME.parquet``)."""
        return {}

    def tallies(self) -> object | None:
        """The mechanism's streaming tallies, kept with the run's tables (the experiment
        outcomes read them); None: nothing to keep. Holds no reference to the run."""
        return None


NOTIFICATIONS = ("closing", "abandoning")
"""Hooks that only observe (they return None): several mechanisms may set them."""


def set_hook(target: object, name: str, hook: Any, owner: Mechanism) -> None:
    """Set the hook ``name`` of ``target`` (the run, one of its agents, or a mechanism's part
    that offers a seam) to ``hook``: a callable, or an object with the methods the seam names.

    A notification already set by another mechanism is kept and called first; any other hook
    already set raises ValueError naming both mechanisms.
    """
    # Owners are kept on the target, set as an attribute: reading ``vars(target)`` would turn
    # the object's inline attribute values into a dict, and every attribute read of the run's
    # busiest objects would take CPython's slow path from then on.
    owners: dict[str, str] | None = getattr(target, "_hook_owners", None)
    if owners is None:
        owners = {}
        setattr(target, "_hook_owners", owners)  # noqa: B010 - an attribute of any target
    current = getattr(target, name)
    if current is not None:
        if name not in NOTIFICATIONS:
            raise ValueError(
                f"mechanism '{owner.name}' sets the hook {name}, which mechanism "
                f"'{owners.get(name, '?')}' set already: a hook that decides has one owner"
            )
        hook = _both(current, hook)
        owners[name] = f"{owners.get(name, '?')}, {owner.name}"
    else:
        owners[name] = owner.name
    setattr(target, name, hook)


def _both(first: Callable[..., Any], second: Callable[..., Any]) -> Callable[..., None]:
    """One notification that calls ``first``, then ``second``."""

    def both(*args: Any) -> None:
        first(*args)
        second(*args)

    return both


MechanismOutcome = Callable[[Any, "RunStatistics", float], float]
"""An experiment outcome of a mechanism: (its tallies or None, case statistics, warm-up hours)."""


def named(mechanisms: Sequence[Mechanism], name: str) -> Mechanism | None:
    """The mechanism called ``name`` among ``mechanisms``, or None."""
    return next((m for m in mechanisms if m.name == name), None)
