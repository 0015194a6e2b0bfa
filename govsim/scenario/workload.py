"""The workload section of a scenario: people at work (issue 29, part 1).

With ``workload.enabled`` the units of a tier listed in ``workload.tiers`` keep duty hours: the
unit's staff are the people on duty during its duty hours; off duty its pool serves with a
skeleton crew (none by default), and a case in hand at a shift's end is finished (overtime).
Non-case duties (the grid's visiting rules and reporting, meetings: seed 001) take hours per
person per week off case work, spread over the duty hours or in blocks at set hours; cutting
them (duty lists and work-entry control, 社区职责清单 / 工作准入: seed 003) is
``burden_cut``. A tier not listed is on duty around the clock with no other duties, as without
the mechanism (govsim/mechanisms/workload; docs/policies.md, "People at work").
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from govsim.core.parameters import Strict

WorkTierName = Literal["grid", "street", "district", "department"]
ALL_WEEK = (0, 1, 2, 3, 4, 5, 6)
HOURS_PER_WEEK = 168.0


def _weekdays(days: list[int]) -> list[int]:
    if any(not 0 <= d <= 6 for d in days) or len(set(days)) != len(days):
        raise ValueError("weekdays are distinct numbers from 0 (Monday) to 6 (Sunday)")
    return sorted(days)


class Block(Strict):
    """When a duty is done in one block: every person on duty leaves case work then."""

    weekdays: list[int] = Field(
        ...,
        min_length=1,
        max_length=7,
        description="Days of the block (0 = Monday ... 6 = Sunday).",
    )
    start: float = Field(
        ...,
        ge=0,
        lt=24,
        description="Hour of the day the block starts (hours, 0-24); it lasts the duty's "
        "hours_per_week over its days.",
    )

    @model_validator(mode="after")
    def _days(self) -> Block:
        self.__dict__["weekdays"] = _weekdays(self.weekdays)
        return self


class Duty(Strict):
    """A duty other than cases, as hours per person per week."""

    name: str = Field(..., min_length=1, description="What the duty is (for the reader).")
    hours_per_week: float = Field(
        ...,
        ge=0,
        le=HOURS_PER_WEEK,
        description="Hours per person per week (hours; seed 001 names the duties, not their "
        "hours: the figures are assumed unless the scenario cites a source).",
    )
    at: Block | None = Field(
        None,
        description="A block at set hours (all on duty leave cases then); null: the hours are "
        "spread over the tier's duty hours, a share of the people on duty off cases at a time.",
    )
    cuttable: bool = Field(
        True,
        description="Whether `burden_cut` shortens it (duty lists and work-entry control cut "
        "reporting, meetings and tasks passed down; seed 003).",
    )


class TierDuty(Strict):
    """One tier's duty hours, skeleton crew and non-case duties."""

    hours: tuple[float, float] = Field(
        (0.0, 24.0),
        description="On duty from, to (hours of the day, 0 <= from < to <= 24; [0, 24]: all "
        "day). Default: all day.",
    )
    weekdays: list[int] = Field(
        default_factory=lambda: list(ALL_WEEK),
        max_length=7,
        description="Days on duty (0 = Monday ... 6 = Sunday). Default: every day.",
    )
    skeleton: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of the staff on duty off hours (a night or weekend crew; people = "
        "share x staff rounded half up). Default 0: nobody (assumed).",
    )
    duties: list[Duty] = Field(
        default_factory=list, max_length=20, description="Non-case duties of each person."
    )

    @model_validator(mode="after")
    def _check(self) -> TierDuty:
        start, end = self.hours
        if not 0 <= start < end <= 24:
            raise ValueError(
                f"hours must be [from, to] with 0 <= from < to <= 24, got {start}, {end}"
            )
        self.__dict__["weekdays"] = _weekdays(self.weekdays)
        days = set(self.weekdays)
        for duty in self.duties:
            block = duty.at
            if block is None:
                continue
            length = duty.hours_per_week / len(block.weekdays)
            if (
                not set(block.weekdays) <= days
                or not start <= block.start < block.start + length <= end
            ):
                raise ValueError(
                    f"duty '{duty.name}': its block ({block.start:g} h for {length:g} h on days "
                    f"{block.weekdays}) must fall within the duty hours"
                )
        if self.spread_hours() > self.duty_hours() - self.block_hours() + 1e-9:
            raise ValueError(
                f"the spread duties take {self.spread_hours():g} h a week, more than the "
                f"{self.duty_hours() - self.block_hours():g} h on duty outside the blocks"
            )
        return self

    def always_on(self) -> bool:
        """On duty at every hour (a tier with no schedule)."""
        return self.hours == (0.0, 24.0) and len(self.weekdays) == 7

    def duty_hours(self) -> float:
        """Hours on duty per person per week."""
        return (self.hours[1] - self.hours[0]) * len(self.weekdays)

    def block_hours(self, cut: float = 0.0) -> float:
        """Hours per person per week in blocks, after cutting ``cut`` of the cuttable ones."""
        return sum(d.hours_per_week * (1 - cut * d.cuttable) for d in self.duties if d.at)

    def spread_hours(self, cut: float = 0.0) -> float:
        """Hours per person per week spread over the duty hours, after the cut."""
        return sum(d.hours_per_week * (1 - cut * d.cuttable) for d in self.duties if not d.at)


class Workload(Strict):
    """People at work: duty hours, non-case duties and overtime (off: on duty 24/7)."""

    enabled: bool = Field(
        False,
        description="Units keep duty hours and non-case duties (the tiers listed in `tiers`), "
        "and the run keeps the workload table (docs/policies.md, 'People at work').",
    )
    tiers: dict[WorkTierName, TierDuty] = Field(
        default_factory=dict,
        description="Duty hours and non-case duties per tier (grid, street, district, "
        "department); a tier not listed is on duty 24/7 with no other duties. Default: none.",
    )
    burden_cut: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of the cuttable non-case hours cut (duty lists and work-entry "
        "control, 社区职责清单 / 工作准入: seed 003; share). Default 0.",
    )
