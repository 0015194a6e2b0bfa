"""The calibration from start to end: fit (optional), verify, the stylized facts, the report.

Run layout and seeds (fixed, so the report repeats exactly on any backend):

- verification: ``reps`` years of each Beijing scenario's scaled copy (replication seeds
  spawned from 2024 and 2019), Haidian at full scale for 30 days from 4 March 2024 (seeds
  from 2013, max(2, reps - 2) runs);
- full mode also: one full-scale year of each ``full_scale_years`` scenario (seed from 77)
  and the scale check, Beijing 2024 for 14 days at full scale against ``reps`` copies
  (seeds from 4242);
- facts: the experiment files' own root seeds (fact (c) with twice the replications:
  one street per run).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from govsim.calibration import facts as fact_runs
from govsim.calibration import figures
from govsim.calibration.expected import population_of, shift_plan
from govsim.calibration.files import FITTED_SCENARIOS, CalibrationFiles, write_text
from govsim.calibration.fit import fit_scenarios, read_fitted
from govsim.calibration.measure import CalibrationTask, Measurement, run_tasks
from govsim.calibration.report import Facts, ReportInputs, write_report
from govsim.calibration.scaling import SCALED_STREETS, scale_factor, scaled_copy, scaled_file_text
from govsim.calibration.verify import (
    ScaleCheck,
    verify_beijing,
    verify_full_scale,
    verify_haidian,
)
from govsim.errors import UserInputError
from govsim.experiments.design import replication_seeds
from govsim.experiments.executors import Executor
from govsim.scenario.loader import load_scenario

VERIFY_ROOTS = {"beijing": 2024, "beijing-2019": 2019}
HAIDIAN_ROOT, FULL_YEAR_ROOT, SCALE_CHECK_ROOT = 2013, 77, 4242
SCALE_CHECK_DAYS = 14


@dataclass(frozen=True)
class Options:
    """What ``govsim calibrate`` does (its flags)."""

    quick: bool = False
    """2 replications, no full-scale runs, writes results/calibration-quick/ by default."""
    fit: bool = False
    fit_facts: bool = False
    fit_only: bool = False
    reps: int | None = None
    """Replications per scenario (default 5, quick 2)."""
    out: Path | None = None
    """The report (Markdown); its figures go to ``calibration/`` beside it."""
    skip_facts: bool = False
    full_scale_years: tuple[str, ...] = ("beijing-2019",)
    progress: bool = True

    @property
    def mode(self) -> str:
        return "quick" if self.quick else "full"

    @property
    def replications(self) -> int:
        return self.reps or (2 if self.quick else 5)

    @property
    def fact_replications(self) -> int:
        return 2 if self.quick else 4

    def report_path(self, files: CalibrationFiles) -> Path:
        if self.out is not None:
            return self.out
        default = (
            "results/calibration-quick/calibration.md" if self.quick else "docs/calibration.md"
        )
        return files.root / default


@dataclass
class Outcome:
    """What a calibration did: the report written (None with ``fit_only``) and its verdicts."""

    report: Path | None
    judged: int = 0
    failed: list[str] = field(default_factory=list)
    wall: float = 0.0


def check_options(options: Options, files: CalibrationFiles) -> None:
    """Refuse bad options before anything runs."""
    if options.reps is not None and options.reps < 2:
        raise UserInputError("--reps must be at least 2 (a CI needs two replications)")
    unknown = [n for n in options.full_scale_years if n not in FITTED_SCENARIOS]
    if unknown:
        raise UserInputError(f"--full-scale-years: unknown scenarios {unknown}")
    files.check()
    if options.fit_only:
        return
    out = options.report_path(files)
    if out.is_dir():
        raise UserInputError("--out must be a Markdown file, not a folder", source=str(out))
    try:  # fail now, not after the runs, if the report cannot be written
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserInputError(
            f"cannot create the report's folder ({exc.strerror or exc})", source=str(out.parent)
        ) from None
    if not os.access(out.parent, os.W_OK):
        raise UserInputError("the report's folder is not writable", source=str(out.parent))


def scaled_files(files: CalibrationFiles) -> dict[Path, str]:
    """The experiments' scaled scenario files as the scenarios make them now."""
    out = {}
    for name in FITTED_SCENARIOS:
        base = Path("../../../scenarios") / files.scenario(name).name
        scenario = load_scenario(files.scenario(name))
        out[files.scaled(name, SCALED_STREETS)] = scaled_file_text(scenario, base)
    return out


def write_scaled_files(files: CalibrationFiles) -> None:
    """Keep the experiments' scaled scenario files in step with the scenarios."""
    files.scaled_dir.mkdir(parents=True, exist_ok=True)
    for target, text in scaled_files(files).items():
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            write_text(target, text)


