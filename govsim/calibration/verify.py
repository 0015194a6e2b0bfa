"""Verification: every target beside its simulated value, 95% CI, tolerance and verdict.

Tolerances (issue 6): volumes and shares within 5% relative, rates within 2 percentage
points, counts exactly. A target passes when the simulated mean is within tolerance; its
95% CI (Student t over independent replications, :func:`govsim.core.intervals.mean_ci`) is shown
beside it. The rates are those of work orders, from :mod:`govsim.core.rates` via
:class:`govsim.calibration.measure.RateCounts`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from govsim.calibration.expected import (
    expected_first_contacts,
    in_season,
    operator_headcount,
    shift_plan,
)
from govsim.calibration.measure import Measurement
from govsim.calibration.predictions import ROLES, Role
from govsim.calibration.targets import (
    CALLS_PER_SHIFT_RANGE,
    CONSULTATION_TARGET,
    CONTACTS_A_DAY_2024,
    CORE_DEPARTMENTS,
    DISTRICTS,
    HAIDIAN,
    HEATING_WINDOW,
    OPERATORS,
    PEAK_RANGE,
    RATES,
    SEATS,
    SHIFT_HOURS,
    SOURCES,
    STREETS,
    TICKET_MINUTES,
    VOLUME,
    WORK_ORDERS_2019,
    Figure,
    mix_targets,
)
from govsim.core.intervals import Interval, mean_ci
from govsim.mechanisms.problems import expected_appeals
from govsim.network.city import build_city
from govsim.scenario.schema import Scenario


def exact(value: float) -> Interval:
    """A value that is computed, not estimated (no interval)."""
    return Interval(float(value), float(value), float(value), 0)


def one_run(value: float) -> Interval:
    return Interval(float(value), float(value), float(value), 1)


def cite(key: str) -> str:
    """How the tables cite a source: its key in brackets."""
    return SOURCES[key].code


@dataclass(frozen=True)
class Check:
    """One target of the report: published figure, simulated value, tolerance, verdict."""

    scenario: str
    target: str
    published: str
    source: str
    """The citation shown (a source key in brackets), or empty."""
    estimate: Interval | None
    """None for a value that is not a number (``text``)."""
    tolerance: str
    passed: bool | None
    """None: shown for information, not judged."""
    fmt: str = "{:.3g}"
    how: str = ""
    text: str | None = None
    """The value, when it is not a number."""
    ci_note: str | None = None
    """Shown in the CI column of an exact value instead of "exact"."""
    figure: float | None = None
    """The published value as a number (the calibration plot), where it is one."""
    prediction: str | None = None
    """The key of the registered prediction this row is the run of (counted there, once)."""
    role: Role | None = field(kw_only=True)
    """input, fitted or predicted (:mod:`~govsim.calibration.predictions`); None only for a
    row shown for information (not judged). No default: every check states its role."""

    def __post_init__(self) -> None:
        if self.role not in ROLES and not (self.role is None and self.passed is None):
            raise ValueError(f"{self.target}: a judged check needs a role in {ROLES}")

    def cells(self) -> list[str]:
        e = self.estimate
        value = self.text if e is None or self.text is not None else self.fmt.format(e.mean)
        if e is None or e.n == 0:
            ci = self.ci_note or "exact"
        elif e.n == 1:
            ci = "one run"
        else:
            ci = f"{self.fmt.format(e.low)} - {self.fmt.format(e.high)} (n={e.n})"
        verdict = {True: "pass", False: "**FAIL**", None: "info"}[self.passed]
        return [
            self.target,
            self.role or "-",
            self.published,
            self.source,
            str(value),
            ci,
            self.tolerance,
            verdict,
            self.how,
        ]


def relative(
    scenario: str,
    target: str,
    figure: Figure | float,
    est: Interval,
    source: str,
    fmt: str = "{:,.0f}",
    tol: float = 0.05,
    how: str = "",
    *,
    role: Role,
) -> Check:
    """A volume or share: passes within ``tol`` relative."""
    value = figure.value if isinstance(figure, Figure) else figure
    ok = abs(est.mean / value - 1) <= tol
    return Check(
        scenario,
        target,
        fmt.format(value),
        source,
        est,
        f"±{tol:.0%} relative",
        ok,
        fmt,
        how,
        figure=float(value),
        role=role,
    )


def points(
    scenario: str,
    target: str,
    figure: Figure,
    est: Interval,
    source: str,
    tol: float = 0.02,
    how: str = "",
    upper: float | None = None,
    *,
    role: Role,
    prediction: str | None = None,
) -> Check:
    """A rate: passes within ``tol`` (absolute, percentage points), at most ``upper``."""
    value = figure.value
    hi = value + tol if upper is None else min(upper, value + tol)
    ok = value - tol <= est.mean <= hi
    return Check(
        scenario,
        target,
        f"{value:.1%}",
        source,
        est,
        f"±{tol * 100:.0f} points",
        ok,
        "{:.2%}",
        how,
        figure=value,
        prediction=prediction,
        role=role,
    )


def info(
    scenario: str,
    target: str,
    published: str,
    est: Interval,
    fmt: str,
    how: str = "",
    source: str = "",
) -> Check:
    """A figure shown for comparison, not judged (no role)."""
    return Check(scenario, target, published, source, est, "", None, fmt, how, role=None)


# -- Beijing 2024 and 2019 ------------------------------------------------------------------
def verify_beijing(name: str, full: Scenario, runs: Sequence[Measurement]) -> list[Check]:
    """The scenario's targets against replications of its scaled copy (and its own file)."""
    checks: list[Check] = []
    f = runs[0].scale
    contacts = [run.total("contacts") for run in runs]
    if full.problems.enabled:  # the residents' events: consultations and problems arising
        expected = expected_first_contacts(full)
        e_first = float(
            sum(
                expected[c.name]
                * (
                    c.consultation_share
                    + (1 - c.consultation_share) / expected_appeals(full.problems, c.problem)
                )
                for c in full.categories
            )
        )
        first = [run.total("plain_first") + run.total("problems") for run in runs]
        unit = "events (consultations and problems)"
    else:
        e_first = float(expected_first_contacts(full).sum())
        first = [run.total("first") for run in runs]
        unit = "first contacts"
    k = mean_ci([c / fi for c, fi in zip(contacts, first, strict=True)])
    volume = cite(VOLUME[name].source)
    checks.append(
        relative(
            name,
            "contacts in the year: arrival model expectation x contacts per first contact",
            VOLUME[name],
            Interval(e_first * k.mean, e_first * k.low, e_first * k.high, k.n),
            volume,
            how=f"E[{unit}] = {e_first:,.0f} (exact integral); "
            f"x {k.mean:.4f} contacts per one (simulated)",
            role="fitted",
        )
    )
    checks.append(
        relative(
            name,
            "contacts in the year: simulated",
            VOLUME[name],
            mean_ci([c / f for c in contacts]),
            volume,
            how=f"simulated year of the 1:{1 / f:.1f} copy, count / {f:.5f}",
            role="fitted",
        )
    )
    if name == "beijing":
        checks.append(
            relative(
                name,
                "contacts a day: simulated",
                CONTACTS_A_DAY_2024,
                mean_ci([c / f / full.days for c in contacts]),
                volume,
                how="simulated year / 366 days",
                role="fitted",
            )
        )
    consult = [run.consultation_share for run in runs]
    if name == "beijing":
        checks.append(
            relative(
                name,
                "consultations answered by the operator, share of contacts",
                CONSULTATION_TARGET[name],
                mean_ci(consult),
                cite("consult"),
                fmt="{:.2%}",
                role="fitted",
            )
        )
        checks.append(
            relative(
                name,
                "dispatched as work orders, share of contacts",
                1 - CONSULTATION_TARGET[name].value,
                mean_ci([1 - x for x in consult]),
                cite("consult"),
                fmt="{:.2%}",
                role="fitted",
            )
        )
    else:
        checks.append(
            relative(
                name,
                "work orders (appeals) in the year: simulated",
                WORK_ORDERS_2019,
                mean_ci([run.total("work_orders") / f for run in runs]),
                cite("appeals_2019"),
                role="fitted",
            )
        )
        checks.append(
            relative(
                name,
                "consultations, share of contacts",
                CONSULTATION_TARGET[name],
                mean_ci(consult),
                cite("appeals_2019") + " (1 - 2.52 / 6.96)",
                fmt="{:.2%}",
                role="fitted",
            )
        )
        checks.append(
            Check(
                name,
                "consultations, share of contacts (2019-21 average)",
                f"{CONSULTATION_TARGET['beijing'].value:.1%}",
                cite("consult"),
                mean_ci(consult),
                "not applied",
                None,
                "{:.2%}",
                "the 2019-specific figure above is used for 2019; see the notes",
                role=None,
            )
        )
    for group, share in mix_targets(name).items():
        shares = [run.group_counts()[group] / c for run, c in zip(runs, contacts, strict=True)]
        checks.append(
            relative(
                name,
                f"category mix: {group}",
                share,
                mean_ci(shares),
                cite("mix"),
                fmt="{:.2%}",
                how="heating + other utilities" if group == "public_services" else "",
                role="fitted",
            )
        )
    checks += _shape_checks(name, full, runs)
    if name == "beijing":
        checks += _hotline_and_structure_checks(name, full, runs)
    for rate, target in RATES[name].items():
        checks.append(
            points(
                name,
                f"{rate} rate of work orders",
                target,
                mean_ci([run.work_orders.rate(rate) for run in runs]),
                cite(target.source),
                upper=1.0 if rate == "response" else None,
                how="valid callbacks of dispatched cases created in the year",
                role="predicted" if rate == "response" else "fitted",
                prediction="response_2024" if rate == "response" else None,
            )
        )
    if name == "beijing-2019":
        checks.append(
            info(
                name,
                "response rate of work orders",
                "not published",
                mean_ci([run.work_orders.rate("response") for run in runs]),
                "{:.2%}",
            )
        )
    for rate in ("resolution", "satisfaction"):
        checks.append(
            info(
                name,
                f"{rate} rate of all contacts (consultations included)",
                "not a target",
                mean_ci([run.contacts.rate(rate) for run in runs]),
                "{:.2%}",
                "for comparison with govsim's summary.json",
            )
        )
    return checks


