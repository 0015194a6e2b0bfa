"""The list of predictions ``govsim calibrate`` runs (see :mod:`~govsim.calibration.predictions`).

Each prediction is defined in the module of its setting and collected here, in the order the
report lists them. A prediction is added here before its first run and not changed after it.
"""

from __future__ import annotations

from govsim.calibration.predictions import Prediction


def all_predictions() -> tuple[Prediction, ...]:
    """Every prediction, in report order (imported lazily: settings import the simulator)."""
    from govsim.calibration import predict_years

    return (*predict_years.predictions(),)
