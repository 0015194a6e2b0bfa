"""The area's units join the street's coordination (驻区单位, issue 29): resources fixing problems.

With ``area_units.enabled`` (govsim/scenario/area_units.py), each kind of resource joins each
street (or the named ones) with its number of units on its ``join_day``; ``lag_days`` later
their resources take effect. Installed into a run, the mechanism

- at the effect, fixes each open problem of the resource's categories in the street with
  probability 1 - (1 - ``fix_open_share``)^units (its own stream; ``problems.parquet``:
  ``fixed_by`` ``area_units``, its open cases close at the street: merged handling);
- from then on keeps a new problem of those categories in the street from arising with
  probability 1 - (1 - ``avert_share``)^units, through the problems stock's ``averting`` seam
  (set only if some resource averts; drawn after proactive prevention);
- counts units joined, resources in effect, problems fixed and averted per street and month,
  and what the resources cost (:mod:`~govsim.mechanisms.area_units.tallies`): the
  ``area_units`` table and block of ``summary.json``, and the outcomes of
  :mod:`~govsim.mechanisms.area_units.outcomes`.

It acts on problems only: no hook on the handling of a case. Switched off,
:meth:`AreaUnitsMechanism.from_scenario` returns None; with no unit (``per_street: 0``) or no
effect (both shares 0) it draws nothing and the run's cases are today's.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from simpy.events import Timeout

from govsim.core.calendar import Calendar
from govsim.core.codes import FIXED_BY_AREA_UNITS, STREET_TIER
from govsim.core.errors import LedgerError
from govsim.core.json_numbers import round_number
from govsim.engine.mechanism import FinishedRun, Mechanism, RunParts, set_hook
from govsim.mechanisms.area_units.outcomes import OUTCOMES
from govsim.mechanisms.area_units.tallies import AreaUnitsTallies

if TYPE_CHECKING:
    import pandas as pd

    from govsim.mechanisms.problems.stock import ProblemStock
    from govsim.scenario.area_units import Resource
    from govsim.scenario.schema import Scenario


class AreaUnitsMechanism(Mechanism):
    """The area's units, installed into a run (see the module docstring)."""

    name = "area_units"
    outcomes = OUTCOMES

    def __init__(self, scenario: Scenario) -> None:
        self.spec = scenario.area_units

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> AreaUnitsMechanism | None:
        return cls(scenario) if scenario.area_units.enabled else None

    # -- assembly --------------------------------------------------------------------------
    def install(self, run: RunParts) -> None:
        scenario = run.scenario
        stock: ProblemStock | None = getattr(run.mechanism("problems"), "stock", None)
        if stock is None:
            raise ValueError("mechanism 'area_units' acts on problems: enable the problems")
        self.stock = stock
        self.env = run.env
        layout = run.layout
        self.grid_street = layout.grid_street().tolist()
        streets = [s.name for s in layout.streets]
        names = [c.name for c in scenario.categories]
        horizon = scenario.days * 24.0
        calendar = Calendar(scenario.start_date, horizon)
        self.book = AreaUnitsTallies(streets, calendar, math.ceil(scenario.days))
        self.kept = [[1.0] * len(names) for _ in streets]
        """Per street and category: the probability that a new problem still arises."""
        self.fixed_by_category = [0] * len(names)
        self.averted_by_category = [0] * len(names)
        self.category_names = names
        self.fix_draw = run.streams.uniform("area_units/fix")
        self.avert_draw = run.streams.uniform("area_units/avert")
        self.planned = {"joined": 0, "effective": 0}
        """Units whose joining and whose effect fall inside the run (the book's check)."""
        averts = False
        for resource in self.spec.resources.values():
            codes = [names.index(c) for c in resource.categories]
            own = resource.streets or {}
            units = [own.get(street, resource.per_street) for street in streets]
            if not any(units):
                continue
            joined = resource.join_day * 24.0
            effect = joined + resource.lag_days * 24.0
            # One event per kind for all its streets (the effect goes over the open problems
            # once); an event at the horizon itself is not run: the run stops first.
            if joined < horizon:
                self._at(joined, self._join, (units, resource))
                self.planned["joined"] += sum(units)
            if effect < horizon:
                self._at(effect, self._take_effect, (units, resource, codes))
                self.planned["effective"] += sum(units)
                averts = averts or resource.avert_share > 0
        if averts:
            set_hook(stock, "averting", self._averting, self)

    def _at(self, when: float, call: Any, args: tuple[Any, ...]) -> None:
        Timeout(self.env, when).callbacks.append(lambda _event: call(*args))

    # -- what the units do -------------------------------------------------------------------
    def _join(self, units: list[int], resource: Resource) -> None:
        """``units[s]`` units of ``resource``'s kind join street s."""
        now = self.env.now
        for street, n in enumerate(units):
            if n:
                self.book.add("joined", street, now, n)
                self.book.spend(street, n, resource.cost_yuan_per_month, now)

    def _take_effect(self, units: list[int], resource: Resource, codes: list[int]) -> None:
        """The resource of ``units[s]`` units takes effect in each street s: it fixes a share of
        the street's open problems of its categories and averts a share of new ones from now
        on."""
        now = self.env.now
        book = self.book
        fix = [1.0 - (1.0 - resource.fix_open_share) ** n for n in units]
        if any(fix):
            grid_street, stock = self.grid_street, self.stock
            touched = set(codes)
            open_now = [
                p
                for p in stock.ledger.open.values()
                if p.category in touched and fix[grid_street[p.grid]] > 0 and not p.is_fixed
            ]
            for problem in open_now:
                street = grid_street[problem.grid]
                if self.fix_draw() < fix[street] and not problem.is_fixed:
                    stock.fix(problem, FIXED_BY_AREA_UNITS, STREET_TIER)
                    book.add("fixed", street, now)
                    self.fixed_by_category[problem.category] += 1
        for street, n in enumerate(units):
            if n:
                book.add("effective", street, now, n)
                kept = (1.0 - resource.avert_share) ** n
                for code in codes:
                    self.kept[street][code] *= kept

    def _averting(self, category: int, grid: int) -> bool:
        """The stock's ``averting`` seam: True if a resource keeps this problem from arising."""
        street = self.grid_street[grid]
        kept = self.kept[street][category]
        if kept < 1.0 and self.avert_draw() >= kept:
            self.book.add("averted", street, self.env.now)
            self.averted_by_category[category] += 1
            return True
        return False

    # -- end of the run --------------------------------------------------------------------
    def check(self, run: RunParts) -> None:
        """Every unit planned to join and take effect inside the run did, once; the acts
        counted per street and month are those counted per day and per category."""
        book = self.book
        counted = {name: book.total(name) for name in ("joined", "effective")}
        faults = [
            f"{name}: {counted[name]} units counted, {planned} planned inside the run"
            for name, planned in self.planned.items()
            if counted[name] != planned
        ]
        if not book.balanced():
            faults.append("the street-month counts differ from the daily counts")
        for name, by_category in (
            ("fixed", self.fixed_by_category),
            ("averted", self.averted_by_category),
        ):
            if book.total(name) != sum(by_category):
                faults.append(f"{name}: {book.total(name)} by day, {sum(by_category)} by category")
        if faults:
            raise LedgerError("area units' book does not balance: " + "; ".join(faults))

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"area_units": self.book.frame()}

    def tallies(self) -> AreaUnitsTallies:
        return self.book

    def summary(self, state: FinishedRun) -> dict[str, Any]:
        """The ``area_units`` block: units joined and in effect, problems fixed and averted (in
        all and by category) and the yuan spent, in all and per problem fixed or averted."""
        book = self.book
        fixed, averted = book.total("fixed"), book.total("averted")
        cost = book.cost()
        return {
            "units_joined": book.total("joined"),
            "units_in_effect": book.total("effective"),
            "problems_fixed": fixed,
            "problems_averted": averted,
            "cost_yuan": round_number(cost),
            "yuan_per_problem": round_number(cost / (fixed + averted)) if fixed + averted else None,
            "by_category": {
                name: {"fixed": f, "averted": a}
                for name, f, a in zip(
                    self.category_names,
                    self.fixed_by_category,
                    self.averted_by_category,
                    strict=True,
                )
                if f or a
            },
        }