def _shape_checks(name: str, full: Scenario, runs: Sequence[Measurement]) -> list[Check]:
    """Intraday peaks, weekdays over weekends, the heating season."""
    am = [int(np.argmax(run.hourly[:12])) for run in runs]
    pm = [int(12 + np.argmax(run.hourly[12:])) for run in runs]
    ratios, heat = [], []
    for run in runs:
        total = run.daily.sum(axis=1).to_numpy()
        weekend = pd.DatetimeIndex(run.daily.index).day_of_week >= 5
        ratios.append(total[~weekend].mean() / total[weekend].mean())
        season = in_season(full, "heating", run.daily.index)
        h = run.daily["heating"].to_numpy()
        heat.append(h[season].mean() / h[~season].mean())
    seasons = [s for s in full.arrivals.seasons if s.name == "heating season"]
    window = f"{seasons[0].start} to {seasons[0].end}" if seasons else "none"
    published_window = " to ".join(HEATING_WINDOW)
    weekday, heating = mean_ci(ratios), mean_ci(heat)
    return [
        Check(
            name,
            "busiest morning hour (contacts)",
            "9 or 10 (9-11 h)",
            cite("intraday"),
            exact(float(np.median(am))),
            "in 9-10",
            all(h in (9, 10) for h in am),
            "{:.0f}",
            ci_note=f"every run: {sorted(set(am))}",
            role="input",
        ),
        Check(
            name,
            "busiest afternoon hour (contacts)",
            "14 or 15 (14-16 h)",
            cite("intraday"),
            exact(float(np.median(pm))),
            "in 14-15",
            all(h in (14, 15) for h in pm),
            "{:.0f}",
            ci_note=f"every run: {sorted(set(pm))}",
            role="input",
        ),
        Check(
            name,
            "contacts per weekday / per weekend day",
            "> 1",
            cite("weekday"),
            weekday,
            "> 1",
            weekday.low > 1,
            "{:.3f}",
            role="input",
        ),
        Check(
            name,
            "heating season window (scenario)",
            published_window,
            cite("heating"),
            None,
            "exact",
            window == published_window,
            "{}",
            text=window,
            role="input",
        ),
        Check(
            name,
            "heating appeals a day, in season / outside",
            "> 1 (size not published)",
            cite("heating"),
            heating,
            "> 1",
            heating.low > 1,
            "{:.2f}",
            "assumed size: 10",
            role="input",
        ),
    ]


