"""The scenario schema: every parameter of a run, typed, with its unit and default.

All times are in **hours** unless a key's name says otherwise (``days``,
``*_minutes``). Rates are per 1,000 residents per day. ``docs/scenarios.md`` is
generated from this module (``govsim docs``), so the field descriptions here are
the reference documentation.
"""

from __future__ import annotations

import collections
import datetime as dt
import difflib
import math
from collections.abc import Sequence
from typing import Literal

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from govsim.core.bounds import (
    MAX_CV,
    MAX_DAYS,
    MAX_DISTRICTS,
    MAX_GRIDS,
    MAX_HEADCOUNT,
    MAX_HOURS,
    MAX_MULTIPLIER,
    MAX_POPULATION,
    MAX_PRIORITY,
    MAX_RATE,
    MAX_SCORE,
    MAX_SEED,
    MAX_SHAPE,
    MAX_STREETS,
    MAX_UNIT_STAFF,
    MIN_INTERVAL_HOURS,
    NAME_PATTERN,
)
from govsim.core.codes import TIERS, TierName
from govsim.core.parameters import (
    Distribution,
    FieldError,
    Strict,
    check_shares,
    expo,
    fixed,
)
from govsim.policies import Policy
from govsim.policies.whistle import Whistle
from govsim.scenario.area_units import AreaUnits
from govsim.scenario.assessment import Assessment
from govsim.scenario.city_names import synthetic_names
from govsim.scenario.deliberation import Deliberation
from govsim.scenario.groups import ResidentGroups
from govsim.scenario.places import GridKindName, Places
from govsim.scenario.problems import CategoryProblems, Problems
from govsim.scenario.volunteers import Volunteers
from govsim.scenario.workload import Workload

TerritorialTierName = Literal["grid", "street", "district"]
ChannelName = Literal["hotline", "online", "patrol"]


def _default_closable_at() -> dict[TerritorialTierName, float]:
    return {"grid": 0.5, "street": 0.35, "district": 0.15}  # assumed


def _default_channels() -> dict[ChannelName, float]:
    return {"hotline": 0.85, "online": 0.12, "patrol": 0.03}  # assumed


def _default_resolution_probability() -> dict[TierName, float]:
    # assumed; 2019-2021 as a whole: resolution 85% (DOMAIN.md, 004)
    return {"hotline": 0.95, "grid": 0.9, "street": 0.88, "district": 0.85, "department": 0.85}


