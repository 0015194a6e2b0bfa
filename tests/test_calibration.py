"""Fast guard of the calibrated scenarios (beijing, beijing-2019, haidian).

The full calibration (a simulated year per replication, the stylized facts, the report) is
a script, ``experiments/calibration/calibrate.py``, which writes docs/calibration.md. This
test checks what can be checked cheaply, so that a change to a calibrated scenario or to
the model that breaks the calibration fails CI:

- exact figures: structure, Haidian's counts and sunk staff, the hotline's shift plan;
- expected values from the arrival model: annual volume (with the contacts per first
  contact measured in the short runs below), category mix, consultation share;
- short runs of the scaled copies (a few weeks): first contacts against the arrival model
  (Poisson z-test), and the three rates and the consultation share against their targets,
  passing when the target's tolerance band meets the run's 99% confidence interval.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "experiments" / "calibration"))
import calib

Z99 = 2.576
SHORT = {"beijing": ("2024-03-04", 21), "beijing-2019": ("2019-03-04", 35)}
"""Start and days of the short runs: 3 and 5 weeks from a Monday outside the heating season."""


@pytest.fixture(scope="module")
def short_runs() -> dict[str, dict]:
    runs = {}
    for name, (start, days) in SHORT.items():
        full = calib.load(name, [f"days={days}", f"start_date={start}"])
        copy = calib.scaled_copy(full)
        runs[name] = calib.run_task(
            calib.SimTask(name, copy, 20240101, calib.scale_factor(full, copy))
        )
        runs[name]["copy"] = copy
    return runs


def contacts_per_first(run: dict) -> dict[str, float]:
    return calib.inflation([run])


# -- exact figures ---------------------------------------------------------------------------
def test_beijing_structure_and_departments() -> None:
    scenario = calib.load("beijing")
    layout = calib.layout_of(scenario)
    assert len(layout.districts) == 16
    assert len(layout.streets) == 343
    assert {d.name for d in scenario.departments} == calib.CORE_DEPARTMENTS
    assert calib.load("beijing-2019").departments == scenario.departments


def test_hotline_shift_plan() -> None:
    hotline = calib.load("beijing").hotline
    plan = hotline.operators
    assert isinstance(plan, list) and len(plan) == 24
    assert 600 <= max(plan) <= 700  # 600-700 on duty at peak, on 750 seats
    assert calib.operator_headcount(plan) == pytest.approx(1700, rel=0.05)
    assert hotline.talk_time.mean == pytest.approx(0.1)  # about 6 minutes per ticket


def test_arrival_shapes_and_heating_season() -> None:
    for name in ("beijing", "beijing-2019"):
        arrivals = calib.load(name).arrivals
        intraday = np.array(arrivals.intraday)
        assert int(np.argmax(intraday[:12])) in (9, 10)  # peak 9-11 h
        assert 12 + int(np.argmax(intraday[12:])) in (14, 15)  # peak 14-16 h
        weekday = np.array(arrivals.weekday)
        assert weekday[:5].min() > weekday[5:].max()  # weekdays above weekends
        (season,) = [s for s in arrivals.seasons if s.name == "heating season"]
        assert (season.start, season.end) == ("11-15", "03-15")
        assert season.categories == ["heating"] and season.multiplier > 1


def test_haidian_structure_and_sunk_staff() -> None:
    scenario = calib.load("haidian")
    layout = calib.layout_of(scenario)
    h = calib.HAIDIAN
    kinds = [g.kind for g in layout.grids]
    assert sum(s.kind == "street" for s in layout.streets) == h["streets"]
    assert sum(s.kind == "township" for s in layout.streets) == h["townships"]
    assert len(layout.grids) == h["grids"]
    assert kinds.count("community") == h["communities"]
    assert kinds.count("community") + kinds.count("village") == h["community_village"]
    assert kinds.count("key_unit") == h["key_unit"] and kinds.count("road") == h["road"]
    assert layout.population == h["population"]
    sunk = scenario.staffing.grid_sunk
    assert (sunk.departments, sunk.street_offices, sunk.auxiliaries, sunk.community) == (
        h["sunk_departments"],
        h["sunk_street_offices"],
        h["sunk_auxiliaries"],
        h["sunk_community"],
    )
    assert sunk.headcount == h["sunk_total"]
    assert sum(
        g.staff for g in layout.grids
    ) == sunk.on_duty + scenario.staffing.grid_workers * len(layout.grids)


def test_generated_files_in_step() -> None:
    """The experiments' scaled scenario files are what the script would write now."""
    for name in ("beijing", "beijing-2019"):
        path = calib.scaled_file(name)
        assert path.read_text(encoding="utf-8") == calib.scaled_file_text(name), (
            f"{path} is stale: run python experiments/calibration/calibrate.py --fit-only"
        )