def _hotline_and_structure_checks(
    name: str, full: Scenario, runs: Sequence[Measurement]
) -> list[Check]:
    """The shift plan against the published operators; districts, streets, departments."""
    plan = shift_plan(full)
    peak = max(plan)
    low, high = PEAK_RANGE
    minutes = [
        run.hotline_utilisation * run.operator_hours / run.calls_answered * 60 for run in runs
    ]
    # answered calls and callbacks (one per work order) at city scale, per 8 on-duty hours
    per_shift = [
        (run.calls_answered + run.work_orders.cases)
        / run.scale
        / (sum(plan) * run.days / SHIFT_HOURS)
        for run in runs
    ]
    calls_low, calls_high = CALLS_PER_SHIFT_RANGE
    per_shift_ci = mean_ci(per_shift)
    headcount = operator_headcount(plan)
    layout = build_city(full)
    departments = {d.name for d in full.departments}
    return [
        Check(
            name,
            "operators on duty at the peak hour",
            f"{low}-{high}",
            cite("operators"),
            exact(peak),
            f"in {low}-{high}",
            low <= peak <= high,
            "{:.0f}",
            role="input",
        ),
        Check(
            name,
            "operators on duty at the peak hour, at most the seats",
            f"{SEATS.value} seats",
            cite("operators"),
            exact(peak),
            f"<= {SEATS.value}",
            peak <= SEATS.value,
            "{:.0f}",
            role="input",
        ),
        Check(
            name,
            "calls per operator per 8-hour shift (answered calls and callbacks)",
            f"{calls_low}-{calls_high}",
            cite("operators"),
            per_shift_ci,
            f"in {calls_low}-{calls_high}",
            calls_low <= per_shift_ci.mean <= calls_high,
            "{:.1f}",
            "one callback per work order (the hotline calls back; no operator time in the "
            "model); the city's shift plan",
            role="fitted",
        ),
        Check(
            name,
            "operators answering 40-hour weeks (shift plan hours / 40), at most the payroll",
            f"{OPERATORS.value:,.0f}",
            cite("operators"),
            exact(headcount),
            f"<= {OPERATORS.value:,.0f}",
            headcount <= OPERATORS.value,
            "{:,.0f}",
            "the rest of the payroll: leave, training, online appeals, quality checks (assumed)",
            role="input",
        ),
        relative(
            name,
            "minutes per answered call (operator busy time / calls)",
            TICKET_MINUTES,
            mean_ci(minutes),
            cite("operators"),
            fmt="{:.2f}",
            how=f"operator utilisation {np.mean([run.hotline_utilisation for run in runs]):.1%}",
            role="input",
        ),
        Check(
            name,
            "districts",
            f"{DISTRICTS.value}",
            cite("structure"),
            exact(len(layout.districts)),
            "exact",
            len(layout.districts) == DISTRICTS.value,
            "{:.0f}",
            figure=DISTRICTS.value,
            role="input",
        ),
        Check(
            name,
            "streets and townships",
            f"{STREETS.value}",
            cite("structure"),
            exact(len(layout.streets)),
            "exact",
            len(layout.streets) == STREETS.value,
            "{:.0f}",
            figure=STREETS.value,
            role="input",
        ),
        Check(
            name,
            "departments (the core set)",
            f"{len(CORE_DEPARTMENTS)} named",
            cite("structure"),
            exact(len(departments)),
            "same set",
            departments == CORE_DEPARTMENTS,
            "{:.0f}",
            ci_note=", ".join(sorted(departments)),
            role="input",
        ),
    ]


