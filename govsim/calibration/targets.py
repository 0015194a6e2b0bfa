"""The published figures the calibration targets, each with its unit and source.

Every figure here is from ``../shared/DOMAIN.md`` (the source documents are in
``../shared/seeds/``) or is marked ``assumed``. A :class:`Figure` names its source by a key
of :data:`SOURCES` (listed in docs/calibration.md and cited in its tables by key) or of
:data:`FACT_SOURCES` (the stylized facts, cited in their own sections). Nothing here is a
simulated value.
"""

from __future__ import annotations

from dataclasses import dataclass

ASSUMED = "assumed"


@dataclass(frozen=True)
class Source:
    """Where a published figure comes from; ``key`` is how the report's tables cite it."""

    key: str
    text: str

    @property
    def code(self) -> str:
        return f"[{self.key}]"


@dataclass(frozen=True)
class Figure:
    """A published figure (or an assumption): its value, unit and source key."""

    value: float
    unit: str
    source: str
    """A key of :data:`SOURCES` or :data:`FACT_SOURCES`, or ``"assumed"``."""


def _sources(**texts: str) -> dict[str, Source]:
    return {key: Source(key, text) for key, text in texts.items()}


SOURCES = _sources(
    volume_2024="Xinhua / Beijing press: about 24 million contacts in 2024, about 65,000 a day",
    volume_2019="Beijing press: 6.96 million contacts in 2019",
    appeals_2019="Beijing press: 2.52 million of the 2019 contacts accepted as appeals",
    consult="Beijing Youth Daily 2021-12: 58.5% consultations answered by the operator, 41.5% "
    "dispatched (2019-01 to 2021-11)",
    mix="Beijing Daily 2021-01-08: 2020 top ten categories (10,000s) of 11.04 million contacts",
    intraday="press; other-city 12345 studies: peaks 9-11 h and 14-16 h",
    weekday="press: weekdays above weekends",
    heating="press: heating season 15 Nov to 15 Mar",
    operators="press: about 1,700 operators on 750 seats, 600-700 on duty at peak, about 6 min "
    "per ticket, 80-100 calls per operator per 8-hour shift",
    structure="004: 16 districts, 343 streets and townships; core issue: department set",
    rates_2024="Beijing press: 2024 resolution ~97%, satisfaction 97.3%, response ~100%",
    rates_2019="Beijing press; academic papers: 2019 resolution 75%, satisfaction 87%",
    haidian="001: Haidian 22 streets + 7 towns, 570 communities, 643 grids (620 "
    "community/village, 19 key-unit, 4 road), 13,922 sunk staff, 3.402 million residents",
)
"""The sources of the scenario targets, in the order the report lists them."""

FACT_SOURCES = _sources(
    path_2019="Beijing press; academic papers: January to October 2019, resolution 53.09% -> "
    "74.36%, satisfaction 64.61% -> 85.39% (ranking began in 2019)",
    governance_street="Beijing press: a governance-class street's monthly complaints 852 (May "
    "2019) -> 757 -> 372 -> 276 (October 2019)",
    heating_cut="press: heating orders fell 61% in winter 2024, attributed to proactive work",
    heating_2020="press: the heating-service platform's orders fell 13.2% year on year in "
    "2020/21, before the monthly topic and the proactive-governance guidance (November 2021): "
    "not attributed to proactive work, and not a target",
)
"""The sources of the stylized facts (cited in the report's fact sections)."""

