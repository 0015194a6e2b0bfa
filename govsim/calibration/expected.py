"""Expected values from the arrival model: what a scenario's year holds, without simulating it.

The arrival model of docs/model.md (population x rate / 1000 x weekday x season and surge
multipliers) is integrated exactly, day by day, with the model's own seasonal calendar
(:class:`govsim.engine.agents.residents.SeasonCalendar`). These are expectations of *first*
contacts: repeat appeals and redials come from simulation (the contacts per first contact
of :mod:`govsim.calibration.measure`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from govsim.calibration.targets import OPERATOR_WEEKLY_HOURS, group_of
from govsim.engine.agents.residents import SeasonCalendar
from govsim.network.city import build_city
from govsim.scenario.schema import Scenario


def population_of(scenario: Scenario) -> int:
    """Residents of the scenario's built city."""
    return build_city(scenario).population


def daily_expected(scenario: Scenario, population: float | None = None) -> pd.DataFrame:
    """Expected first contacts per day (rows: dates) and category (columns).

    The last partial day is weighted by the share of the intraday shape it covers.
    """
    if population is None:
        population = population_of(scenario)
    names = [c.name for c in scenario.categories]
    base = np.array([population * c.rate / 1000 for c in scenario.categories])
    weekday = np.array(scenario.arrivals.weekday, float)
    weekday = weekday / weekday.mean()
    intraday = np.array(scenario.arrivals.intraday, float)
    intraday = intraday / intraday.sum()
    seasons = SeasonCalendar(scenario)
    n_days = math.ceil(scenario.days)
    dates = [scenario.start_date + dt.timedelta(days=d) for d in range(n_days)]
    rows = []
    for d, date in enumerate(dates):
        hours = np.arange(24) + d * 24 + 0.5
        inside = hours < scenario.days * 24
        hour_weight = np.tile(intraday[:, None], (1, len(names))) * inside[:, None]
        for surge in scenario.arrivals.surges:
            mask = np.array([surge.categories is None or n in surge.categories for n in names])
            window = (hours >= surge.start_day * 24) & (hours < surge.end_day * 24)
            hour_weight[np.ix_(window, mask)] *= surge.multiplier
        mult = seasons.multipliers(date)
        rows.append(base * weekday[date.weekday()] * mult * hour_weight.sum(axis=0))
    return pd.DataFrame(rows, columns=names, index=pd.Index(dates, name="date"))


def in_season(scenario: Scenario, category: str, dates: Sequence[dt.date] | pd.Index) -> np.ndarray:
    """Which ``dates`` fall in a seasonal window that raises ``category`` (a boolean mask)."""
    seasons = SeasonCalendar(scenario)
    column = [c.name for c in scenario.categories].index(category)
    return np.array([seasons.multipliers(d)[column] != 1.0 for d in dates])


def expected_first_contacts(scenario: Scenario) -> pd.Series:
    """Expected first contacts of the whole horizon, per category."""
    return daily_expected(scenario).sum()


def _contacts(scenario: Scenario, inflation: Mapping[str, float] | None) -> pd.Series:
    first = expected_first_contacts(scenario)
    return first * pd.Series(inflation or {}).reindex(first.index).fillna(1.0)


def expected_mix(
    scenario: Scenario, inflation: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Expected share of contacts per published group (contacts per first contact if given)."""
    groups = _contacts(scenario, inflation).groupby(lambda c: group_of(c)).sum()
    return {str(k): float(v) for k, v in (groups / groups.sum()).items()}


def expected_consultation_share(
    scenario: Scenario, inflation: Mapping[str, float] | None = None
) -> float:
    """Expected share of contacts that are consultations answered by the operator."""
    contacts = _contacts(scenario, inflation)
    shares = pd.Series({c.name: c.consultation_share for c in scenario.categories})
    return float((contacts * shares).sum() / contacts.sum())


def hourly_offered_load(scenario: Scenario, inflation: float = 1.0) -> np.ndarray:
    """Mean offered load at the hotline (erlangs) per hour of an average day.

    Calls an hour (first contacts x calls per first contact x the hotline's channel share,
    spread by the intraday shape) times the mean talk time (hours).
    """
    first = expected_first_contacts(scenario).sum() / scenario.days
    calls = first * inflation * scenario.arrivals.channels.get("hotline", 0.0)
    intraday = np.array(scenario.arrivals.intraday, float)
    return np.asarray(calls * intraday / intraday.sum() * scenario.hotline.talk_time.mean)


def shift_plan(scenario: Scenario) -> list[int]:
    """The hotline's operators per hour of the day (a constant plan as 24 equal hours)."""
    ops = scenario.hotline.operators
    return list(ops) if isinstance(ops, list) else [ops] * 24


def operator_headcount(plan: Sequence[int]) -> float:
    """Operators on the payroll a shift plan needs: on-duty hours a week over a 40-hour week
    (assumed)."""
    return sum(plan) * 7 / OPERATOR_WEEKLY_HOURS.value