class SyntheticCity(Strict):
    """A city generated from counts: units are spread as evenly as the counts allow.

    Streets are dealt to districts in order, grids to streets in order; residents are
    spread evenly over the residential (community/village) grids, or unevenly with
    ``population_dispersion`` and ``grid_dispersion`` (drawn once from ``layout_seed``).
    """

    districts: int = Field(2, ge=1, le=MAX_DISTRICTS, description="Number of districts.")
    streets: int = Field(
        6,
        ge=1,
        le=MAX_STREETS,
        description="Number of streets/townships in the city (spread over districts).",
    )
    townships: int = Field(
        0,
        ge=0,
        le=MAX_STREETS,
        description="How many of the streets are townships (the last ones).",
    )
    grids: int = Field(
        24, ge=1, le=MAX_GRIDS, description="Number of community grids (spread over streets)."
    )
    grid_kinds: dict[GridKindName, int] | None = Field(
        None,
        description=f"Counts of grids by kind (sum = grids, each at most {MAX_GRIDS:,}); "
        "key-unit and road grids have no "
        "residents. "
        "Default: all community.",
    )
    population: int = Field(
        120_000,
        ge=1,
        le=MAX_POPULATION,
        description="Residents in the city (spread over the residential grids: evenly, or by "
        "`population_dispersion` and `grid_dispersion`).",
    )
    population_dispersion: float = Field(
        0.0,
        ge=0,
        le=MAX_CV,
        description="Coefficient of variation of the streets' populations: each street's share "
        "of the residents is its residential grids' times a lognormal factor of mean 1 and this "
        "CV, drawn once from `layout_seed` (docs/model.md); 0: residents spread evenly over the "
        "residential grids. Assumed (no published street populations in the seeds).",
    )
    grid_dispersion: float = Field(
        0.0,
        ge=0,
        le=MAX_CV,
        description="Coefficient of variation of the residential grids' populations within a "
        "street (lognormal factors of mean 1, from `layout_seed`); 0: even within the street. "
        "Assumed.",
    )
    staff_by_population: bool = Field(
        False,
        description="Street staff and grid workers follow the street's residents: "
        "`staffing.street_staff` and `staffing.grid_workers` are per street and grid of a "
        "street of average population, scaled by the street's population (rounded, at least "
        "1; the street's grid staff spread evenly over its grids). Off: every unit gets the "
        "`staffing` default. Assumed.",
    )
    staff_dispersion: float = Field(
        0.0,
        ge=0,
        le=MAX_CV,
        description="Coefficient of variation of a per-street factor on its street and grid "
        "staff (lognormal, mean 1, from `layout_seed`): staff per resident that varies by "
        "street. 0: none. Assumed.",
    )
    layout_seed: int = Field(
        0,
        ge=0,
        le=MAX_SEED,
        description="Seed of the layout's draws (dispersions, staff factors, which grids are "
        "old compounds): independent of the run's `seed`, so replications share one city.",
    )
    district_names: list[str] | None = Field(
        None, description="Optional names of the districts (length must equal `districts`)."
    )
    street_names: list[str] | None = Field(
        None, description="Optional names of the streets/townships (length must equal `streets`)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> SyntheticCity:
        if self.streets < self.districts:
            raise ValueError("streets must be at least the number of districts")
        if self.grids < self.streets:
            raise ValueError("grids must be at least the number of streets")
        if self.townships > self.streets:
            raise FieldError("townships cannot exceed streets", "townships")
        for key, names, count in (
            ("district_names", self.district_names, self.districts),
            ("street_names", self.street_names, self.streets),
        ):
            if names is not None and len(names) != count:
                raise FieldError(f"{key} has {len(names)} names for {count} units", key)
            if names is not None and len(set(names)) != len(names):
                raise FieldError(f"{key} must be unique", key)
        if self.grid_kinds is not None:
            if any(n < 0 for n in self.grid_kinds.values()):
                raise FieldError("grid counts must be non-negative", "grid_kinds")
            if any(n > MAX_GRIDS for n in self.grid_kinds.values()):
                raise FieldError(f"grid counts must be at most {MAX_GRIDS:,}", "grid_kinds")
            if sum(self.grid_kinds.values()) != self.grids:
                raise FieldError(
                    f"grid_kinds add up to {sum(self.grid_kinds.values())}, not grids = "
                    f"{self.grids}",
                    "grid_kinds",
                )
            if not self.grid_kinds.get("community", 0) + self.grid_kinds.get("village", 0):
                raise FieldError("at least one community or village grid is needed", "grid_kinds")
        return self


class GridSpec(Strict):
    name: str = Field(..., description="Grid name, unique in the city.")
    population: int = Field(..., ge=0, le=MAX_POPULATION, description="Residents of the grid.")
    workers: int | None = Field(
        None,
        ge=0,
        le=MAX_UNIT_STAFF,
        description="Grid workers (people on duty); default `staffing.grid_workers`.",
    )
    kind: GridKindName = Field(
        "community",
        description="Kind of third-level grid (Haidian: community/village, key unit, road).",
    )
    old_compound: bool = Field(
        False,
        description="An old residential compound (老旧小区, built before 2000: seed 004); "
        "`places.old_compounds.rates` raise its categories when `places.enabled`. Residential "
        "(community, village) grids only.",
    )

    @model_validator(mode="after")
    def _old_is_residential(self) -> GridSpec:
        if self.old_compound and self.kind not in ("community", "village"):
            raise FieldError(
                f"grid '{self.name}': only a community or village grid can be an old compound",
                "old_compound",
            )
        return self


class StreetSpec(Strict):
    name: str = Field(..., description="Street or township name, unique in the city.")
    kind: Literal["street", "township"] = Field("street", description="Street office or township.")
    staff: int | None = Field(
        None,
        ge=0,
        le=MAX_UNIT_STAFF,
        description="Street staff (people on duty); default `staffing.street_staff`.",
    )
    grids: list[GridSpec] = Field(..., min_length=1, description="The street's community grids.")


class DistrictSpec(Strict):
    name: str = Field(..., description="District name, unique in the city.")
    staff: int | None = Field(
        None,
        ge=0,
        le=MAX_UNIT_STAFF,
        description="District staff (people on duty); default `staffing.district_staff`.",
    )
    streets: list[StreetSpec] = Field(..., min_length=1, description="The district's streets.")


class City(Strict):
    """The jurisdiction: either ``synthetic`` counts or an explicit ``districts`` list."""

    synthetic: SyntheticCity | None = Field(None, description="Generate the city from counts.")
    districts: list[DistrictSpec] | None = Field(
        None, description="Explicit districts > streets > grids."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> City:
        if (self.synthetic is None) == (self.districts is None):
            raise ValueError("give exactly one of 'synthetic' or 'districts'")
        if self.districts is not None:
            for level, names in (
                ("district", [d.name for d in self.districts]),
                ("street", [s.name for d in self.districts for s in d.streets]),
                ("grid", [g.name for d in self.districts for s in d.streets for g in s.grids]),
            ):
                dupes = sorted(n for n, k in collections.Counter(names).items() if k > 1)
                if dupes:
                    raise ValueError(
                        f"{level} names must be unique; repeated: {', '.join(dupes[:5])}"
                    )
        return self

    def street_names(self) -> list[str]:
        """The names of the city's streets, in layout order."""
        if self.synthetic is not None:
            spec = self.synthetic
            return synthetic_names(
                spec.districts, spec.streets, spec.grids, spec.district_names, spec.street_names
            )[1]
        return [s.name for d in self.districts or [] for s in d.streets]

    def grid_names(self) -> list[str]:
        """The names of the city's grids, in layout order (synthetic: as
        :func:`~govsim.scenario.city_names.synthetic_names` makes them)."""
        if self.synthetic is not None:
            spec = self.synthetic
            return synthetic_names(
                spec.districts, spec.streets, spec.grids, spec.district_names, spec.street_names
            )[2]
        return [g.name for d in self.districts or [] for s in d.streets for g in s.grids]


class SunkStaff(Strict):
    """Staff sunk into the grids (力量下沉): headcount by origin, and how much of it works cases.

    On-duty equivalents = headcount x ``case_share`` x ``weekly_hours`` / 168, rounded and
    spread evenly over all grids, on top of ``grid_workers``.
    """

    departments: int = Field(
        0, ge=0, le=MAX_HEADCOUNT, description="Headcount from departments (bureaus)."
    )
    street_offices: int = Field(
        0, ge=0, le=MAX_HEADCOUNT, description="Headcount from street/town offices."
    )
    auxiliaries: int = Field(0, ge=0, le=MAX_HEADCOUNT, description="Auxiliary staff (headcount).")
    community: int = Field(0, ge=0, le=MAX_HEADCOUNT, description="Community staff (headcount).")
    case_share: float = Field(
        ...,
        ge=0,
        le=1,
        description="Share of their working hours spent on appeal cases (the rest: other grid "
        "duties).",
    )
    weekly_hours: float = Field(
        40.0, gt=0, le=168, description="Working hours per person per week."
    )

    @property
    def headcount(self) -> int:
        return self.departments + self.street_offices + self.auxiliaries + self.community

    @property
    def on_duty(self) -> int:
        """Case-handling staff on duty at any hour (the servers they add to the grids)."""
        return round(self.headcount * self.case_share * self.weekly_hours / 168)


class Staffing(Strict):
    """Default staff per unit (people on duty), used where a unit does not set its own."""

    grid_workers: int = Field(
        2, ge=0, le=MAX_UNIT_STAFF, description="Grid workers per community grid (people)."
    )
    street_staff: int = Field(
        4, ge=0, le=MAX_UNIT_STAFF, description="Case-handling staff per street/township (people)."
    )
    district_staff: int = Field(
        6, ge=0, le=MAX_UNIT_STAFF, description="Case-handling staff per district (people)."
    )
    grid_sunk: SunkStaff | None = Field(
        None,
        description="Staff sunk into the grids; their on-duty equivalents are added to the grids.",
    )


DepartmentKind = Literal["commission", "bureau", "state_firm", "utility", "platform"]


class Department(Strict):
    """A municipal body the hotline dispatches to (100+ in Beijing: commissions, bureaus, state
    firms and platforms, 004); any number of them."""

    name: str = Field(..., description="Department name (municipal commission, bureau, firm).")
    staff: int = Field(
        ...,
        ge=0,
        le=MAX_HEADCOUNT,
        description="Case-handling staff of the department, city-wide (people).",
    )
    kind: DepartmentKind = Field(
        "bureau",
        description="What kind of body it is; a label for the outputs and the reader (utilities: "
        "water, power, gas, heating).",
    )
    limit_hours: float | None = Field(
        None,
        gt=0,
        le=MAX_HOURS,
        description="Time limit for the response to the cases of the categories it owns (hours), "
        "replacing their urgency class's; null: the urgency class's. Utilities: 24 h (service "
        "standard draft, 2021-12).",
    )
    handling: Distribution | None = Field(
        None,
        description="Its own handling time per visit (hours), for categories that set no "
        "department handling of their own; null: the scenario's department default.",
    )


class UrgencyClass(Strict):
    limit_hours: float = Field(
        ..., gt=0, le=MAX_HOURS, description="Time limit for the response and feedback (hours)."
    )
    priority: int = Field(
        ...,
        ge=0,
        le=MAX_PRIORITY,
        description="Queue priority; 0 is served first, ties first come first served.",
    )


def default_urgency() -> dict[str, UrgencyClass]:
    # Service standard draft, 2021-12 (docs/sources.md): emergency 2 h, utilities 24 h,
    # general 7 days, complex 15 days.
    return {
        "emergency": UrgencyClass(limit_hours=2, priority=0),
        "utility": UrgencyClass(limit_hours=24, priority=1),
        "general": UrgencyClass(limit_hours=168, priority=2),
        "complex": UrgencyClass(limit_hours=360, priority=3),
    }


class TierHandling(Strict):
    """Handling time of one visit to a tier, per tier (hours). ``null`` uses the scenario
    default."""

    grid: Distribution | None = Field(None, description="Grid handling time (hours).")
    street: Distribution | None = Field(None, description="Street handling time (hours).")
    district: Distribution | None = Field(None, description="District handling time (hours).")
    department: Distribution | None = Field(None, description="Department handling time (hours).")


class Category(Strict):
    """A kind of appeal: how often it comes, how urgent it is, who can close it."""

    name: str = Field(..., description="Category name.")
    rate: float = Field(
        ...,
        ge=0,
        le=MAX_RATE,
        description="Appeals per 1,000 residents per day (daily mean).",
    )
    urgency: str = Field("general", description="Urgency class (a key of `urgency_classes`).")
    consultation_share: float = Field(
        0.5, ge=0, le=1, description="Share answered by the operator on the spot (consultations)."
    )
    department: str | None = Field(
        None, description="Owning department (a name in `departments`); null for none."
    )
    department_route_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of work orders dispatched straight to the owning department, not the "
        "street.",
    )
    closable_at: dict[TerritorialTierName, float] = Field(
        default_factory=_default_closable_at,
        description="Shares of cases whose lowest closing tier is grid, street, district (sum 1).",
    )
    whistle: bool = Field(
        True, description="A street may whistle for the owning department instead of escalating."
    )
    joint_departments: list[str] = Field(
        default_factory=list,
        description="Departments besides the owner that a whistled case needs (names in "
        "`departments`): each is summoned, must report and contribute its own handling, and the "
        "case closes when the last one has.",
    )
    unclear_jurisdiction: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of its work orders whose jurisdiction is unclear or disputed (see "
        "`jurisdiction`).",
    )
    handling: TierHandling = Field(
        default_factory=TierHandling, description="Per-tier handling times overriding the defaults."
    )
    problem: CategoryProblems = Field(
        default_factory=CategoryProblems,
        description="The problems behind its appeals (used when `problems.enabled`).",
    )

    @field_validator("closable_at")
    @classmethod
    def _shares(cls, v: dict[str, float]) -> dict[str, float]:
        if any(x < 0 for x in v.values()):
            raise ValueError("closable_at shares must be non-negative")
        return check_shares(v, "closable_at")


class Season(Strict):
    """A recurring yearly window (for example the heating season) multiplying some categories."""

    name: str = Field(..., description="Label, e.g. 'heating season'.")
    start: str = Field(..., description="First day, 'MM-DD'.")
    end: str = Field(..., description="Last day, 'MM-DD' (may wrap past the new year).")
    multiplier: float = Field(
        ..., ge=0, le=MAX_MULTIPLIER, description="Arrival-rate multiplier inside the window."
    )
    categories: list[str] | None = Field(None, description="Categories affected; null for all.")

    @field_validator("start", "end")
    @classmethod
    def _month_day(cls, v: str) -> str:
        try:
            dt.date(2024, int(v[:2]), int(v[3:5]))  # leap year: accepts 02-29
            if len(v) != 5 or v[2] != "-":
                raise ValueError
        except ValueError:
            raise ValueError(f"'{v}' is not a day of the year written 'MM-DD'") from None
        return v


def _flat(n: int) -> list[float]:
    return [1.0] * n


class Replay(Strict):
    """Arrivals replayed from a case log (docs/caselog.md) instead of drawn from the rates.

    The log's first contacts (rows without ``repeat_of``) arrive at their logged times,
    categories, streets (and grids, when given; otherwise a grid of the street drawn by
    population) and channels; the model does the rest, its own redials and repeat
    appeals included. Times are hours since ``start_date``: appeals outside the run are
    not raised. With replay on, the rate keys of ``arrivals`` and the categories' ``rate``
    are not used. ``bootstrap`` draws, for each day of the run, a whole day of the log at
    random (with replacement; from the run's seed), for replications that differ.
    """

    log: str = Field(
        ...,
        description="Case log file (.csv or .parquet); a relative path is read from the scenario "
        "file's folder.",
    )
    mode: Literal["exact", "bootstrap"] = Field(
        "exact",
        description="exact: the logged appeals as they came; bootstrap: whole days of the log "
        "resampled.",
    )
    match_weekday: bool = Field(
        True,
        description="bootstrap: a day of the run draws only among log days of the same weekday.",
    )


class Arrivals(Strict):
    """How appeals arrive: a non-homogeneous Poisson process per category.

    Rate at time t = population x category rate x intraday[hour] x weekday[day]
    x season multipliers. ``intraday`` and ``weekday`` are shapes: they are
    rescaled to mean 1, so category rates stay daily means. With ``replay``, the
    appeals of a case log arrive instead.
    """

    intraday: list[float] = Field(
        default_factory=lambda: _flat(24),
        description=f"24 relative rates (no unit), hour 0 to 23; each 0 to {MAX_SHAPE:,.0f}.",
    )
    weekday: list[float] = Field(
        default_factory=lambda: _flat(7),
        description=f"7 relative rates (no unit), Monday to Sunday; each 0 to {MAX_SHAPE:,.0f}.",
    )
    seasons: list[Season] = Field(default_factory=list, description="Recurring seasonal windows.")
    surges: list[Surge] = Field(default_factory=list, description="One-off surges (stress tests).")
    channels: dict[ChannelName, float] = Field(
        default_factory=_default_channels,
        description="Shares of appeals by channel (sum 1): a call, an online form, found by grid "
        "patrol.",
    )
    replay: Replay | None = Field(
        None, description="Replay a case log's appeals instead of drawing them; null: draw them."
    )

    @model_serializer(mode="wrap")
    def _omit_no_replay(self, handler: SerializerFunctionWrapHandler) -> dict:
        # Without replay the key is left out, so scenario.yaml and experiment
        # fingerprints stay as they were before replay existed.
        data = handler(self)
        if self.replay is None:
            data.pop("replay", None)
        return data

    @field_validator("intraday")
    @classmethod
    def _intraday(cls, v: list[float]) -> list[float]:
        if len(v) != 24:
            raise ValueError(f"intraday needs 24 values, got {len(v)}")
        return _shape(v)

    @field_validator("weekday")
    @classmethod
    def _weekday(cls, v: list[float]) -> list[float]:
        if len(v) != 7:
            raise ValueError(f"weekday needs 7 values, got {len(v)}")
        return _shape(v)

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: dict[str, float]) -> dict[str, float]:
        if any(x < 0 for x in v.values()):
            raise ValueError("channel shares must be non-negative")
        return check_shares(v, "channel")


