"""The verification's runs: which tasks, with which seeds (shared by the calibration and the
predictions that reuse or repeat them).

- Beijing 2024 and 2019: ``reps`` years of the scenario's scaled copy, replication seeds
  spawned from 2024 and 2019;
- Haidian: max(2, reps - 2) runs of 30 days at full scale (its start date, 4 March 2024),
  seeds spawned from 2013.
"""

from __future__ import annotations

from govsim.calibration.files import CalibrationFiles
from govsim.calibration.measure import CalibrationTask
from govsim.calibration.scaling import scale_factor, scaled_copy
from govsim.experiments.design import replication_seeds
from govsim.scenario.loader import load_scenario
from govsim.scenario.schema import Scenario

VERIFY_ROOTS = {"beijing": 2024, "beijing-2019": 2019}
HAIDIAN_ROOT = 2013


def verification_tasks(full: Scenario, name: str, reps: int) -> list[CalibrationTask]:
    """The verification's years of a Beijing scenario's scaled copy (seeds from its root)."""
    copy = scaled_copy(full)
    f = scale_factor(full, copy)
    return [
        CalibrationTask(f"{name} r{r}", copy, seed, f)
        for r, seed in enumerate(replication_seeds(VERIFY_ROOTS[name], reps))
    ]


def haidian_tasks(files: CalibrationFiles, reps: int) -> list[CalibrationTask]:
    """The verification's 30-day runs of Haidian at full scale (max(2, reps - 2) of them)."""
    haidian = load_scenario(files.scenario("haidian"), ["days=30"])
    return [
        CalibrationTask(f"haidian r{r}", haidian, seed, 1.0)
        for r, seed in enumerate(replication_seeds(HAIDIAN_ROOT, max(2, reps - 2)))
    ]
