"""The area_units section of a scenario: the area's units join the street's coordination (issue 29).

驻区单位 (enterprises and institutions located in a street: universities, hospitals, state
firms, offices) join the street's coordination under regional party-building (街道 "大工委",
社区 "大党委": seed 001; 三级党建协调委员会 with their resource, needs and project lists: 003;
驻区单位多方参与: 003, 004) and open what they have to the residents (共驻共建, 驻区单位开放共享
公共服务设施: 001; 动员驻区单位建设 "社区之家": 002). With ``area_units.enabled`` each kind of
resource below joins every street (or the named ones) with a number of units; ``lag_days``
after joining, each unit's resource fixes a share of the street's open problems of its
categories and keeps a share of new ones from arising (the mechanism:
:mod:`govsim.mechanisms.area_units`; docs/policies.md, "The area's units"). It acts on
problems, never on the handling of cases, so it needs ``problems.enabled``. Every number is
assumed unless its description names a source: no published figure gives what a unit's
resource fixes.
"""

from __future__ import annotations

import difflib

from pydantic import Field, field_validator

from govsim.core.parameters import FieldError, Strict

MAX_UNITS = 1000
"""Most units of one kind in a street."""


class Resource(Strict):
    """One kind of resource the area's units bring, and what it does to problems."""

    categories: list[str] = Field(
        ...,
        min_length=1,
        description="Categories whose problems it fixes (names of `categories`).",
    )
    per_street: int = Field(
        1,
        ge=0,
        le=MAX_UNITS,
        description="Units of this kind joining each street's coordination (count). Assumed.",
    )
    streets: dict[str, int] | None = Field(
        None,
        description="Units joining named streets, instead of `per_street` for them (count; "
        "names of the city's streets, synthetic: D01-S001, ...).",
    )
    join_day: float = Field(
        0.0, ge=0, le=3660, description="Day the units join (days from the start). Assumed."
    )
    lag_days: float = Field(
        30.0,
        ge=0,
        le=3660,
        description="Days from a unit joining to its resource taking effect. Assumed.",
    )
    fix_open_share: float = Field(
        0.3,
        ge=0,
        le=1,
        description="When a unit's resource takes effect, the probability that it fixes each "
        "of the street's open problems of its categories (probability per problem and unit). "
        "Assumed.",
    )
    avert_share: float = Field(
        0.2,
        ge=0,
        le=1,
        description="After it takes effect, the probability that a new problem of its "
        "categories in the street does not arise (probability per problem and unit; units "
        "combine as 1 - prod(1 - share)). Assumed.",
    )
    cost_yuan_per_month: float = Field(
        20_000.0,
        ge=0,
        le=1e9,
        description="What a unit's resource costs from joining (yuan per 30 days; to the unit, "
        "not the street's budget). Assumed.",
    )

    @field_validator("streets")
    @classmethod
    def _counts(cls, v: dict[str, int] | None) -> dict[str, int] | None:
        if v is not None and any(not 0 <= n <= MAX_UNITS for n in v.values()):
            raise ValueError(f"units per street must be between 0 and {MAX_UNITS}")
        return v


def default_resources() -> dict[str, Resource]:
    # Assumed figures. Parking opened at night by a unit's compound (Huitian: 50 dedicated
    # parking places, 004; parking among the monthly topics, 004); canteens for elderly meals
    # (1,015 elderly meal points set up in 2021, 004): the standard cities have no elderly-care
    # category, and their public services stand for it.
    return {
        "night_parking": Resource(categories=["traffic"], lag_days=14.0),
        "elderly_canteen": Resource(
            categories=["public_services"], lag_days=30.0, cost_yuan_per_month=30_000.0
        ),
    }


class AreaUnits(Strict):
    """The area's units in the street's coordination (off: today's model)."""

    enabled: bool = Field(
        False,
        description="The area's units join the streets' coordination and fix problems of "
        "their resources' categories (needs problems; docs/policies.md).",
    )
    resources: dict[str, Resource] = Field(
        default_factory=default_resources,
        description="Kinds of resource by name: categories, units per street, lag, effect, cost.",
    )

    def check(self, problems: bool, categories: list[str], streets: list[str]) -> None:
        """Refuse the area's units without problems (``problems``: whether they are on), or a
        category or a street that is not the city's (``categories``, ``streets``: names)."""
        if not self.enabled:
            return
        if not problems:
            raise FieldError(
                "the area's units fix problems: set problems.enabled: true",
                "area_units",
                "enabled",
            )
        for kind, resource in self.resources.items():
            key = ("area_units", "resources", kind)
            for i, name in enumerate(resource.categories):
                if name not in categories:
                    close = difflib.get_close_matches(name, categories, n=1)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    raise FieldError(f"no category '{name}'{hint}", *key, "categories", i)
            for name in resource.streets or {}:
                if name not in streets:
                    close = difflib.get_close_matches(name, streets, n=1)
                    hint = f"did you mean '{close[0]}'?" if close else f"e.g. '{min(streets)}'"
                    raise FieldError(
                        f"no street '{name}' in the city ({hint})", *key, "streets", name
                    )
