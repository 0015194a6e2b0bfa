"""Fast guard of the calibrated scenarios (beijing, beijing-2019, haidian) and the calibration.

The full calibration (a simulated year per replication, the stylized facts, the report) is
``govsim calibrate``, which writes docs/calibration.md. This test checks what can be
checked cheaply, so that a change to a calibrated scenario or to the model that breaks the
calibration fails CI:

- exact figures: structure, Haidian's counts and sunk staff, the hotline's shift plan;
- expected values from the arrival model: annual volume (with the contacts per first
  contact measured in the short runs below), category mix, consultation share;
- short runs of the scaled copies (a few weeks): first contacts against the arrival model
  (Poisson z-test), and the three rates and the consultation share against their targets,
  passing when the target's tolerance band meets the run's 99% confidence interval;
- the calibration's own machinery: fitted values written in place (every other byte
  kept), the rates taken from govsim.core.rates, clean command-line errors.

Marked slow: a quick verification (2 scaled years per scenario) passes every target.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO_ROOT

import govsim.core.rates
from govsim.app.cli import main
from govsim.calibration import expected, targets
from govsim.calibration.calibrate import Options, calibrate, scaled_files
from govsim.calibration.files import CalibrationFiles
from govsim.calibration.fit import (
    expected_satisfaction,
    fit_pass,
    problem_inflation,
    scenario_edits,
    with_rates,
)
from govsim.calibration.measure import (
    CalibrationTask,
    Measurement,
    PilotSample,
    RateCounts,
    contacts_per_problem,
    inflation,
    measure_task,
)
from govsim.calibration.scaling import scale_factor, scaled_copy
from govsim.calibration.scenario_yaml import Number, edit_text, set_values
from govsim.core.errors import UserInputError
from govsim.experiments.executors.local import LocalExecutor
from govsim.network.city import build_city
from govsim.scenario.loader import load_scenario

FILES = CalibrationFiles(REPO_ROOT)
Z99 = 2.576
SHORT = {"beijing": ("2024-03-04", 21), "beijing-2019": ("2019-03-04", 35)}
"""Start and days of the short runs: 3 and 5 weeks from a Monday outside the heating season."""


def load(name: str, overrides: list[str] | None = None):
    return load_scenario(FILES.scenario(name), overrides or [])


@pytest.fixture(scope="module")
def short_runs() -> dict[str, Measurement]:
    runs = {}
    for name, (start, days) in SHORT.items():
        full = load(name, [f"days={days}", f"start_date={start}"])
        copy = scaled_copy(full)
        task = CalibrationTask(name, copy, 20240101, scale_factor(full, copy), pilot=True)
        runs[name] = measure_task(task)
    return runs


def contacts_per_first(run: Measurement, scenario) -> dict[str, float]:
    """Contacts per unit of rate x arrival model, as the fit reads them (with problems: at the
    measured contacts per problem)."""
    per_problem = contacts_per_problem([run])
    infl = inflation([run])
    return problem_inflation(scenario, infl, per_problem) if per_problem else infl


# -- exact figures ---------------------------------------------------------------------------
def test_beijing_structure_and_departments() -> None:
    scenario = load("beijing")
    layout = build_city(scenario)
    assert len(layout.districts) == targets.DISTRICTS.value
    assert len(layout.streets) == targets.STREETS.value
    assert {d.name for d in scenario.departments} == targets.CORE_DEPARTMENTS
    assert load("beijing-2019").departments == scenario.departments


def test_hotline_shift_plan() -> None:
    hotline = load("beijing").hotline
    plan = hotline.operators
    assert isinstance(plan, list) and len(plan) == 24
    low, high = targets.PEAK_RANGE
    assert low <= max(plan) <= high <= targets.SEATS.value  # 600-700 on duty at peak, 750 seats
    # 80-100 calls per operator per 8-hour shift: answered calls (85% of contacts) and one
    # callback per work order (41.5% of contacts), 65,000 contacts a day
    scenario = load("beijing")
    a_day = targets.VOLUME["beijing"].value / scenario.days
    calls = a_day * (
        scenario.arrivals.channels["hotline"] + 1 - targets.CONSULTATION_TARGET["beijing"].value
    )
    calls_low, calls_high = targets.CALLS_PER_SHIFT_RANGE
    assert calls_low <= calls * targets.SHIFT_HOURS / sum(plan) <= calls_high
    assert expected.operator_headcount(plan) <= targets.OPERATORS.value  # within the payroll
    assert hotline.talk_time.mean == pytest.approx(0.1)  # about 6 minutes per ticket


def test_calibrated_scenarios_carry_the_whole_model() -> None:
    """Issue 30: problems and coordination on, the Pinggu rule, no COVID at its 2020 share in
    2024."""
    for name in ("beijing", "beijing-2019", "haidian"):
        scenario = load(name)
        assert scenario.problems.enabled, name
        assert all(c.problem.appeals_per_problem for c in scenario.categories), name
        joint = {c.name: c.joint_departments for c in scenario.categories}
        assert joint["urban_construction"] == ["housing"], name
        assert joint["traffic"] == ["public_security"], name
        assert any(c.unclear_jurisdiction > 0 for c in scenario.categories), name
    whistle = load("beijing").whistle
    assert whistle.types is None and whistle.deadline_hours == 0.5  # 30 minutes for every whistle
    epidemic_2020 = targets.TOP_TEN_2020["epidemic"] / targets.CONTACTS_2020.value
    assert epidemic_2020 > 0.09
    for name in ("beijing", "haidian"):  # the 2024 scenarios
        scenario = load(name)
        mix = expected.expected_mix(scenario)
        assert mix.get("epidemic", 0.0) < 0.01, name
    assert "epidemic" not in targets.mix_targets("beijing")


def test_arrival_shapes_and_heating_season() -> None:
    for name in ("beijing", "beijing-2019"):
        arrivals = load(name).arrivals
        intraday = np.array(arrivals.intraday)
        assert int(np.argmax(intraday[:12])) in (9, 10)  # peak 9-11 h
        assert 12 + int(np.argmax(intraday[12:])) in (14, 15)  # peak 14-16 h
        weekday = np.array(arrivals.weekday)
        assert weekday[:5].min() > weekday[5:].max()  # weekdays above weekends
        (season,) = [s for s in arrivals.seasons if s.name == "heating season"]
        assert (season.start, season.end) == targets.HEATING_WINDOW
        assert season.categories == ["heating"] and season.multiplier > 1


def test_haidian_structure_and_sunk_staff() -> None:
    scenario = load("haidian")
    layout = build_city(scenario)
    h = {k: f.value for k, f in targets.HAIDIAN.items()}
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
    """The experiments' scaled scenario files are what govsim calibrate would write now."""
    for path, text in scaled_files(FILES).items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path} is stale: run govsim calibrate --fit-only"
        )


