"""The deliberation section of a scenario: community deliberation and projects chosen by
residents' opinion (issue 29).

Two parts, each with its own reduction (a probability or a budget of 0 does nothing):

- ``hall``, 议事协商: a community with a deliberation hall (社区协商议事厅: 3,000+ Beijing
  communities by 2021, seed 004, of 3,100+ communities, 002; building and compound councils,
  小区、楼门院议事会: 003; the four-party co-building of party branch, residents' committee,
  owners' committee and property company, 四方共建: 001) takes up a reported problem of a
  shared scope (a building, a compound) and settles it with ``settle_probability``,
  ``delay_days`` after its first report, unless something fixed it first;
- ``projects``, 民意立项 (started 24 June 2021, 270,000 residents' suggestions, 100
  demonstration projects: 004): at each month's start, each community's most reported open
  problems of the month that ended (from its reports) become its small projects, up to
  ``per_community``; a project fixes its problem with ``fix_probability`` by
  ``deadline_days``.

A community is a grid with residents (the model's community grid). The mechanism:
:mod:`govsim.mechanisms.deliberation`; the rule and what drives it: docs/policies.md,
"Community deliberation". It needs ``problems.enabled``. Every number is assumed unless its
description names a source.
"""

from __future__ import annotations

from pydantic import Field

from govsim.core.parameters import FieldError, Strict


def _shared() -> list[str]:
    # A building's and a compound's problems are shared (楼门院 and 小区 councils, 003).
    return ["building", "compound"]


class Hall(Strict):
    """议事协商: a community's deliberation hall settles some of its shared problems."""

    coverage: float = Field(
        0.97,
        ge=0,
        le=1,
        description="Share of communities (grids with residents) with a deliberation hall "
        "(3,000+ of 3,100+ Beijing communities in 2021: 004, 002); which ones is drawn once "
        "per run.",
    )
    settle_probability: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Probability that a community's hall settles a reported problem of a "
        "shared scope (probability per problem). Assumed.",
    )
    delay_days: float = Field(
        14.0,
        ge=0,
        le=3660,
        description="Days from a problem's first report to its settlement by deliberation "
        "(assumed: a council meets about twice a month).",
    )
    scopes: list[str] = Field(
        default_factory=_shared,
        description="Scope kinds whose problems a hall takes up (keys of `problems.scopes`).",
    )


class Projects(Strict):
    """民意立项: each month's most reported problems become the next month's small projects."""

    per_community: int = Field(
        1,
        ge=0,
        le=100,
        description="Projects per community per month (count; a budget, assumed: Beijing's 2021 "
        "programme made 100 demonstration projects city-wide, 004).",
    )
    min_reports: int = Field(
        2,
        ge=1,
        le=10_000,
        description="Reports in the month a problem needs to be chosen (count). Assumed.",
    )
    fix_probability: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Probability that a project fixes its problem by its deadline. Assumed.",
    )
    deadline_days: float = Field(
        30.0,
        gt=0,
        le=3660,
        description="Days from the month's start to a project's deadline; a project that "
        "fixes its problem does so at a uniform time before it. Assumed.",
    )
    scopes: list[str] = Field(
        default_factory=_shared,
        description="Scope kinds whose problems may become projects (keys of `problems.scopes`).",
    )
    cost_yuan: float = Field(
        50_000.0,
        ge=0,
        le=1e9,
        description="What a project costs, fixed or not (yuan per project). Assumed.",
    )


class Deliberation(Strict):
    """Community deliberation and small projects chosen by residents (off: today's model)."""

    enabled: bool = Field(
        False,
        description="Communities settle shared problems by deliberation and turn their most "
        "reported problems into small projects (needs problems; docs/policies.md).",
    )
    hall: Hall = Field(default_factory=Hall)
    projects: Projects = Field(default_factory=Projects)

    def check(self, problems: bool, scopes: list[str]) -> None:
        """Refuse deliberation without problems (``problems``: whether they are on), or a scope
        kind not in ``scopes`` (the names of ``problems.scopes``)."""
        if not self.enabled:
            return
        if not problems:
            raise FieldError(
                "deliberation settles problems: set problems.enabled: true",
                "deliberation",
                "enabled",
            )
        kinds = sorted(scopes)
        for part, named in (("hall", self.hall.scopes), ("projects", self.projects.scopes)):
            for i, name in enumerate(named):
                if name not in kinds:
                    raise FieldError(
                        f"no scope kind '{name}' in problems.scopes {kinds}",
                        "deliberation",
                        part,
                        "scopes",
                        i,
                    )