def verify_full_scale(name: str, run: Measurement) -> list[Check]:
    """One simulated year of the full city (no scaling), against the same targets."""
    contacts = run.total("contacts")
    how = f"one run at full scale, {run.created:,} cases in {run.wall / 60:.1f} min"
    checks = [
        relative(
            name,
            "contacts in the year: simulated at full scale",
            VOLUME[name],
            one_run(contacts),
            cite(VOLUME[name].source),
            how=how,
            role="fitted",
        )
    ]
    if name == "beijing-2019":
        checks.append(
            relative(
                name,
                "work orders in the year: simulated at full scale",
                WORK_ORDERS_2019,
                one_run(run.total("work_orders")),
                cite("appeals_2019"),
                how=how,
                role="fitted",
            )
        )
    checks.append(
        relative(
            name,
            "consultation share: simulated at full scale",
            CONSULTATION_TARGET[name],
            one_run(run.consultation_share),
            cite(CONSULTATION_TARGET[name].source),
            fmt="{:.2%}",
            how=how,
            role="fitted",
        )
    )
    for rate, target in RATES[name].items():
        checks.append(
            points(
                name,
                f"{rate} rate of work orders: simulated at full scale",
                target,
                one_run(run.work_orders.rate(rate)),
                cite(target.source),
                upper=1.0 if rate == "response" else None,
                how=how,
                role="predicted" if rate == "response" else "fitted",
            )
        )
    return checks