# -- volumes and shares ------------------------------------------------------------------
TOP_TEN_2020 = {
    "epidemic": 107.7,
    "market_regulation": 98.0,
    "public_services": 64.8,
    "housing": 61.2,
    "health": 59.8,
    "urban_construction": 54.8,
    "traffic": 47.2,
    "social_order": 46.5,
    "labour_social_security": 35.7,
    "education": 35.1,
}
"""The 2020 top ten categories, 10,000s of contacts (source ``mix``)."""
CONTACTS_2020 = Figure(1104.0, "10,000 contacts in 2020", "mix")
VOLUME = {
    "beijing": Figure(24.0e6, "contacts a year", "volume_2024"),
    "beijing-2019": Figure(6.96e6, "contacts a year", "volume_2019"),
}
CONTACTS_A_DAY_2024 = Figure(65000, "contacts a day", "volume_2024")
WORK_ORDERS_2019 = Figure(2.52e6, "appeals (work orders) a year", "appeals_2019")
CONSULTATION_TARGET = {
    "beijing": Figure(0.585, "share of contacts", "consult"),
    "beijing-2019": Figure(
        1 - WORK_ORDERS_2019.value / VOLUME["beijing-2019"].value,
        "share of contacts",
        "appeals_2019",
    ),
}
"""Consultations answered by the operator; for 2019 from its own volumes (1 - 2.52 / 6.96)."""
CATEGORY_GROUP = {"heating": "public_services"}
"""Model categories that belong to a published category (heating is a public utility)."""

# -- the three rates ---------------------------------------------------------------------
RATES = {
    "beijing": {
        "response": Figure(1.0, "share of responses due", "rates_2024"),
        "resolution": Figure(0.97, "share of valid callbacks", "rates_2024"),
        "satisfaction": Figure(0.973, "satisfaction points per valid callback", "rates_2024"),
    },
    "beijing-2019": {
        "resolution": Figure(0.75, "share of valid callbacks", "rates_2019"),
        "satisfaction": Figure(0.87, "satisfaction points per valid callback", "rates_2019"),
    },
}
"""The published rates of work orders per scenario (2019 has no published response rate)."""

# -- the hotline and the structure -------------------------------------------------------
PEAK_ON_DUTY = Figure(650.0, "operators on duty at the peak hour", "operators")
"""The middle of the published 600-700."""
PEAK_RANGE = (600, 700)
SEATS = Figure(750, "seats", "operators")
OPERATORS = Figure(1700, "operators on the payroll", "operators")
TICKET_MINUTES = Figure(6.0, "minutes per ticket", "operators")
CALLS_PER_SHIFT = Figure(90.0, "calls per operator per 8-hour shift", "operators")
"""The middle of the published 80-100.

The published figures cannot all hold if every call an operator takes is a resident's
contact: 65,000 contacts a day (85% by phone, assumed) following the intraday shape, with
650 on duty at the peak hour, need at least 7,700 operator-hours a day (no operators beyond
the load's proportion at night), i.e. at most 58 answered calls per 8-hour shift; and 80
calls of 6 minutes already fill 8 hours. The reading that keeps them all: the operators'
calls include the callbacks (回访) the hotline makes on every work order (about 27,000 a
day), with an incoming call taking about 6 minutes (the ticket). The model spends no
operator time on callbacks (they are drawn at the callback); the calls per shift count
them. What gives way is the assumption that all 1,700 operators answer calls for 40 hours
a week: the plan's on-duty hours are those of about 1,350 such operators (the rest: leave,
training, online appeals, quality checks; assumed)."""
CALLS_PER_SHIFT_RANGE = (80, 100)
SHIFT_HOURS = 8.0
DISTRICTS = Figure(16, "districts", "structure")
STREETS = Figure(343, "streets and townships", "structure")
CORE_DEPARTMENTS = frozenset(
    {
        "urban_management",
        "market_regulation",
        "housing",
        "transport",
        "public_security",
        "health",
        "education",
        "human_resources_social_security",
        "ecology_environment",
        "water",
    }
)
"""The departments named in the core issue (source ``structure``)."""
HEATING_WINDOW = ("11-15", "03-15")
"""The heating season, month-day to month-day (source ``heating``)."""
HAIDIAN = {
    "streets": Figure(22, "street offices", "haidian"),
    "townships": Figure(7, "towns", "haidian"),
    "communities": Figure(570, "communities", "haidian"),
    "grids": Figure(643, "third-level grids", "haidian"),
    "community_village": Figure(620, "community and village grids", "haidian"),
    "key_unit": Figure(19, "key-unit grids", "haidian"),
    "road": Figure(4, "road grids", "haidian"),
    "sunk_total": Figure(13922, "sunk staff", "haidian"),
    "sunk_departments": Figure(1467, "sunk staff from departments", "haidian"),
    "sunk_street_offices": Figure(2325, "sunk staff from street and town offices", "haidian"),
    "sunk_auxiliaries": Figure(5947, "sunk auxiliary staff", "haidian"),
    "sunk_community": Figure(4183, "sunk community staff", "haidian"),
    "population": Figure(3_402_000, "residents", "haidian"),
}