def _shape(v: list[float]) -> list[float]:
    """Check a relative-rate shape; it is rescaled to mean 1 where it is used, not here,
    so that a written scenario.yaml reads back exactly as it was."""
    if any(x < 0 or not math.isfinite(x) for x in v):
        raise ValueError("relative rates must be finite and non-negative")
    if any(x > MAX_SHAPE for x in v):
        raise ValueError(f"relative rates must be at most {MAX_SHAPE:g}")
    if sum(v) <= 0:
        raise ValueError("relative rates must not all be zero")
    return v


class Hotline(Strict):
    """The 12345 intake tier: call-takers, patience, dispatch."""

    operators: int | list[int] = Field(
        20,
        description="Call-takers on duty (people): one number, or 24 numbers (hour 0 to 23) for "
        f"a shift plan; each at most {MAX_UNIT_STAFF:,}.",
    )
    talk_time: Distribution = Field(
        default_factory=lambda: Distribution(kind="lognormal", mean=0.1, cv=0.5),
        description="Operator time per contact (hours; 0.1 h = 6 min, press figure).",
    )
    patience: Distribution | None = Field(
        default_factory=lambda: expo(0.1),
        description="Caller patience before hanging up (hours); null: callers never hang up.",
    )
    redial_probability: float = Field(
        0.5, ge=0, le=1, description="Probability that a caller who hung up calls again."
    )
    redial_delay: Distribution = Field(
        default_factory=lambda: expo(2.0), description="Time until the redial (hours)."
    )
    dispatch_delay: Distribution = Field(
        default_factory=lambda: expo(0.5),
        description="Work order creation to arrival at the handler (hours).",
    )
    dispatch_accuracy: float = Field(
        0.95, gt=0, le=1, description="Probability a dispatch reaches the right unit."
    )
    return_delay: Distribution = Field(
        default_factory=lambda: expo(12.0),
        description="Time for a wrong dispatch to come back (退单) before it goes out again "
        "(hours).",
    )
    max_returns: int = Field(
        3,
        ge=0,
        le=100,
        description="After this many returns the order goes to the right unit (first receiver is "
        "responsible).",
    )
    direct_to_street: bool = Field(
        True,
        description="Orders go straight to the street (街乡直派); false: through the district.",
    )
    district_relay_delay: Distribution = Field(
        default_factory=lambda: expo(24.0),
        description="Extra time when an order is relayed through the district (hours).",
    )

    @model_validator(mode="after")
    def _redial_takes_time(self) -> Hotline:
        if self.redial_probability > 0 and self.redial_delay.mean <= 0:
            raise FieldError(
                "a redial must take time (mean > 0) when redial_probability > 0",
                "redial_delay",
                "mean",
            )
        return self

    @field_validator("operators")
    @classmethod
    def _operators(cls, v: int | list[int]) -> int | list[int]:
        values = v if isinstance(v, list) else [v]
        if isinstance(v, list) and len(v) != 24:
            raise ValueError(f"a shift plan needs 24 hourly values, got {len(v)}")
        if any(x < 0 for x in values):
            raise ValueError("operators must be non-negative")
        if any(x > MAX_UNIT_STAFF for x in values):
            raise ValueError(f"operators must be at most {MAX_UNIT_STAFF:,}")
        if max(values) == 0:
            raise ValueError("at least one operator must be on duty at some hour")
        return v