# -- Haidian ----------------------------------------------------------------------------------
def verify_haidian(scenario: Scenario, runs: Sequence[Measurement]) -> list[Check]:
    """Haidian's structure (counts from the built city) and, as a consistency check, its
    simulated rates against Beijing's 2024 figures."""
    layout = build_city(scenario)
    kinds = pd.Series([g.kind for g in layout.grids]).value_counts()
    sunk = scenario.staffing.grid_sunk

    def count(target: str, key: str, value: int) -> Check:
        published = int(HAIDIAN[key].value)
        return Check(
            "haidian",
            target,
            f"{published:,}",
            cite("haidian"),
            exact(value),
            "exact",
            value == published,
            "{:,.0f}",
            figure=published,
            role="input",
        )

    checks = [
        count(
            "streets (street offices)", "streets", sum(u.kind == "street" for u in layout.streets)
        ),
        count("towns (townships)", "townships", sum(u.kind == "township" for u in layout.streets)),
        count("communities (community grids)", "communities", int(kinds.get("community", 0))),
        count("third-level grids", "grids", len(layout.grids)),
        count(
            "community/village grids",
            "community_village",
            int(kinds.get("community", 0) + kinds.get("village", 0)),
        ),
        count("key-unit grids", "key_unit", int(kinds.get("key_unit", 0))),
        count("road grids", "road", int(kinds.get("road", 0))),
        count("sunk staff, total", "sunk_total", sunk.headcount if sunk else 0),
        count("sunk staff from departments", "sunk_departments", sunk.departments if sunk else 0),
        count(
            "sunk staff from street/town offices",
            "sunk_street_offices",
            sunk.street_offices if sunk else 0,
        ),
        count("sunk auxiliary staff", "sunk_auxiliaries", sunk.auxiliaries if sunk else 0),
        count("sunk community staff", "sunk_community", sunk.community if sunk else 0),
        count("residents", "population", layout.population),
        info(
            "haidian",
            "grid staff on duty (sunk staff x 40% of a 40-hour week on cases)",
            "not published",
            exact(sum(g.staff for g in layout.grids)),
            "{:,.0f}",
            "assumed case share 0.4",
        ),
    ]
    for rate, target in RATES["beijing"].items():
        checks.append(
            points(
                "haidian",
                f"{rate} rate of work orders (Beijing 2024 figure)",
                target,
                mean_ci([run.work_orders.rate(rate) for run in runs]),
                cite(target.source),
                upper=1.0 if rate == "response" else None,
                how="consistency check at full scale; the figure is city-wide, none is published "
                "for Haidian",
                role="predicted" if rate == "response" else "fitted",
                prediction="response_2024_haidian" if rate == "response" else None,
            )
        )
    checks.append(
        info(
            "haidian",
            "contacts per 1,000 residents a day",
            "Beijing's (see beijing)",
            mean_ci([run.created / run.days / layout.population * 1000 for run in runs]),
            "{:.3f}",
        )
    )
    return checks


# -- the scaled copy against the full city ----------------------------------------------------
@dataclass(frozen=True)
class ScaleCheck:
    """Full-scale Beijing 2024 on a short horizon against the scaled copy on the same days."""

    full: Measurement
    copies: list[Measurement]
    days: float
    scale: float
    population: int
    """Residents of the full city."""

    def rows(self) -> list[tuple[str, float, Interval]]:
        """(quantity, full city's value, the copies' mean and 95% CI)."""
        quantities: list[tuple[str, Callable[[Measurement, float], float]]] = [
            (
                "contacts per day per 1,000 residents",
                lambda r, thousands: r.total("contacts") / r.days / thousands,
            ),
            ("consultation share", lambda r, _: r.consultation_share),
            ("response rate (work orders)", lambda r, _: r.work_orders.rate("response")),
            ("resolution rate (work orders)", lambda r, _: r.work_orders.rate("resolution")),
            ("satisfaction rate (work orders)", lambda r, _: r.work_orders.rate("satisfaction")),
            ("abandoned calls per call", lambda r, _: r.abandoned / r.calls),
            ("operator utilisation", lambda r, _: r.hotline_utilisation),
        ]
        thousands = self.population / 1000
        return [
            (
                label,
                fn(self.full, thousands),
                mean_ci([fn(r, thousands * self.scale) for r in self.copies]),
            )
            for label, fn in quantities
        ]