# -- the stylized facts ------------------------------------------------------------------
JAN_2019 = {
    "resolution": Figure(0.5309, "share of valid callbacks", "path_2019"),
    "satisfaction": Figure(0.6461, "satisfaction points per valid callback", "path_2019"),
}
OCT_2019 = {
    "resolution": Figure(0.7436, "share of valid callbacks", "path_2019"),
    "satisfaction": Figure(0.8539, "satisfaction points per valid callback", "path_2019"),
}
GOVERNANCE_STREET = {
    "2019-05": Figure(852, "work orders in the month", "governance_street"),
    "2019-10": Figure(276, "work orders in the month", "governance_street"),
}
HEATING_CUT = Figure(0.61, "share of the season's heating work orders", "heating_cut")
"""Winter 2024's fall, the figure attributed to proactive work; fact (b)'s efficacy is fitted
to it (a fit, not a prediction)."""
HEATING_FALL_2020 = Figure(0.132, "year-on-year fall of heating orders, 2020/21", "heating_2020")
"""Kept as a sourced note only: a year-on-year figure from before the monthly topic and the
proactive-governance guidance, not attributed to proactive work (fact (b) does not use it)."""

# -- assumptions the fits rest on --------------------------------------------------------
HEATING_SHARE_OF_UTILITIES = Figure(0.3, "heating per other-utilities appeal, in season", ASSUMED)
HEATING_SEASON_MULTIPLIER = Figure(10.0, "in-season over out-of-season heating appeals", ASSUMED)
CONSULTATION_BASE = {
    "epidemic": 0.75,
    "market_regulation": 0.55,
    "public_services": 0.5,
    "heating": 0.3,
    "housing": 0.5,
    "health": 0.65,
    "urban_construction": 0.4,
    "traffic": 0.5,
    "social_order": 0.4,
    "labour_social_security": 0.7,
    "education": 0.65,
    "other": 0.6,
}
"""Assumed spread of consultation shares (share of contacts); the common level is fitted."""
RESOLUTION_PROFILE = {"grid": 0.0, "street": 0.0, "district": -0.01, "department": -0.01}
"""Assumed offsets of the resolution probability by closing tier (districts and departments
get the hard cases); the common level is fitted."""
HOTLINE_RESOLUTION = Figure(0.98, "resolution probability of consultations", ASSUMED)
OPERATOR_WEEKLY_HOURS = Figure(40.0, "hours a week", ASSUMED)
WORK_TIERS = ("grid", "street", "district", "department")
"""The tiers that close work orders (the hotline answers consultations)."""


NO_EPIDEMIC = frozenset({"beijing", "beijing-2019"})
"""Scenarios without the COVID category: 2019 (before it) and 2024 (after the epidemic
controls ended in December 2022)."""


def mix_targets(name: str) -> dict[str, float]:
    """Target share of contacts per published category group ("other": the rest).

    COVID (``epidemic``) is a 2020 category: 2019 had none, and 2024 does not carry it at its
    2020 share (no 2024 share is published); in both the other categories keep their 2020
    proportions. Only a 2020 scenario would keep it.
    """
    top = dict(TOP_TEN_2020)
    total = CONTACTS_2020.value
    if name in NO_EPIDEMIC:
        total -= top.pop("epidemic")
    shares = {k: v / total for k, v in top.items()}
    shares["other"] = 1.0 - sum(shares.values())
    return shares


def group_of(category: str) -> str:
    """The published category group a model category belongs to."""
    return CATEGORY_GROUP.get(category, category)
