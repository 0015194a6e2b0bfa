"""Predictions: published figures that no fit touched, each stated before it is run.

A target of the calibration is one of three roles (the report's "role" column):

- **input**: the figure is written into the scenario (a count, a shape, a window);
- **fitted**: a parameter was solved so that the model gives the figure back;
- **predicted**: the figure was used in no fit, neither directly nor through a fitted
  parameter; the model's value is an out-of-sample statement.

A :class:`Prediction` names the published figure (value, unit, source), the tolerance and
the setting it is run in, and why no fit touched it. Its definition is committed before its
first run (the commit order shows it) and never tuned afterwards: a miss stays a miss, and
the report lists hits and misses alike. ``measure`` runs the setting and returns one value
per replication; :func:`judge` turns them into a 95% CI and a verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from govsim.calibration.targets import FACT_SOURCES, SOURCES, Figure, Source
from govsim.core.intervals import Interval, mean_ci

if TYPE_CHECKING:
    from govsim.calibration.files import CalibrationFiles
    from govsim.calibration.measure import Measurement
    from govsim.experiments.executors import Executor

Role = Literal["input", "fitted", "predicted"]
ROLES: tuple[Role, ...] = ("input", "fitted", "predicted")

PREDICTION_SOURCES = {
    s.key: s
    for s in (
        Source(
            "dispatch_2025",
            "CGTN 2026-04-12 (Beijing press): in 2025 about 25 million requests, 3.7 minutes "
            "on average from call to dispatch",
        ),
        Source(
            "months_2024",
            "Beijing press: January-June 2024 11.2 million contacts; January-September 17.64 "
            "million",
        ),
        Source(
            "rates_2021", "Beijing press; academic papers: 2021 resolution 89%, satisfaction 92%"
        ),
        Source(
            "rates_2019_21",
            "004: 2019 to 2021, over 30 million requests, resolution 85%, satisfaction 90%",
        ),
        Source(
            "epidemic_2020",
            "official 2020 report: 1.65 million epidemic-related cases, resolution 94.3%, "
            "satisfaction 94.1%",
        ),
        Source(
            "dispatch_2020",
            "Beijing News 2021-01-08: about 4.5 million orders dispatched to handling units in "
            "2020",
        ),
    )
}
"""The sources of predicted figures that no scenario target cites (the report lists them)."""


def source_of(key: str) -> Source:
    """The source a figure's key names (scenario targets, facts or predictions)."""
    for sources in (SOURCES, FACT_SOURCES, PREDICTION_SOURCES):
        if key in sources:
            return sources[key]
    raise KeyError(f"no source {key!r}")


@dataclass(frozen=True)
class Tolerance:
    """How far the simulated mean may lie from the published figure.

    ``points``: absolute, in the figure's unit (for a share, 0.03 is 3 percentage points);
    ``relative``: a share of the published value; ``range``: the mean lies in
    [``low``, ``high``] (a published range such as "3-5 days").
    """

    kind: Literal["points", "relative", "range"]
    value: float = 0.0
    low: float = 0.0
    high: float = 0.0

    def band(self, published: float) -> tuple[float, float]:
        """The interval of simulated means that count as a hit."""
        if self.kind == "points":
            return published - self.value, published + self.value
        if self.kind == "relative":
            spread = abs(published) * self.value
            return published - spread, published + spread
        return self.low, self.high

    def admits(self, published: float, simulated: float) -> bool:
        low, high = self.band(published)
        return low <= simulated <= high

    def text(self) -> str:
        if self.kind == "points":
            return f"±{self.value * 100:g} points" if self.value < 1 else f"±{self.value:g}"
        if self.kind == "relative":
            return f"±{self.value:.0%} relative"
        return f"in {self.low:g} - {self.high:g}"


@dataclass(frozen=True)
class PredictionContext:
    """What a prediction's ``measure`` may use: the files, the replications, the executor."""

    files: CalibrationFiles
    replications: int
    executor: Executor
    quick: bool = False
    progress: bool = True
    runs: Mapping[str, Sequence[Measurement]] = field(default_factory=dict)
    """Runs the calibration has made already, for a prediction to reuse rather than repeat:
    ``beijing``, ``beijing-2019``, ``haidian`` (the verification's), ``fact c`` (fact (c)'s
    experiment); absent ones (``--skip-facts``) are run by the prediction itself."""
    settings: dict[str, Any] = field(default_factory=dict)
    """Runs of the predictions' own settings, by setting: simulated once per invocation
    (per context) and shared by the predictions that read the same setting."""


@dataclass(frozen=True)
class Prediction:
    """A published figure the model predicts: stated, with its tolerance, before it is run."""

    key: str
    """Stable identifier (the figure's file name, the guard test's handle)."""
    target: str
    """What is predicted, in words (the report's first column)."""
    published: Figure
    tolerance: Tolerance
    setting: str
    """The run: scenario, horizon, replications, what differs from the fitted scenario."""
    untouched: str
    """Why no fit touched the figure (no parameter was solved against it or against a
    figure that determines it)."""
    measure: Callable[[PredictionContext], Sequence[float]]
    """Runs the setting; one simulated value per replication (in the figure's unit)."""
    fmt: str = "{:.3g}"
    miss_means: str = ""
    """What a miss would say about the model, written with the definition (before the run)."""


@dataclass(frozen=True)
class Verdict:
    """A prediction's result: the simulated values, their 95% CI and hit or miss."""

    prediction: Prediction
    values: tuple[float, ...]
    estimate: Interval
    hit: bool


def judge(prediction: Prediction, values: Sequence[float]) -> Verdict:
    """The verdict on ``values`` (one per replication): the mean inside the tolerance band."""
    estimate = mean_ci(list(values))
    hit = prediction.tolerance.admits(prediction.published.value, estimate.mean)
    return Verdict(prediction, tuple(float(v) for v in values), estimate, hit)