class Escalation(Strict):
    escalation_delay: Distribution = Field(
        default_factory=lambda: fixed(0.0),
        description="Hand-over time from one tier to the next (hours).",
    )


class Jurisdiction(Strict):
    """Cases whose jurisdiction is unclear (each category's ``unclear_jurisdiction`` share).

    The first receiving unit is responsible (首接负责) and may not simply pass the order on;
    the units involved dispute ownership for ``dispute_time``; what stays unresolved defaults
    to the district (兜底), which handles and closes it (service standard draft, 2021-12).
    """

    dispute_time: Distribution = Field(
        default_factory=lambda: expo(24.0),
        description="Time the units spend settling whose case it is (hours); assumed: a working "
        "day.",
    )
    district_fallback: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of disputes left unresolved, which the district takes over; assumed. "
        "The rest stay with the first receiving unit.",
    )


class Surge(Strict):
    """A one-off window (epidemic wave, storm) multiplying the arrival rate of some categories."""

    name: str = Field(..., description="Label, e.g. 'epidemic wave'.")
    start_day: float = Field(
        ..., ge=0, le=MAX_DAYS, description="Start (days from the start of the run)."
    )
    end_day: float = Field(
        ..., gt=0, le=MAX_DAYS, description="End (days from the start of the run)."
    )
    multiplier: float = Field(
        ..., ge=0, le=MAX_MULTIPLIER, description="Arrival-rate multiplier inside the window."
    )
    categories: list[str] | None = Field(None, description="Categories affected; null for all.")

    @model_validator(mode="after")
    def _window(self) -> Surge:
        if self.end_day <= self.start_day:
            raise FieldError("end_day must be after start_day", "end_day")
        return self


