"""The study file of ``govsim optimize``: what may change, what it may cost, what is better.

A study names a base scenario (or an experiment and one of its variants), the *levers*
the search may set (any dotted scenario key, policy entries addressed by their type),
*constraints* (a head-count budget, a yearly cost budget), the *objectives* (experiment
outcomes, minimised or maximised; two or more give a Pareto front), optional
*uncertainties* (sampled scenarios every candidate is judged on) and how replications
are spent. docs/optimize.md describes every key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from govsim.core.bounds import MAX_DAYS, MAX_REPLICATIONS, MAX_SEED, MAX_TRIALS, NAME_PATTERN
from govsim.core.parameters import FieldError, Strict
from govsim.experiments.outcomes import known_outcomes
from govsim.experiments.schema import Experiment, Sampling, Uncertainty

Tier = Literal["grid", "street", "district", "department"]
TIERS: tuple[Tier, ...] = ("grid", "street", "district", "department")
Scalar = bool | int | float | str | None


class Lever(Strict):
    """A scenario key the search sets: a numeric range or a list of choices."""

    key: str = Field(
        ...,
        description="Dotted scenario key, e.g. staffing.grid_workers; a policy entry by its type "
        "(policies.resource_sinking.department_share); `*` sets every item of a list "
        "(departments.*.staff).",
    )
    range: tuple[float, float] | None = Field(
        default=None, description="[low, high] in the key's own unit (both ends included)."
    )
    integer: bool = Field(default=False, description="Whole numbers only (head counts).")
    step: float | None = Field(
        default=None, gt=0, description="Grid step of a range in the key's unit; null: continuous."
    )
    log: bool = Field(default=False, description="Sample a range on a log scale (low must be > 0).")
    choices: list[Scalar] | None = Field(
        default=None,
        description="The values a categorical lever may take (numbers, strings, booleans).",
    )
    unit: str = Field(
        default="", description="Unit shown in tables and figures, e.g. 'workers per grid'."
    )
    description: str = Field(default="", description="Free text.")

    @model_validator(mode="after")
    def _one_kind(self) -> Lever:
        if (self.range is None) == (self.choices is None):
            raise ValueError("give exactly one of 'range' or 'choices'")
        if self.range is not None:
            low, high = self.range
            if not low < high:
                raise FieldError("range must be [low, high] with low < high", "range")
            if self.integer and not (float(low).is_integer() and float(high).is_integer()):
                raise FieldError("an integer lever needs whole-number bounds", "range")
            if self.log and low <= 0:
                raise FieldError("a log-scale range needs low > 0", "range")
            if self.log and self.step is not None:
                raise FieldError("give either 'step' or 'log', not both", "step")
        else:
            if self.integer or self.step is not None or self.log:
                raise FieldError("'integer', 'step' and 'log' apply to ranges only", "choices")
            if len(self.choices or []) < 2:
                raise FieldError("give at least two choices", "choices")
            if len({repr(c) for c in self.choices or []}) != len(self.choices or []):
                raise FieldError("choices must be distinct", "choices")
        return self

    @property
    def kind(self) -> str:
        return "categorical" if self.choices is not None else "int" if self.integer else "float"


class Objective(Strict):
    """An experiment outcome to minimise or maximise."""

    outcome: str = Field(
        ..., description="Outcome name (docs/experiments.md), e.g. time_to_close_p90."
    )
    direction: Literal["minimise", "maximise", "minimize", "maximize"] = Field(
        ..., description="minimise or maximise (US spelling accepted)."
    )
    indifference: float = Field(
        default=0.0,
        ge=0,
        description="Racing ignores differences smaller than this, in the outcome's unit "
        "(hours, or a share 0-1 for rates); 0: any significant difference counts.",
    )

    @field_validator("outcome")
    @classmethod
    def _known(cls, v: str) -> str:
        known_outcomes([v])
        return v

    @property
    def minimise(self) -> bool:
        return self.direction in ("minimise", "minimize")

    @property
    def sign(self) -> float:
        """+1 for minimise, -1 for maximise: sign * value is a loss."""
        return 1.0 if self.minimise else -1.0


class Headcount(Strict):
    """A head-count budget: case-handling staff of the chosen tiers, as the city is laid out."""

    max: int = Field(..., ge=0, description="Most staff in total (people).")
    min: int | None = Field(
        default=None, ge=0, description="Fewest staff in total (people); null: none."
    )
    tiers: list[Tier] = Field(
        default_factory=lambda: list(TIERS),
        description="Tiers whose staff count: grid workers (incl. sunk staff), street, district "
        "and department staff.",
    )
    fill: str | None = Field(
        default=None,
        description="An integer lever the search does not draw: it takes whatever head count is "
        "left (rounded down to whole units, at most its range's high end), so the budget is "
        "spent in full.",
    )

    @model_validator(mode="after")
    def _order(self) -> Headcount:
        if self.min is not None and self.min > self.max:
            raise FieldError("min must not exceed max", "min")
        if not self.tiers:
            raise FieldError("name at least one tier", "tiers")
        return self


class Cost(Strict):
    """A yearly cost model against a budget (yuan per year; every figure assumed unless sourced)."""

    budget_yuan: float = Field(
        ..., gt=0, description="Most the candidate may cost (yuan per year)."
    )
    staff_year_yuan: dict[Tier, float] = Field(
        default_factory=dict, description="Cost of one staff member for a year, by tier (yuan)."
    )
    per_unit_yuan: dict[str, float] = Field(
        default_factory=dict,
        description="Lever key -> yuan per year per unit of the lever's value, e.g. a topic "
        "programme (policies.monthly_topic.top_k) or a whistle budget per unit of probability.",
    )
    per_choice_yuan: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="Categorical lever key -> {choice (as text): yuan per year}.",
    )
    fixed_yuan: float = Field(default=0.0, description="Cost every candidate pays (yuan per year).")


class Constraints(Strict):
    headcount: Headcount | None = Field(default=None, description="Head-count budget; null: none.")
    cost: Cost | None = Field(default=None, description="Cost budget; null: none.")


class Replications(Strict):
    """How replications are spent: racing during the search, fresh seeds for the final front."""

    initial: int = Field(
        default=3,
        ge=2,
        le=MAX_REPLICATIONS,
        description="Replications of every candidate (at least 2 for a confidence interval).",
    )
    step: int = Field(
        default=2, ge=1, le=MAX_REPLICATIONS, description="Replications added per racing round."
    )
    max: int = Field(
        default=8,
        ge=2,
        le=MAX_REPLICATIONS,
        description="Most replications of one candidate during the search.",
    )
    confidence: float = Field(
        default=0.95,
        gt=0.5,
        lt=1,
        description="Level of the paired intervals racing uses to call a candidate dominated.",
    )
    final: int = Field(
        default=10,
        ge=2,
        le=MAX_REPLICATIONS,
        description="Replications on fresh seeds for each member of the final front (one "
        "objective: for each contender, and the step of the elimination).",
    )
    final_max: int | None = Field(
        default=None,
        ge=2,
        le=MAX_REPLICATIONS,
        description="One objective: most fresh replications of a contender while the ones that "
        "cannot be told apart are separated; null: 3 x final.",
    )
    contenders: int = Field(
        default=10,
        ge=1,
        description="One objective: most candidates re-run on fresh seeds (those not worse than "
        "the search best with confidence, best search estimates first).",
    )

    @model_validator(mode="after")
    def _order(self) -> Replications:
        if self.initial > self.max:
            raise FieldError("initial must not exceed max", "initial")
        if self.final_max is not None and self.final_max < self.final:
            raise FieldError("final_max must not be below final", "final_max")
        return self

    @property
    def fresh(self) -> int:
        """Most fresh replications of one candidate."""
        return self.final_max if self.final_max is not None else 3 * self.final


class Search(Strict):
    """The Optuna sampler and the trial budget."""

    sampler: Literal["tpe", "nsga2", "random"] = Field(
        default="tpe",
        description="tpe: Optuna's TPE (single and multi-objective, sample-efficient); nsga2: "
        "NSGA-II (multi-objective genetic search, for long searches); random: uniform draws.",
    )
    trials: int = Field(
        default=40,
        ge=1,
        le=MAX_TRIALS,
        description="Trials (candidates) in the study; --trials overrides.",
    )
    batch: int = Field(
        default=4,
        ge=1,
        le=MAX_TRIALS,
        description="Candidates drawn together and evaluated in parallel; part of the study (not "
        "of the machine) so any number of workers gives the same trials.",
    )
    seed: int | None = Field(
        default=None, ge=0, le=MAX_SEED, description="Sampler seed; default the study's seed."
    )
    startup_trials: int = Field(
        default=10, ge=1, le=MAX_TRIALS, description="tpe: random trials before the model is used."
    )
    population: int = Field(default=20, ge=2, le=MAX_TRIALS, description="nsga2: population size.")


class Study(Strict):
    """A complete policy search."""

    name: str = Field(
        ...,
        pattern=NAME_PATTERN,
        max_length=100,
        description="Name; default output folder (letters, digits, '_', '-', '.'; not starting "
        "with '.' or '-').",
    )
    description: str = Field(default="", description="Free text.")
    scenario: Path | None = Field(
        default=None, description="Base scenario file (relative to the study file)."
    )
    experiment: Path | None = Field(
        default=None,
        description="Or an experiment file: its scenario, horizon, warm-up, uncertainties and the "
        "`variant`'s changes are the base.",
    )
    variant: str | None = Field(
        default=None, description="With `experiment`: which variant (default its baseline)."
    )
    days: float | None = Field(
        default=None, gt=0, le=MAX_DAYS, description="Horizon (days); default the base's."
    )
    warmup_days: int | None = Field(
        default=None,
        ge=0,
        le=MAX_DAYS,
        description="Outcomes ignore cases created before this day (whole days); default 0; "
        "less than the horizon.",
    )
    set: dict[str, Any] = Field(
        default_factory=dict, description="Fixed overrides by dotted key applied to the base first."
    )
    policies: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Policies appended to the base's list (levers can then reach into them).",
    )
    levers: list[Lever] = Field(..., min_length=1, description="What the search may set.")
    constraints: Constraints = Field(default_factory=Constraints, description="Budgets.")
    objectives: list[Objective] = Field(..., min_length=1, description="What is better.")
    report_outcomes: list[str] = Field(
        default_factory=list, description="Further outcomes measured and tabled, not optimised."
    )
    uncertainties: list[Uncertainty] = Field(
        default_factory=list, description="Uncertain parameters every candidate is judged across."
    )
    sampling: Sampling | None = Field(
        default=None, description="How uncertainties are combined: grid or lhs (default grid)."
    )
    robustness: Literal["mean", "p90"] = Field(
        default="mean",
        description="With uncertainties, what the search optimises per replication: the mean over "
        "the sampled scenarios, or the 90th percentile of the loss (the 10th percentile of an "
        "outcome to maximise).",
    )
    seed: int = Field(
        default=0,
        ge=0,
        le=MAX_SEED,
        description="Root seed: replication seeds (common to all candidates).",
    )
    replications: Replications = Field(
        default_factory=Replications, description="Racing and final."
    )
    search: Search = Field(default_factory=Search, description="Sampler and trial budget.")
    out: Path | None = Field(default=None, description="Output folder; default results/<name>/.")
    storage: str | None = Field(
        default=None,
        description="Optuna RDB URL, e.g. postgresql://user@host/db; default SQLite "
        "(optuna.db in the output folder). --storage overrides.",
    )

    @field_validator("report_outcomes")
    @classmethod
    def _known_outcomes(cls, v: list[str]) -> list[str]:
        return known_outcomes(v)

    @field_validator("storage")
    @classmethod
    def _storage_url(cls, v: str | None) -> str | None:
        if v is not None:
            storage_problem = _storage_problem(v)
            if storage_problem:
                raise ValueError(storage_problem)
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Study:
        if self.scenario is not None and self.experiment is not None:
            raise FieldError("give either 'scenario' or 'experiment', not both", "experiment")
        if self.scenario is None and self.experiment is None:
            raise FieldError("give a base: 'scenario' or 'experiment'", "scenario")
        if self.days is not None and self.warmup_days is not None and self.warmup_days >= self.days:
            raise FieldError(
                f"warmup_days ({self.warmup_days}) must be less than days ({self.days:g}): "
                "the outcomes would have no cases",
                "warmup_days",
            )
        if self.variant is not None and self.experiment is None:
            raise FieldError("'variant' needs an 'experiment'", "variant")
        keys = [lever.key for lever in self.levers]
        for i, key in enumerate(keys):
            if key in keys[:i]:
                raise FieldError(f"lever '{key}' appears twice", "levers", i, "key")
        outcomes = [o.outcome for o in self.objectives]
        for i, name in enumerate(outcomes):
            if name in outcomes[:i]:
                raise FieldError(f"objective '{name}' appears twice", "objectives", i, "outcome")
        by_key = {lever.key: lever for lever in self.levers}
        head = self.constraints.headcount
        if head is not None and head.fill is not None:
            lever = by_key.get(head.fill)
            if lever is None:
                raise FieldError(
                    f"'{head.fill}' is not one of the levers", "constraints", "headcount", "fill"
                )
            if lever.kind != "int":
                raise FieldError(
                    "the fill lever must be an integer range", "constraints", "headcount", "fill"
                )
            if len(self.levers) == 1:
                raise FieldError(
                    "the fill lever cannot be the only lever", "constraints", "headcount", "fill"
                )
        cost = self.constraints.cost
        if cost is not None:
            for key in cost.per_unit_yuan:
                if key not in by_key or by_key[key].kind == "categorical":
                    raise FieldError(
                        f"'{key}' is not a numeric lever",
                        "constraints",
                        "cost",
                        "per_unit_yuan",
                        key,
                    )
            for key, prices in cost.per_choice_yuan.items():
                lever = by_key.get(key)
                if lever is None or lever.choices is None:
                    raise FieldError(
                        f"'{key}' is not a categorical lever",
                        "constraints",
                        "cost",
                        "per_choice_yuan",
                        key,
                    )
                names = {str(c) for c in lever.choices}
                for choice in prices:
                    if choice not in names:
                        raise FieldError(
                            f"'{choice}' is not one of the choices {sorted(names)}",
                            "constraints",
                            "cost",
                            "per_choice_yuan",
                            key,
                            choice,
                        )
        for i, u in enumerate(self.uncertainties):
            if u.key in by_key:
                raise FieldError(
                    f"'{u.key}' is a lever and an uncertainty", "uncertainties", i, "key"
                )
        if self.sampling is not None and self.sampling.method not in ("grid", "lhs"):
            raise FieldError(
                "a study samples its uncertainties by grid or lhs", "sampling", "method"
            )
        self.design_experiment(Path("."))  # the experiment rules for uncertainties and sampling
        return self

    def design_experiment(self, scenario: Path) -> Experiment:
        """An experiment holding the study's uncertainties, to sample them as experiments do."""
        try:
            return Experiment.model_validate(
                {
                    "name": self.name,
                    "scenario": scenario,
                    "seed": self.seed,
                    "uncertainties": self.uncertainties,
                    "sampling": self.sampling or Sampling.model_validate({}),
                }
            )
        except ValidationError as exc:
            err = exc.errors()[0]
            cause = (err.get("ctx") or {}).get("error")
            path = tuple(cause.path) if isinstance(cause, FieldError) else ()
            raise FieldError(str(cause) if cause is not None else err["msg"], *path) from None

    @property
    def outcomes(self) -> list[str]:
        """Every outcome measured: the objectives, then the reported ones."""
        names = [o.outcome for o in self.objectives]
        return names + [o for o in self.report_outcomes if o not in names]


def _storage_problem(url: str) -> str:
    """Why ``url`` cannot name an Optuna storage ('' if it can), without connecting to it."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return (
            "not a database URL (e.g. sqlite:///path/optuna.db or "
            "postgresql+psycopg2://user@host/db)"
        )
    try:
        parsed.get_dialect().import_dbapi()
    except NoSuchModuleError:
        return f"unknown database '{parsed.drivername}' (e.g. sqlite, postgresql, mysql)"
    except ImportError as exc:
        return f"the database driver of '{parsed.drivername}' is not installed ({exc.name})"
    return ""
