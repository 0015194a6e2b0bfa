"""The places section of a scenario: where each category's demand falls, by grid kind and housing.

With ``places.enabled``, category c's events fall on grid g in proportion to its
resident-equivalents

    (population_g + exposure_kind) x rates_kind[c] x (old_compounds.rates[c] if g is old)

instead of its population alone (the places mechanism, govsim/mechanisms/places/, sets the
run's ``Placement.grid_weights``). A key-unit or road grid has no residents, so its demand
comes from its ``exposure``: the passers-by, workers and visitors it holds, counted as
residents (assumed). With problems on, problems arise by the same weights. Every multiplier
is per category name; a category not named keeps 1. Off (or all at their defaults: no
exposure, no multipliers, no old compounds) the events fall by population, as before.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from govsim.core.bounds import MAX_MULTIPLIER, MAX_POPULATION
from govsim.core.parameters import Strict

GridKindName = Literal["community", "village", "key_unit", "road"]


def _multipliers(v: dict[str, float], what: str) -> dict[str, float]:
    bad = sorted(name for name, m in v.items() if not 0 <= m <= MAX_MULTIPLIER)
    if bad:
        raise ValueError(f"{what} multipliers must be in [0, {MAX_MULTIPLIER:g}]: {bad}")
    return v


class PlaceKind(Strict):
    """One grid kind's demand: its exposure and its problem mix."""

    exposure: float = Field(
        0.0,
        ge=0,
        le=MAX_POPULATION,
        description="Resident-equivalents added to each grid of this kind (a key-unit or road "
        "grid has no residents: the people it holds, counted as residents). Assumed.",
    )
    rates: dict[str, float] = Field(
        default_factory=dict,
        description="Multiplier of each named category's events in grids of this kind (names "
        "in `categories`; each in [0, 1000]; unnamed: 1). Assumed.",
    )

    @field_validator("rates")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        return _multipliers(v, "rates")


class OldCompounds(Strict):
    """Old residential compounds (老旧小区, built before 2000): ageing pipes, no lifts, weak
    property management and illegal building (seed 004) raise some categories' demand."""

    share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of a synthetic city's residential grids that are old compounds (which "
        "ones: drawn from `city.synthetic.layout_seed`); an explicit city marks its grids with "
        "`old_compound` instead. Assumed.",
    )
    rates: dict[str, float] = Field(
        default_factory=dict,
        description="Multiplier of each named category's events in an old compound (names in "
        "`categories`; each in [0, 1000]; unnamed: 1). Which categories and how much: assumed "
        "(seed 004 names the causes, not the rates).",
    )

    @field_validator("rates")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        return _multipliers(v, "old_compounds.rates")


class Places(Strict):
    """Unequal places: grid kinds with their own demand, and old compounds (off: by population)."""

    enabled: bool = Field(
        False,
        description="Weigh each category's events by grid kind and old compounds (see "
        "docs/model.md).",
    )
    kinds: dict[GridKindName, PlaceKind] = Field(
        default_factory=dict,
        description="Per grid kind (community, village, key_unit, road): its exposure and "
        "category multipliers; a kind not listed: no exposure, multipliers 1.",
    )
    old_compounds: OldCompounds = Field(
        default_factory=OldCompounds, description="Old residential compounds and their mix."
    )