class Satisfaction(Strict):
    """Ordinal-logistic satisfaction at the callback.

    score = intercept + resolved_effect * resolved - lateness_effect * max(0, t/limit - 1)
    - handoff_effect * handoffs, where t is time to close, limit the urgency limit and
    handoffs = escalations + returns + whistles. P(satisfied) = logistic(score),
    P(at least basically satisfied) = logistic(score + basic_gap).
    """

    intercept: float = Field(
        -1.0,
        ge=-MAX_SCORE,
        le=MAX_SCORE,
        description="Score (log-odds) of an unresolved, on-time, direct case.",
    )
    resolved_effect: float = Field(
        3.0,
        ge=-MAX_SCORE,
        le=MAX_SCORE,
        description="Score (log-odds) added when the problem was resolved.",
    )
    lateness_effect: float = Field(
        1.0,
        ge=-MAX_SCORE,
        le=MAX_SCORE,
        description="Score (log-odds) lost per time limit overrun (per multiple of the limit); "
        "negative: residents rate late cases better (a sign a fitted log may show).",
    )
    handoff_effect: float = Field(
        0.3,
        ge=-MAX_SCORE,
        le=MAX_SCORE,
        description="Score (log-odds) lost per hand-off; negative: residents rate handed-off "
        "cases better (a sign a fitted log may show).",
    )
    basic_gap: float = Field(
        1.0,
        ge=0,
        le=MAX_SCORE,
        description="Extra score (log-odds) needed for 'basically satisfied' over 'satisfied'.",
    )