def calibrate(
    options: Options,
    executor: Executor,
    files: CalibrationFiles | None = None,
    say: Callable[[str], None] = print,
) -> Outcome:
    """Run the calibration as ``options`` say; write the report unless ``fit_only``."""
    files = files or CalibrationFiles.default()
    check_options(options, files)
    started = time.perf_counter()
    progress = options.progress
    if options.fit:
        fit_scenarios(files, executor, say, progress)
    write_scaled_files(files)
    if options.fit_facts:
        fact_runs.fit_facts(files, executor, say, progress)
    if options.fit_only:
        return Outcome(None, wall=time.perf_counter() - started)

    out = options.report_path(files)
    figdir = out.parent / "calibration"
    reps = options.replications
    runs: dict[str, list[Measurement]] = {}
    full = {name: load_scenario(files.scenario(name)) for name in FITTED_SCENARIOS}
    for name, root in VERIFY_ROOTS.items():
        t0 = time.perf_counter()
        copy = scaled_copy(full[name])
        f = scale_factor(full[name], copy)
        tasks = [
            CalibrationTask(f"{name} r{r}", copy, seed, f)
            for r, seed in enumerate(replication_seeds(root, reps))
        ]
        runs[name] = run_tasks(tasks, executor, f"verify {name}", progress)
        say(f"[verify] {name}: {reps} scaled years in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    haidian = load_scenario(files.scenario("haidian"), ["days=30"])
    tasks = [
        CalibrationTask(f"haidian r{r}", haidian, seed, 1.0)
        for r, seed in enumerate(replication_seeds(HAIDIAN_ROOT, max(2, reps - 2)))
    ]
    runs["haidian"] = run_tasks(tasks, executor, "verify haidian", progress)
    say(
        f"[verify] haidian: {len(runs['haidian'])} runs of 30 days in "
        f"{time.perf_counter() - t0:.0f} s"
    )
    checks = (
        verify_beijing("beijing", full["beijing"], runs["beijing"])
        + verify_beijing("beijing-2019", full["beijing-2019"], runs["beijing-2019"])
        + verify_haidian(load_scenario(files.scenario("haidian")), runs["haidian"])
    )
    speed = sum(r.created for r in runs["beijing"]) / sum(r.sim_wall for r in runs["beijing"])
    overview = figures.overview(
        runs, shift_plan(full["beijing"]), figdir / "calibration_overview.png"
    )
    scale_check = None
    if not options.quick:
        full_years = []
        for name in options.full_scale_years:
            t0 = time.perf_counter()
            (seed,) = replication_seeds(FULL_YEAR_ROOT, 1)
            task = CalibrationTask(f"{name} full scale", full[name], seed, 1.0)
            (run,) = run_tasks([task], executor, f"verify {name} at full scale", progress)
            checks += verify_full_scale(name, run)
            full_years.append(run)
            say(f"[verify] {name}: one full-scale year in {time.perf_counter() - t0:.0f} s")
        t0 = time.perf_counter()
        scale_check = run_scale_check(files, executor, reps, progress)
        say(f"[verify] scale check in {time.perf_counter() - t0:.0f} s")
        full_runs = [scale_check.full, *full_years]
        speed = sum(r.created for r in full_runs) / sum(r.sim_wall for r in full_runs)
    facts = None
    if not options.skip_facts:
        t0 = time.perf_counter()
        facts = run_facts(files, executor, options.fact_replications, figdir, progress)
        say(f"[facts] in {time.perf_counter() - t0:.0f} s")
    wall = time.perf_counter() - started
    fitted = read_fitted(files)
    inputs = ReportInputs(
        mode=options.mode,
        checks=checks,
        reps=reps,
        scale=runs["beijing"][0].scale,
        speed=speed,
        overview=overview,
        scale_check=scale_check,
        facts=facts,
        fit_records=fitted.get("records", []) + fitted.get("fact_records", []),
        wall=wall,
    )
    write_report(inputs, files, out)
    judged = [c for c in checks if c.passed is not None]
    failed = [f"{c.scenario}: {c.target}" for c in judged if not c.passed]
    return Outcome(out, len(judged), failed, wall)


def run_scale_check(
    files: CalibrationFiles, executor: Executor, reps: int, progress: bool = True
) -> ScaleCheck:
    """Full-scale Beijing 2024 on a short horizon against the scaled copy on the same horizon."""
    full = load_scenario(
        files.scenario("beijing"), [f"days={SCALE_CHECK_DAYS}", "start_date=2024-03-04"]
    )
    copy = scaled_copy(full)
    f = scale_factor(full, copy)
    seeds = replication_seeds(SCALE_CHECK_ROOT, reps)
    tasks = [CalibrationTask("scale check: full city", full, seeds[0], 1.0)] + [
        CalibrationTask(f"scale check: copy r{r}", copy, s, f) for r, s in enumerate(seeds)
    ]
    measured = run_tasks(tasks, executor, "scale check", progress)
    return ScaleCheck(measured[0], measured[1:], SCALE_CHECK_DAYS, f, population_of(full))


def run_facts(
    files: CalibrationFiles, executor: Executor, reps: int, figdir: Path, progress: bool = True
) -> Facts:
    """The three fact experiments (in one batch of runs), their analyses and figures."""
    tasks = {
        "a": fact_runs.fact_tasks(files, "a_ranking", reps),
        "b": fact_runs.fact_tasks(files, "b_heating", reps),
        "c": fact_runs.fact_tasks(files, "c_governance", 2 * reps),  # one street per run
    }
    every = [t for batch in tasks.values() for t in batch]
    measured = run_tasks(every, executor, "facts", progress)
    by_id = {m.run_id: m for m in measured}
    runs = {k: [by_id[t.run_id] for t in batch] for k, batch in tasks.items()}
    ranking = fact_runs.ranking_fact(runs["a"])
    heating = fact_runs.heating_fact(files, runs["b"])
    governance = fact_runs.governance_fact(runs["c"])
    return Facts(
        ranking,
        heating,
        governance,
        {
            "a": figures.ranking(ranking, figdir / "fact_a_ranking.png"),
            "b": figures.heating(heating, figdir / "fact_b_heating.png"),
            "c": figures.governance(governance, figdir / "fact_c_governance.png"),
        },
    )
