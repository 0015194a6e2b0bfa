"""The volunteers section of a scenario: party members registered in their home community.

In-service party members register with the community they live in as well as with their
workplace's party branch (党员"双报到", seed 004_91c6d9bc28e189c6.txt; the "double
registration" made routine with a list of the community's needs, seed
003_76c3d2c0c8f0b138.txt) and serve there out of working hours. With
``volunteers.enabled``, each grid has ``registered`` such members; in each session (a
window of hours on some weekdays) each turns up with probability ``turnout``, and those who
came take work orders of the named categories at their grid, one at a time, before the
grid's staff do (the mechanism: :mod:`govsim.mechanisms.volunteers`; the rule:
docs/policies.md, "Party members who serve where they live"). Every figure is assumed
unless its description names a source: no published figure gives members per community,
their turnout or their hours.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from govsim.core.parameters import Strict

MAX_REGISTERED = 10_000
"""Largest number of registered members per grid."""
Weekday = Literal[0, 1, 2, 3, 4, 5, 6]
"""0 Monday to 6 Sunday."""


def _default_sessions() -> list[Session]:
    # assumed: weekday evenings after work and weekend mornings (the members work by day)
    return [
        Session(weekdays=[0, 1, 2, 3, 4], start=19.0, end=21.0),
        Session(weekdays=[5, 6], start=9.0, end=12.0),
    ]


class Session(Strict):
    """A window of hours, on some weekdays, in which registered members may serve."""

    weekdays: list[Weekday] = Field(
        ...,
        min_length=1,
        description="Weekdays of the session (0 Monday to 6 Sunday; each once).",
    )
    start: float = Field(..., ge=0, lt=24, description="First hour of the day (hours, 0 to 24).")
    end: float = Field(
        ..., gt=0, le=24, description="Hour of the day it ends (hours, after `start`, at most 24)."
    )

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, v: list[Weekday]) -> list[Weekday]:
        if len(set(v)) != len(v):
            raise ValueError(f"each weekday once, got {v}")
        return v

    @model_validator(mode="after")
    def _window(self) -> Session:
        if self.end <= self.start:
            raise ValueError(f"a session ends after it starts: start {self.start}, end {self.end}")
        return self


class Volunteers(Strict):
    """Registered party members who serve at their grid in stated hours (off: today's model)."""

    enabled: bool = Field(
        False,
        description="Registered party members take some categories' work orders at their grid "
        "in their sessions (docs/policies.md).",
    )
    registered: int = Field(
        0,
        ge=0,
        le=MAX_REGISTERED,
        description="Party members registered with each grid's community (people per grid; "
        "0: nobody serves). Assumed: seed 004 names 双报到, not its numbers.",
    )
    turnout: float = Field(
        0.2,
        ge=0,
        le=1,
        description="Probability that a registered member turns up to a session (probability; "
        "the number who come is binomial, drawn per grid and session). Assumed.",
    )
    sessions: list[Session] = Field(
        default_factory=_default_sessions,
        description="When members serve (hours of the day on weekdays; overlapping windows of "
        "one day are merged). Default: weekdays 19-21 h, Saturday and Sunday 9-12 h. Assumed.",
    )
    categories: list[str] = Field(
        default_factory=list,
        description="Categories whose grid work orders members may take (names in "
        "`categories`): community matters such as neighbours' disputes, the environment or "
        "elderly care, not law enforcement (seed 001_4745da109a3869aa.txt lists volunteers' "
        "services: daily care, patrols, mediation). Which categories: the scenario's choice.",
    )
    handling_factor: float = Field(
        1.0,
        gt=0,
        le=100,
        description="A member's handling time over a grid worker's for the same case "
        "(dimensionless; their times are drawn from the grid's handling time, on a stream of "
        "their own). Assumed.",
    )
    fix_factor: float = Field(
        1.0,
        ge=0,
        le=10,
        description="With problems on: a member's chance of fixing the problem of an order "
        "they close over a grid worker's (dimensionless; the grid's fix probability times it, "
        "the same draw). Assumed.",
    )
    take_queued: bool = Field(
        True,
        description="A member who is free takes the first waiting order of a named category "
        "from the grid's queue (as a session starts and after each case), besides new ones.",
    )

    @field_validator("categories")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        twice = sorted({name for name in v if v.count(name) > 1})
        if twice:
            raise ValueError(f"categories named twice: {twice}")
        return v