def test_fact_experiments_load() -> None:
    from govsim.experiments.design import build_design
    from govsim.experiments.experiment import load_experiment

    for key in ("a_ranking", "b_heating", "c_governance"):
        path = FILES.fact(key)
        design = build_design(load_experiment(path), path)
        assert len({t.variant for t in design.tasks}) == 2


# -- expected values from the arrival model -------------------------------------------------
@pytest.mark.parametrize("name", ["beijing", "beijing-2019"])
def test_expected_annual_volume(name: str, short_runs) -> None:
    first = expected.expected_first_contacts(load(name))
    infl = contacts_per_first(short_runs[name], load(name))
    contacts = sum(first[c] * infl.get(c, 1.0) for c in first.index)
    assert contacts == pytest.approx(targets.VOLUME[name].value, rel=0.05)


@pytest.mark.parametrize("name", ["beijing", "beijing-2019"])
def test_expected_mix_and_consultations(name: str, short_runs) -> None:
    scenario = load(name)
    infl = contacts_per_first(short_runs[name], scenario)
    mix = expected.expected_mix(scenario, infl)
    for group, share in targets.mix_targets(name).items():
        assert mix[group] == pytest.approx(share, rel=0.05), group
    assert expected.expected_consultation_share(scenario, infl) == pytest.approx(
        targets.CONSULTATION_TARGET[name].value, rel=0.05
    )


# -- short simulated runs ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["beijing", "beijing-2019"])
def test_arrivals_match_the_arrival_model(name: str, short_runs) -> None:
    """The residents' events (consultations and problems arising) against the arrival model:
    rate x E_c x (consultation share + (1 - it) / appeals per problem)."""
    full = load(name, [f"days={SHORT[name][1]}", f"start_date={SHORT[name][0]}"])
    assert full.problems.enabled
    first = expected.expected_first_contacts(scaled_copy(full))
    events = sum(
        first[c.name]
        * (c.consultation_share + (1 - c.consultation_share) / c.problem.appeals_per_problem)
        for c in full.categories
    )
    run = short_runs[name]
    seen = run.total("plain_first") + run.total("problems")
    z = (seen - events) / math.sqrt(events)
    assert abs(z) < 4, f"events {seen} vs expected {events:.0f} (z = {z:.1f})"


def band_meets_ci(value: float, n: int, target: float, tolerance: float) -> bool:
    half = Z99 * math.sqrt(max(value * (1 - value), 1e-4) / n)
    return value - half <= target + tolerance and value + half >= target - tolerance