class Feedback(Strict):
    """Verification callback (回访) and repeat appeals."""

    callback_delay: Distribution = Field(
        default_factory=lambda: expo(24.0), description="Closing to the callback (hours)."
    )
    callback_reach: float = Field(
        0.9, ge=0, le=1, description="Share of callbacks that reach the resident (valid callbacks)."
    )
    resolution_probability: dict[TierName, float] = Field(
        default_factory=_default_resolution_probability,
        description="Probability the resident says 'resolved', by closing tier.",
    )
    satisfaction: Satisfaction = Field(
        default_factory=Satisfaction, description="Satisfaction model."
    )
    repeat_probability: float = Field(
        0.3, ge=0, le=1, description="Probability an unsatisfied resident appeals again."
    )
    repeat_delay: Distribution = Field(
        default_factory=lambda: expo(72.0), description="Callback to the repeat appeal (hours)."
    )

    @field_validator("resolution_probability")
    @classmethod
    def _probabilities(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: x for k, x in v.items() if not 0 <= x <= 1}
        if bad:
            raise ValueError(f"probabilities must be between 0 and 1: {bad}")
        missing = sorted(set(TIERS) - set(v))
        if missing:
            raise ValueError(f"missing tiers: {', '.join(missing)}")
        return v


class Output(Strict):
    timeseries_interval_hours: float = Field(
        1.0,
        ge=MIN_INTERVAL_HOURS,
        le=MAX_HOURS,
        description="Sampling interval of timeseries.parquet (hours).",
    )
    cases_table: bool = Field(
        True,
        description="Keep the per-case table (cases.parquet, streamed as cases finish). False: "
        "summary-only mode; the summary, KPIs and outcomes come from streaming statistics either "
        "way.",
    )


class DefaultHandling(Strict):
    """Handling time of one visit per tier (hours), for categories that do not set their own."""

    grid: Distribution = Field(
        default_factory=lambda: Distribution(kind="lognormal", mean=4.0, cv=1.0)
    )
    street: Distribution = Field(
        default_factory=lambda: Distribution(kind="lognormal", mean=8.0, cv=1.0)
    )
    district: Distribution = Field(
        default_factory=lambda: Distribution(kind="lognormal", mean=16.0, cv=1.0)
    )
    department: Distribution = Field(
        default_factory=lambda: Distribution(kind="lognormal", mean=12.0, cv=1.0)
    )


