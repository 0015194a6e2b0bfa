"""The list of predictions ``govsim calibrate`` runs (see :mod:`~govsim.calibration.predictions`).

Each prediction is defined in the module of its setting and collected here, in the order the
report lists them. A prediction is added here before its first run and not changed after it.
The out-of-sample runs (another year, another scale) are listed apart: their figure is one a
calibrated scenario is fitted to, so they cannot count among the predictions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govsim.calibration.predictions import Prediction

if TYPE_CHECKING:
    from govsim.calibration.predict_years import ScaleRow
    from govsim.calibration.predictions import PredictionContext


def all_predictions() -> tuple[Prediction, ...]:
    """Every prediction, in report order (imported lazily: settings import the simulator)."""
    from govsim.calibration import predict_current, predict_years

    return (*predict_current.PREDICTIONS, *predict_years.predictions())


def out_of_sample_runs() -> tuple[Prediction, ...]:
    """The out-of-sample runs with a published figure (another year's fit), in report order."""
    from govsim.calibration import predict_years

    return predict_years.out_of_sample()


def scale_comparison(context: PredictionContext) -> list[ScaleRow]:
    """Another scale: Haidian at full scale against the city's scaled copy, same days."""
    from govsim.calibration import predict_years

    return predict_years.scale_comparison(context)