@pytest.mark.parametrize("name", ["beijing", "beijing-2019"])
def test_short_run_rates(name: str, short_runs) -> None:
    work = short_runs[name].work_orders
    for rate, target in targets.RATES[name].items():
        value = work.rate(rate)
        n = work.due if rate == "response" else work.valid
        assert n > 2000
        assert band_meets_ci(value, n, target.value, 0.02), (
            f"{rate}: {value:.4f} (n={n}) vs {target.value} ± 0.02"
        )


@pytest.mark.parametrize("name", ["beijing", "beijing-2019"])
def test_short_run_consultation_share(name: str, short_runs) -> None:
    run = short_runs[name]
    target = targets.CONSULTATION_TARGET[name].value
    assert band_meets_ci(run.consultation_share, run.total("contacts"), target, 0.05 * target)


# -- the rates are govsim.core.rates' --------------------------------------------------------------
def test_rates_come_from_govsim_rates(short_runs, monkeypatch) -> None:
    """Measured and expected satisfaction follow the one definition of 'basically satisfied'
    (a second formula in the calibration would not move)."""
    counts: RateCounts = short_runs["beijing-2019"].work_orders
    pilot = PilotSample(
        tier=np.array(["grid", "street", "district"], dtype=object),
        lateness=np.array([0.0, 0.5, 1.0]),
        handoffs=np.array([0, 1, 2]),
    )
    spec = load("beijing").feedback.satisfaction
    resolution = np.array([0.7, 0.7, 0.6])

    def figures() -> tuple[float, float]:
        return (
            counts.rate("satisfaction"),
            expected_satisfaction(-0.5, 2.0, pilot, resolution, spec),
        )

    measured, expected_rate = figures()
    assert measured == pytest.approx((counts.satisfied + 0.9 * counts.basic) / counts.valid)
    monkeypatch.setattr(govsim.core.rates, "SATISFACTION_WEIGHT", (1.0, 0.5, 0.0))
    measured_half, expected_half = figures()
    assert measured_half == pytest.approx((counts.satisfied + 0.5 * counts.basic) / counts.valid)
    assert measured_half < measured and expected_half < expected_rate


# -- the fits ---------------------------------------------------------------------------------
def test_fits_hit_the_targets_on_expected_values(short_runs) -> None:
    """With the short runs as pilots, every closed form and scipy fit meets its target on the
    expected values it was fitted against (what --fit does, without the pilot years)."""
    fit = fit_pass(FILES, short_runs)
    for name in ("beijing", "beijing-2019"):
        f = fit.scenarios[name]
        assert f.expected["contacts"] == pytest.approx(targets.VOLUME[name].value, rel=1e-9)
        for group, share in targets.mix_targets(name).items():
            assert f.expected["mix"][group] == pytest.approx(share, rel=1e-6), group
        assert f.expected["resolution"] == pytest.approx(
            targets.RATES[name]["resolution"].value, abs=1e-9
        )
        shares = pd.Series(f.consultation_shares)
        scenario = with_rates(load(name), f.rates)
        first = expected.expected_first_contacts(scenario)
        contacts = first * pd.Series(f.inflation).reindex(first.index)
        assert (contacts * shares).sum() / contacts.sum() == pytest.approx(
            targets.CONSULTATION_TARGET[name].value, abs=1e-8
        )
    assert fit.satisfaction["max_residual"] < 1e-6
    plan = fit.operators.beijing
    assert max(plan) == pytest.approx(targets.PEAK_ON_DUTY.value, abs=1)
    calls_low, calls_high = targets.CALLS_PER_SHIFT_RANGE
    assert calls_low <= fit.operators.coefficients["calls_per_shift"] <= calls_high
    assert expected.operator_headcount(plan) <= targets.OPERATORS.value
    edits = scenario_edits(fit)
    assert set(edits) == {"beijing", "beijing-2019", "haidian"}
    for name, values in edits.items():  # every edit lands on a key of the file
        text = FILES.scenario(name).read_text(encoding="utf-8")
        edit_text(text, values, source=name)