class Scenario(Strict):
    """A complete, runnable description of a city, its people and its rules."""

    name: str = Field(
        ...,
        pattern=NAME_PATTERN,
        max_length=100,
        description="Name; default output folder (letters, digits, '_', '-', '.'; not starting "
        "with '.' or '-').",
    )
    description: str = Field("", description="Free text.")
    seed: int = Field(1, ge=0, le=MAX_SEED, description="Root random seed.")
    days: float = Field(30.0, gt=0, le=MAX_DAYS, description="Simulated horizon (days).")
    start_date: dt.date = Field(
        dt.date(2024, 1, 1),
        ge=dt.date(1900, 1, 1),
        le=dt.date(2200, 12, 31),
        description="Calendar date of time 0 (weekday and season).",
    )
    city: City = Field(default_factory=lambda: City(synthetic=SyntheticCity()))
    staffing: Staffing = Field(default_factory=Staffing)
    departments: list[Department] = Field(default_factory=list, description="Departments.")
    urgency_classes: dict[str, UrgencyClass] = Field(
        default_factory=default_urgency, description="Urgency classes by name."
    )
    categories: list[Category] = Field(..., min_length=1, description="Appeal categories.")
    arrivals: Arrivals = Field(default_factory=Arrivals)
    hotline: Hotline = Field(default_factory=Hotline)
    handling: DefaultHandling = Field(default_factory=DefaultHandling)
    escalation: Escalation = Field(default_factory=Escalation)
    whistle: Whistle = Field(default_factory=Whistle)
    jurisdiction: Jurisdiction = Field(default_factory=Jurisdiction)
    feedback: Feedback = Field(default_factory=Feedback)
    problems: Problems = Field(default_factory=Problems)
    places: Places = Field(default_factory=Places)
    residents: ResidentGroups = Field(default_factory=ResidentGroups)
    assessment: Assessment = Field(default_factory=Assessment)
    workload: Workload = Field(default_factory=Workload)
    volunteers: Volunteers = Field(default_factory=Volunteers)
    area_units: AreaUnits = Field(default_factory=AreaUnits)
    deliberation: Deliberation = Field(default_factory=Deliberation)
    output: Output = Field(default_factory=Output)
    policies: list[Policy] = Field(
        default_factory=list,
        description="Policies switched on (see docs/policies.md); they compose in a fixed order.",
    )

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        departments = {d.name for d in self.departments}
        if len(departments) != len(self.departments):
            raise FieldError("department names must be unique", "departments")
        names = [c.name for c in self.categories]
        if len(set(names)) != len(names):
            raise FieldError("category names must be unique", "categories")
        for i, c in enumerate(self.categories):
            if c.urgency not in self.urgency_classes:
                raise FieldError(
                    f"category '{c.name}': urgency '{c.urgency}' is not one of "
                    f"{sorted(self.urgency_classes)}",
                    "categories",
                    i,
                    "urgency",
                )
            if c.department is not None and c.department not in departments:
                raise FieldError(
                    f"category '{c.name}': department '{c.department}' is not in departments",
                    "categories",
                    i,
                    "department",
                )
            for j, name in enumerate(c.joint_departments):
                problem = (
                    "is not in departments"
                    if name not in departments
                    else "is the owner, not a joint department"
                    if name == c.department
                    else "is listed twice"
                    if name in c.joint_departments[:j]
                    else ""
                )
                if problem:
                    raise FieldError(
                        f"category '{c.name}': joint department '{name}' {problem}",
                        "categories",
                        i,
                        "joint_departments",
                        j,
                    )
            if c.joint_departments and c.department is None:
                raise FieldError(
                    f"category '{c.name}': joint departments need an owning department",
                    "categories",
                    i,
                    "joint_departments",
                )
            if c.department is None and c.department_route_share > 0:
                raise FieldError(
                    f"category '{c.name}': department_route_share > 0 needs a department",
                    "categories",
                    i,
                    "department_route_share",
                )
        timed: list[tuple[str, Sequence[Season | Surge]]] = [
            ("seasons", self.arrivals.seasons),
            ("surges", self.arrivals.surges),
        ]
        for key, windows in timed:
            for i, window in enumerate(windows):
                unknown = sorted(set(window.categories or []) - set(names))
                if unknown:
                    raise FieldError(
                        f"{window.name}: unknown categories {unknown}",
                        "arrivals",
                        key,
                        i,
                        "categories",
                    )
        unknown = sorted(set(self.whistle.categories or []) - set(names))
        if unknown:
            raise FieldError(f"unknown categories {unknown}", "whistle", "categories")
        branches = self.whistle.branches
        unknown = sorted(set((branches.departments if branches else None) or []) - departments)
        if unknown:
            raise FieldError(f"unknown departments {unknown}", "whistle", "branches", "departments")
        for i, policy in enumerate(self.policies):
            unknown = sorted(set(getattr(policy, "categories", None) or []) - set(names))
            if unknown:
                raise FieldError(f"unknown categories {unknown}", "policies", i, "categories")
            unknown = sorted(set(getattr(policy, "departments", None) or []) - departments)
            if unknown:
                raise FieldError(f"unknown departments {unknown}", "policies", i, "departments")
            coverage = getattr(policy, "grid_coverage", None)
            if coverage:
                self._check_grid_names(coverage, "policies", i, "grid_coverage")
            if getattr(policy, "needs_problems", False) and not self.problems.enabled:
                raise FieldError(
                    f"the {policy.type} policy acts on problems: set problems.enabled: true",
                    "policies",
                    i,
                    "type",
                )
        if self.problems.enabled and self.arrivals.replay is not None:
            raise FieldError(
                "a replayed case log drives appeals, not problems: set problems.enabled: false "
                "to replay a log (problems behind replayed appeals are not modelled yet)",
                "arrivals",
                "replay",
            )
        self._check_places(names)
        self._check_assessment()
        self._check_volunteers(names)
        if self.area_units.enabled:  # (the streets' names only then)
            self.area_units.check(self.problems.enabled, names, self.city.street_names())
        self.deliberation.check(self.problems.enabled, list(self.problems.scopes))
        kinds = set(self.problems.scopes)
        for i, c in enumerate(self.categories):
            unknown = sorted(set(c.problem.scope) - kinds)
            if unknown:
                raise FieldError(
                    f"category '{c.name}': scope kinds {unknown} are not in problems.scopes "
                    f"{sorted(kinds)}",
                    "categories",
                    i,
                    "problem",
                    "scope",
                )
        for i, group in enumerate(self.residents.groups):
            unknown = sorted(set(group.rates) - set(names))
            if unknown:
                raise FieldError(
                    f"group '{group.name}': unknown categories {unknown}",
                    "residents",
                    "groups",
                    i,
                    "rates",
                )
        return self

    def _check_assessment(self) -> None:
        """Units answer to their assessment only with problems (a real fix against a closure
        on paper) and a ranking policy (their rank groups); their closures on paper replace
        the problems' fixed share."""
        assessment = self.assessment
        if not assessment.enabled:
            return
        if not self.problems.enabled:
            raise FieldError(
                "units answer to their assessment through real fixes: set problems.enabled: true",
                "assessment",
                "enabled",
            )
        rankings = [i for i, policy in enumerate(self.policies) if policy.type == "ranking"]
        if not rankings:
            raise FieldError(
                "units answer to their assessment's rank groups: add a ranking policy to "
                "policies (or set assessment.enabled: false)",
                "assessment",
                "enabled",
            )
        if len(rankings) > 1:
            raise FieldError(
                "units answer to one assessment: keep one ranking policy",
                "policies",
                rankings[1],
                "type",
            )
        if self.problems.paper_closure > 0:
            raise FieldError(
                "with assessment on, units choose their closures on paper: set "
                "problems.paper_closure: 0",
                "problems",
                "paper_closure",
            )

    def _check_volunteers(self, names: list[str]) -> None:
        """Members take only categories that exist, and some when they serve."""
        volunteers = self.volunteers
        for i, name in enumerate(volunteers.categories):
            if name not in names:
                close = difflib.get_close_matches(name, names, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise FieldError(f"no category '{name}'{hint}", "volunteers", "categories", i)
        if volunteers.enabled and not volunteers.categories:
            raise FieldError(
                "name the categories whose grid work orders members may take (or set "
                "volunteers.enabled: false)",
                "volunteers",
                "categories",
            )

    def _check_places(self, names: list[str]) -> None:
        """Refuse a category multiplier of ``places`` for a category that does not exist, and
        an old-compound share for a city whose grids say it themselves."""
        places = self.places
        named: list[tuple[dict[str, float], tuple[str, ...]]] = [
            (kind.rates, ("places", "kinds", name, "rates")) for name, kind in places.kinds.items()
        ]
        named.append((places.old_compounds.rates, ("places", "old_compounds", "rates")))
        for rates, key in named:
            for name in rates:
                if name not in names:
                    close = difflib.get_close_matches(name, names, n=1)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    raise FieldError(f"no category '{name}'{hint}", *key, name)
        if places.old_compounds.share > 0 and self.city.districts is not None:
            raise FieldError(
                "an explicit city marks its old compounds on its grids (`old_compound: true`), "
                "not with a share",
                "places",
                "old_compounds",
                "share",
            )

    def _check_grid_names(self, named: dict[str, float], *key: str | int) -> None:
        """Refuse a grid name that is not in the city (as laid out, synthetic names included)."""
        grids = set(self.city.grid_names())
        for name in named:
            if name not in grids:
                close = difflib.get_close_matches(name, grids, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"e.g. '{min(grids)}'"
                raise FieldError(f"no grid '{name}' in the city ({hint})", *key, name)

    def limit_hours_of(self, category: Category) -> float:
        """The response time limit of ``category``'s cases (hours): its owning department's,
        if the department has one, else its urgency class's."""
        if category.department is not None:
            for d in self.departments:
                if d.name == category.department and d.limit_hours is not None:
                    return d.limit_hours
        return self.urgency_classes[category.urgency].limit_hours

    def category_limits(self) -> list[float]:
        """:meth:`limit_hours_of` of every category, by category code."""
        return [self.limit_hours_of(c) for c in self.categories]

    def handling_for(self, category: Category, tier: str) -> Distribution:
        """The handling time (hours per visit) of ``category`` at ``tier``: the category's own
        ``handling`` if it sets one for that tier, else the scenario's."""
        own = getattr(category.handling, tier)
        return own if own is not None else getattr(self.handling, tier)
