"""The experiment YAML: a base scenario, variants (levers), uncertainties, replications.

The vocabulary is that of exploratory modelling: *variants* are the policies a
researcher compares (levers); *uncertainties* are the parameters whose value nobody
knows, swept over a grid or sampled over ranges; *outcomes* are the figures compared.
Every variant of replication r sees the same random numbers (common random numbers).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from govsim.core.bounds import (
    MAX_DAYS,
    MAX_GRID_VALUES,
    MAX_HOURS,
    MAX_REPLICATIONS,
    MAX_SAMPLES,
    MAX_SEED,
    MIN_INTERVAL_HOURS,
    NAME_PATTERN,
)
from govsim.core.parameters import FieldError, Strict
from govsim.experiments.outcomes import OUTCOMES, known_outcomes


class Variant(Strict):
    """One policy variant: dotted overrides and/or policies added to the base scenario."""

    set: dict[str, Any] = Field(
        default_factory=dict,
        description="Overrides by dotted key path, e.g. {hotline.operators: 6}.",
    )
    policies: list[dict[str, Any]] = Field(
        default_factory=list, description="Policies appended to the base scenario's list."
    )
    description: str = Field("", description="Free text.")


class Uncertainty(Strict):
    """An uncertain parameter: a fixed value, a list of values (grid), or a range (sampled)."""

    key: str = Field(
        ..., description="Dotted key path in the scenario, e.g. categories.housing.rate."
    )
    value: Any = Field(None, description="A fixed value.")
    values: list[Any] | None = Field(
        None, max_length=MAX_GRID_VALUES, description="Values of a grid sweep."
    )
    range: tuple[float, float] | None = Field(None, description="[low, high] to sample from.")
    integer: bool = Field(False, description="Round sampled values to whole numbers.")

    @model_validator(mode="after")
    def _one_kind(self) -> Uncertainty:
        given = [k for k in ("value", "values", "range") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'value', 'values' or 'range'")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise FieldError("range must be [low, high] with low < high", "range")
        if self.values is not None and not self.values:
            raise FieldError("values must not be empty", "values")
        if self.range is not None and not all(math.isfinite(x) for x in self.range):
            raise FieldError("range must be finite", "range")
        return self

    @property
    def grid_values(self) -> list[Any]:
        """The values of a grid sweep (``values``)."""
        if self.values is None:
            raise ValueError(f"{self.key}: not a grid uncertainty")
        return self.values

    @property
    def bounds(self) -> tuple[float, float]:
        """``[low, high]`` of a sampled range."""
        if self.range is None:
            raise ValueError(f"{self.key}: not a range uncertainty")
        return self.range

    @property
    def kind(self) -> str:
        return "fixed" if self.value is not None else "grid" if self.values is not None else "range"


class Sampling(Strict):
    """How the uncertainties' values are combined into samples (one set of runs each)."""

    method: Literal["grid", "lhs", "sobol", "morris"] = Field(
        "grid",
        description="grid: every combination of `values`; lhs: Latin hypercube over ranges; "
        "sobol / morris: SALib designs over ranges, with a sensitivity analysis.",
    )
    samples: int = Field(
        8,
        ge=1,
        le=MAX_SAMPLES,
        description="lhs: number of samples; sobol: base samples N (runs N(2D+2)); morris: "
        "trajectories.",
    )


class Experiment(Strict):
    """A complete experiment: what to run, how often, and what to measure."""

    name: str = Field(
        ...,
        pattern=NAME_PATTERN,
        max_length=100,
        description="Name; default output folder (letters, digits, '_', '-', '.'; not starting "
        "with '.' or '-').",
    )
    description: str = Field("", description="Free text.")
    scenario: Path = Field(..., description="Base scenario file (relative to the experiment file).")
    seed: int = Field(
        0, ge=0, le=MAX_SEED, description="Root seed; replication seeds are spawned from it."
    )
    replications: int = Field(
        5, ge=1, le=MAX_REPLICATIONS, description="Replications per variant and sample."
    )
    days: float | None = Field(
        None, gt=0, le=MAX_DAYS, description="Horizon (days); default the scenario's."
    )
    warmup_days: int = Field(
        0,
        ge=0,
        le=MAX_DAYS,
        description="Outcomes ignore cases created before this day (whole days); must be "
        "less than the horizon.",
    )
    baseline: str = Field(
        "baseline", description="The variant paired differences are taken against."
    )
    variants: dict[str, Variant] = Field(
        default_factory=lambda: {"baseline": Variant()}, description="Variants by name."
    )
    uncertainties: list[Uncertainty] = Field(
        default_factory=list, description="Uncertain parameters."
    )
    sampling: Sampling = Field(
        default_factory=Sampling, description="How uncertainties are combined."
    )
    outcomes: list[str] = Field(
        default_factory=lambda: list(OUTCOMES),
        min_length=1,
        description="Outcome names (the outcomes table below); default: every outcome.",
    )
    timeseries_interval_hours: float = Field(
        24.0,
        ge=MIN_INTERVAL_HOURS,
        le=MAX_HOURS,
        description="Sampling interval of the kept time series (hours).",
    )
    out: Path | None = Field(
        None,
        description="Output folder, relative to the experiment file; default results/<name>/ "
        "(relative to the working directory). `--out` overrides both.",
    )

    @field_validator("outcomes")
    @classmethod
    def _known_outcomes(cls, v: list[str]) -> list[str]:
        return known_outcomes(v)

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        if self.baseline not in self.variants:
            raise FieldError(
                f"'{self.baseline}' is not one of the variants {sorted(self.variants)}", "baseline"
            )
        for name in self.variants:
            if "__" in name or not name.replace("-", "").replace("_", "").isalnum():
                raise FieldError(
                    f"variant name '{name}' must be letters, digits, '-' or '_'", "variants", name
                )
        ranges = [u for u in self.uncertainties if u.kind == "range"]
        grids = [u for u in self.uncertainties if u.kind == "grid"]
        if self.sampling.method == "grid" and ranges:
            raise FieldError(
                "a grid design needs 'values', not 'range' (or use lhs/sobol/morris)", "sampling"
            )
        if self.sampling.method != "grid" and grids:
            raise FieldError(
                f"{self.sampling.method} samples ranges; give 'range', not 'values'", "sampling"
            )
        if self.sampling.method in ("sobol", "morris") and not ranges:
            raise FieldError("a sensitivity analysis needs at least one 'range'", "uncertainties")
        keys = [u.key for u in self.uncertainties]
        if len(set(keys)) != len(keys):
            raise FieldError("each uncertain key may appear once", "uncertainties")
        if self.days is not None and self.warmup_days >= self.days:
            raise FieldError(
                f"warmup_days ({self.warmup_days}) must be less than days ({self.days:g}): "
                "the outcomes would have no cases",
                "warmup_days",
            )
        return self
