"""The problems section of a scenario: real problems behind the appeals, and how they are reported.

With ``problems.enabled`` the arrival model draws *problems* (per grid and category, the same
non-homogeneous Poisson shapes as appeals) instead of independent appeals. A problem touches
the residents of its scope, is first reported after ``first_report_delay``, and while it is
unfixed its residents keep appealing at the scope's ``reporting_rate``: duplicates while a
case is open, repeat appeals after a case closed without fixing it. A closed case fixes the
problem with the tier's ``fix_probability`` (times the category's ``fixability``, the closing
unit's quality shift, and its effort); fixing it closes its other open cases (merged handling).

Volumes: a category's ``rate`` stays the appeal rate of today's calibrated scenarios. The
problems arise at ``rate x (1 - consultation_share) / E[appeals]``, where E[appeals] =
1 + ``reference_open_hours`` / 24 x (the category's mean ``reporting_rate``): the first report
plus the duplicates while a first case stays open that long (the mechanism computes it:
:func:`govsim.mechanisms.problems.expected_appeals`), unless the category gives its own
``problem.appeals_per_problem`` (``govsim fit`` calibrates it by simulation, so that the
fitted city's appeal rate is the log's). Consultations keep their own
rate (no problem behind them). What the run really yields is in ``summary.json``
(``problems.appeals_per_reported_problem``): faster fixing means fewer duplicates, unfixed
problems bring repeat appeals.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from govsim.core.parameters import Distribution, Strict, check_shares, expo

FixTierName = Literal["grid", "street", "district", "department"]
TierName = Literal["hotline", "grid", "street", "district", "department"]


class ScopeKind(Strict):
    """How far a problem reaches: the residents it touches and how often they appeal."""

    residents: int = Field(
        ..., ge=1, le=10_000_000, description="Residents a problem of this scope touches."
    )
    reporting_rate: float = Field(
        ...,
        ge=0,
        le=1000,
        description="Appeals per day, all its residents together, while the problem is unfixed "
        "and they still report it (after the first report).",
    )


def default_scopes() -> dict[str, ScopeKind]:
    # All assumed (no published figures): a household's own problem, a building's, a compound's
    # (Huitian: about 800,000 residents in 134 compounds, 004), a street's.
    return {
        "household": ScopeKind(residents=1, reporting_rate=0.05),
        "building": ScopeKind(residents=40, reporting_rate=0.3),
        "compound": ScopeKind(residents=1000, reporting_rate=1.0),
        "street": ScopeKind(residents=10000, reporting_rate=2.0),
    }


def _default_fix_probability() -> dict[FixTierName, float]:
    # Assumed: a closed case really fixes its problem at about the rate residents then say
    # "resolved" (resolution 85% over 2019-2021, 89% in 2021: DOMAIN.md, 004 and press).
    return {"grid": 0.9, "street": 0.9, "district": 0.85, "department": 0.85}


class CategoryProblems(Strict):
    """The problems behind one category's appeals (used when ``problems.enabled``)."""

    scope: dict[str, float] = Field(
        default_factory=lambda: {"household": 1.0},
        description="Shares of its problems by scope kind (keys of `problems.scopes`, sum 1).",
    )
    fixability: float = Field(
        1.0,
        ge=0,
        le=10,
        description="Multiplies the closing tier's `fix_probability` (harder categories < 1).",
    )
    unfixable_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of its problems no unit can fix (demands beyond what government can "
        "do): their cases close 'not fixable'.",
    )
    appeals_per_problem: float | None = Field(
        None,
        ge=1,
        le=10_000,
        description="Appeals a problem of this category brings on average (its first report, "
        "duplicates and repeats), used to derive the problem rate from `rate`; null: 1 + "
        "`problems.reference_open_hours` / 24 x the scope mix's `reporting_rate`. `govsim fit` "
        "sets it by simulation to what reproduces the log's appeal rate in the fitted city.",
    )

    @field_validator("scope")
    @classmethod
    def _scope(cls, v: dict[str, float]) -> dict[str, float]:
        if not v or any(x < 0 for x in v.values()):
            raise ValueError("scope shares must be non-negative, at least one")
        return check_shares(v, "scope")


class Problems(Strict):
    """Real problems behind the appeals (off: every appeal is an independent case, as before)."""

    enabled: bool = Field(
        False, description="Draw problems instead of independent appeals (see docs/model.md)."
    )
    scopes: dict[str, ScopeKind] = Field(
        default_factory=default_scopes, description="Scope kinds by name."
    )
    first_report_delay: Distribution = Field(
        default_factory=lambda: expo(12.0),
        description="Hours from a problem arising to its first appeal (assumed: half a day), "
        "counted on `report_clock`.",
    )
    report_clock: Literal["calling_hours", "clock_hours"] = Field(
        "calling_hours",
        description="The clock of residents' reports (the first report's delay, the gaps "
        "between later reports, a patrol's find): `calling_hours` runs at the call shapes "
        "(`arrivals.intraday` x `arrivals.weekday`, from 12345 volumes), so reports fall in "
        "the hours and on the days residents call, and a whole week holds 168 calling hours "
        "(docs/model.md); "
        "`clock_hours` counts every hour alike, night or day (as before this option). Assumed.",
    )
    reference_open_hours: float = Field(
        24.0,
        ge=0,
        le=10_000,
        description="Hours a first case is taken to stay open when problem rates are derived "
        "from appeal rates (assumed: about the mean time to close a work order without "
        "problems; the baseline's is 23.6 h).",
    )
    fix_probability: dict[FixTierName, float] = Field(
        default_factory=_default_fix_probability,
        description="Probability that a case closed at this tier really fixes its problem.",
    )
    resolved_if_fixed: dict[TierName, float] | None = Field(
        None,
        description="Probability a resident says 'resolved' at the callback when the case "
        "really fixed the problem, by closing tier; null: `feedback.resolution_probability`.",
    )
    resolved_if_not_fixed: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Probability a resident says 'resolved' at the callback when the case was "
        "closed without fixing the problem (assumed; fixed: `feedback.resolution_probability`).",
    )
    keep_reporting: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Probability the residents go on reporting after a case closed without "
        "fixing their problem; else they give up (the problem stays open, quiet). Assumed.",
    )
    effort_elasticity: float = Field(
        1.0,
        ge=0,
        le=10,
        description="Fix probability x (unit's time factor)^elasticity: a unit that rushes its "
        "cases (time factor < 1) fixes fewer. Assumed.",
    )
    paper_closure: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of cases beyond a unit's powers that it closes on paper (not fixed) "
        "instead of escalating. Assumed 0 (today's routing).",
    )

    @field_validator("fix_probability")
    @classmethod
    def _fix(cls, v: dict[str, float]) -> dict[str, float]:
        missing = sorted({"grid", "street", "district", "department"} - set(v))
        if missing:
            raise ValueError(f"missing tiers: {', '.join(missing)}")
        if any(not 0 <= x <= 1 for x in v.values()):
            raise ValueError("probabilities must be between 0 and 1")
        return v

    @field_validator("resolved_if_fixed")
    @classmethod
    def _resolved(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return v
        missing = sorted({"hotline", "grid", "street", "district", "department"} - set(v))
        if missing:
            raise ValueError(f"missing tiers: {', '.join(missing)}")
        if any(not 0 <= x <= 1 for x in v.values()):
            raise ValueError("probabilities must be between 0 and 1")
        return v

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, v: dict[str, ScopeKind]) -> dict[str, ScopeKind]:
        if not v:
            raise ValueError("at least one scope kind is needed")
        return v