# -- fitted values written in place ------------------------------------------------------------
def test_writer_changes_the_value_and_nothing_else(tmp_path) -> None:
    original = FILES.scenario("beijing").read_text(encoding="utf-8")
    path = tmp_path / "beijing.yaml"
    path.write_text(original, encoding="utf-8")
    # urban_construction's flow mapping continues on a second line; the operators list is
    # a flow sequence under a comment block; resolution_probability a flow mapping.
    changed = set_values(
        path,
        {
            ("categories", ("name", "urban_construction"), "rate"): Number.significant(0.123456, 4),
            ("hotline", "operators"): [1] * 24,
            ("feedback", "resolution_probability"): {"grid": 0.5},
        },
    )
    assert changed
    new = path.read_text(encoding="utf-8")
    lines = original.splitlines(keepends=True)
    edited = {
        i: line
        for i, line in enumerate(lines)
        if "{name: urban_construction" in line
        or line.startswith("  operators: [")
        or "resolution_probability:" in line
    }
    assert len(edited) == 3
    before = load("beijing")
    rate = {c.name: c.rate for c in before.categories}["urban_construction"]
    grid = before.feedback.resolution_probability["grid"]
    for i, line in edited.items():
        if "urban_construction" in line:
            lines[i] = line.replace(f"rate: {rate},", "rate: 0.1235,")
        elif "operators" in line:
            lines[i] = "  operators: [" + ", ".join(["1"] * 24) + "]\n"
        else:
            lines[i] = line.replace(f"grid: {grid},", "grid: 0.5,")
        assert lines[i] != line
    assert new == "".join(lines)  # the three values changed, every other byte as it was
    comments = [line for line in original.splitlines() if "#" in line]
    assert comments == [line for line in new.splitlines() if "#" in line]
    scenario = load_scenario(path)
    assert {c.name: c.rate for c in scenario.categories}["urban_construction"] == 0.1235
    assert scenario.hotline.operators == [1] * 24
    assert scenario.feedback.resolution_probability["grid"] == 0.5
    assert not set_values(path, {("hotline", "operators"): [1] * 24})  # already so: untouched


def test_writing_the_current_values_leaves_the_files_byte_identical() -> None:
    """The digits the fit writes are the files' own: a refit that finds the same values
    leaves every scenario file as it is."""
    for name in ("beijing", "beijing-2019"):
        text = FILES.scenario(name).read_text(encoding="utf-8")
        s = load(name)
        edits: dict = {("hotline", "operators"): list(s.hotline.operators)}
        for c in s.categories:
            item = ("categories", ("name", c.name))
            edits[(*item, "rate")] = Number.significant(c.rate, 4)
            edits[(*item, "consultation_share")] = Number.fixed(c.consultation_share, 4)
            apr = c.problem.appeals_per_problem
            assert apr is not None
            edits[(*item, "problem", "appeals_per_problem")] = Number.significant(apr, 4)
        edits[("feedback", "resolution_probability")] = dict(s.feedback.resolution_probability)
        edits[("problems", "fix_probability")] = dict(s.problems.fix_probability)
        assert edit_text(text, edits) == text


def test_writer_refuses_what_would_not_read_back() -> None:
    text = FILES.scenario("beijing").read_text(encoding="utf-8")
    with pytest.raises(UserInputError, match="no such key"):
        edit_text(text, {("categories", ("name", "no_such_category"), "rate"): 0.1})
    with pytest.raises(UserInputError, match="reads"):  # "1" is an int, not the float 1.0
        edit_text(text, {("feedback", "callback_reach"): Number(1.0, "1")})


# -- the command -----------------------------------------------------------------------------
def test_calibrate_errors_are_clean(tmp_path, capsys, monkeypatch) -> None:
    assert main(["calibrate", "--workers", "0"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err
    assert main(["calibrate", "--quick", "--reps", "1"]) == 2
    assert "--reps" in capsys.readouterr().err
    assert main(["calibrate", "--quick", "--out", str(tmp_path)]) == 2
    assert "not a folder" in capsys.readouterr().err
    monkeypatch.setattr(CalibrationFiles, "default", classmethod(lambda cls: cls(tmp_path)))
    assert main(["calibrate", "--quick"]) == 2
    err = capsys.readouterr().err
    assert "beijing.yaml" in err and "repository root" in err and "Traceback" not in err


# -- slow: the whole fit and a quick verification -------------------------------------------
def _copy_of_inputs(tmp_path: Path) -> CalibrationFiles:
    root = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "scenarios", root / "scenarios")
    shutil.copytree(FILES.data, root / "experiments" / "calibration")
    return CalibrationFiles(root)


@pytest.mark.slow
def test_quick_verification_passes_every_target(tmp_path) -> None:
    files = _copy_of_inputs(tmp_path)
    out = tmp_path / "report" / "calibration.md"
    outcome = calibrate(
        Options(quick=True, skip_facts=True, out=out, progress=False),
        LocalExecutor(workers=2),
        files,
        say=lambda _: None,
    )
    assert outcome.failed == [] and outcome.judged > 50
    text = out.read_text(encoding="utf-8")
    assert "Generated by `govsim calibrate --quick`" in text
    assert (out.parent / "calibration" / "calibration_overview.png").is_file()
