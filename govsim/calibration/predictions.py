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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from govsim.calibration.targets import Figure
from govsim.core.intervals import Interval, mean_ci

if TYPE_CHECKING:
    from govsim.calibration.files import CalibrationFiles
    from govsim.experiments.executors import Executor

Role = Literal["input", "fitted", "predicted"]
ROLES: tuple[Role, ...] = ("input", "fitted", "predicted")


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