def test_fact_experiments_load() -> None:
    from govsim.experiments.design import build_design
    from govsim.experiments.experiment import load_experiment

    for path in sorted(calib.HERE.glob("fact_*.yaml")):
        design = build_design(load_experiment(path), path)
        assert len({t.variant for t in design.tasks}) == 2


# -- expected values from the arrival model -------------------------------------------------
@pytest.mark.parametrize("name", ["beijing", "beijing-2019"])
def test_expected_annual_volume(name: str, short_runs) -> None:
    scenario = calib.load(name)
    first = calib.expected_first_contacts(scenario)
    infl = contacts_per_first(short_runs[name])
    contacts = sum(first[c] * infl.get(c, 1.0) for c in first.index)
    assert contacts == pytest.approx(calib.VOLUME[name], rel=0.05)


@pytest.mark.parametrize("name", ["beijing", "beijing-2019"])
def test_expected_mix_and_consultations(name: str, short_runs) -> None:
    scenario = calib.load(name)
    infl = contacts_per_first(short_runs[name])
    mix = calib.expected_mix(scenario, infl)
    for group, share in calib.mix_targets(name).items():
        assert mix[group] == pytest.approx(share, rel=0.05), group
    assert calib.expected_consultation_share(scenario, infl) == pytest.approx(
        calib.CONSULTATION_TARGET[name], rel=0.05
    )


# -- short simulated runs ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["beijing", "beijing-2019"])
def test_arrivals_match_the_arrival_model(name: str, short_runs) -> None:
    run = short_runs[name]
    expected = calib.expected_first_contacts(run["copy"]).sum()
    seen = sum(r["first"] for r in run["by_category"].values())
    z = (seen - expected) / math.sqrt(expected)
    assert abs(z) < 4, f"first contacts {seen} vs expected {expected:.0f} (z = {z:.1f})"


def band_meets_ci(value: float, n: int, target: float, tolerance: float) -> bool:
    half = Z99 * math.sqrt(max(value * (1 - value), 1e-4) / n)
    return value - half <= target + tolerance and value + half >= target - tolerance


@pytest.mark.parametrize("name", ["beijing", "beijing-2019"])
def test_short_run_rates(name: str, short_runs) -> None:
    run = short_runs[name]
    work = run["work"]
    for rate, target in calib.RATES[name].items():
        value = calib.rate_of(run, rate)
        n = work["due"] if rate == "response" else work["valid"]
        assert n > 2000
        assert band_meets_ci(value, n, target, 0.02), (
            f"{rate}: {value:.4f} (n={n}) vs {target} ± 0.02"
        )


@pytest.mark.parametrize("name", ["beijing", "beijing-2019"])
def test_short_run_consultation_share(name: str, short_runs) -> None:
    run = short_runs[name]
    contacts = sum(r["contacts"] for r in run["by_category"].values())
    consult = sum(r["consultations"] for r in run["by_category"].values()) / contacts
    target = calib.CONSULTATION_TARGET[name]
    assert band_meets_ci(consult, contacts, target, 0.05 * target)
