"""Calibration of the Beijing (2024, 2019) and Haidian scenarios: ``govsim calibrate``.

Fits the unpublished parameters against published figures, verifies every target with a
95% CI over replications, reproduces three stylized facts and writes docs/calibration.md.
One job per module:

- :mod:`~govsim.calibration.targets`: the published figures, each with unit and source;
- :mod:`~govsim.calibration.files`: where the scenarios, fact experiments and fitted.json are;
- :mod:`~govsim.calibration.expected`: expected values from the arrival model;
- :mod:`~govsim.calibration.scaling`: population-scaled copies of a city;
- :mod:`~govsim.calibration.measure`: one run into a typed :class:`Measurement`; many runs
  on the experiment executors;
- :mod:`~govsim.calibration.runs`: the verification's runs and their seeds;
- :mod:`~govsim.calibration.fit`: the scenario fits (closed forms, scipy);
- :mod:`~govsim.calibration.facts`: the stylized facts as experiments, and their fits;
- :mod:`~govsim.calibration.verify`: each target as a :class:`Check`, with its role (input,
  fitted, predicted);
- :mod:`~govsim.calibration.predictions`: a prediction (a published figure no fit touched,
  stated before its run) and its verdict; :mod:`~govsim.calibration.predicted`: the list;
  :mod:`~govsim.calibration.predict_current`: those in the calibrated settings as they are;
- :mod:`~govsim.calibration.predict_years`: predictions in other years; Haidian against the city;
- :mod:`~govsim.calibration.scenario_yaml`: fitted values written in place (ruamel.yaml);
- :mod:`~govsim.calibration.figures`, :mod:`~govsim.calibration.report`: the report;
- :mod:`~govsim.calibration.sensitivity`: the conclusions' sensitivity to the assumed
  parameters (the stored Morris screening of :mod:`govsim.experiments.screening`);
- :mod:`~govsim.calibration.calibrate`: the whole run; :mod:`~govsim.app.calibration_commands`: the
  command.
"""

from govsim.calibration.calibrate import Options, Outcome, calibrate
from govsim.calibration.files import CalibrationFiles
from govsim.calibration.measure import Measurement, RateCounts

__all__ = ["CalibrationFiles", "Measurement", "Options", "Outcome", "RateCounts", "calibrate"]
