"""Issue 25, files destroyed or mixed: no command overwrites or deletes a file it did not write.

Every output path is resolved once (``..`` applied, symlinks followed:
:func:`govsim.core.io.resolve_out`) and checked as the place it really names; single output
files follow one rule (:func:`govsim.core.io.check_output_file`); a run folder's tables are
checked before they are read.
The commands run in-process through :func:`govsim.app.cli.main`, the entry point of
``python -m govsim``; the Ctrl-C test starts the real command line.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT, small_scenario_dict

from govsim.app.cli import main
from govsim.core import errors as govsim_errors

EXIT_INPUT = 2
SAMPLE = REPO_ROOT / "experiments" / "data" / "sample-city.yaml"
SAMPLE_LOG = REPO_ROOT / "experiments" / "data" / "sample-log.parquet"
calibrate_module = importlib.import_module("govsim.calibration.calibrate")  # not the function


def digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder``, followed through links (relative name -> content digest)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def cli(capsys, *args: str) -> tuple[int, str]:
    rc = main([str(a) for a in args])
    return rc, capsys.readouterr().err


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """A small scenario, a run of it, an experiment and a study of it, and a case log."""
    root = tmp_path_factory.mktemp("inputs")
    scenario = root / "small.yaml"
    scenario.write_text(yaml.safe_dump(small_scenario_dict()), encoding="utf-8")
    experiment = root / "exp.yaml"
    experiment.write_text(
        f"name: exp\nscenario: {scenario}\nreplications: 2\noutcomes: [created]\n",
        encoding="utf-8",
    )
    study = root / "study.yaml"
    spec = {
        "name": "study",
        "scenario": str(scenario),
        "levers": [{"key": "staffing.grid_workers", "range": [1, 3], "integer": True}],
        "objectives": [{"outcome": "time_to_close_mean", "direction": "minimise"}],
        "replications": {"initial": 2, "step": 1, "max": 2, "final": 2},
        "search": {"trials": 2, "batch": 2},
    }
    study.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    run = root / "run"
    assert main(["run", str(scenario), "--out", str(run), "--quiet"]) == 0
    return {"scenario": scenario, "experiment": experiment, "study": study, "run": run}


# -- every writing command against a folder holding a foreign file ---------------------------

COMMANDS = {
    # name: (arguments, with {P} for the folder holding the foreign file; the foreign file)
    "run": (["run", "{scenario}", "--out", "{P}", "--force", "--quiet"], "notes.txt"),
    "experiment_run": (
        ["experiment", "run", "{experiment}", "--out", "{P}", "--force", "--workers", "1"],
        "notes.txt",
    ),
    "optimize": (["optimize", "{study}", "--out", "{P}", "--workers", "1", "--quiet"], "notes.txt"),
    # figures/ is a name govsim writes in a results folder, but not the user's image in it
    "run_figures": (["run", "{scenario}", "--out", "{P}", "--force", "--quiet"], "figures/me.png"),
    "experiment_run_figures": (
        ["experiment", "run", "{experiment}", "--out", "{P}", "--force", "--workers", "1"],
        "figures/me.png",
    ),
    "optimize_figures": (
        ["optimize", "{study}", "--out", "{P}", "--workers", "1", "--quiet"],
        "figures/me.png",
    ),
    "export_log": (["export-log", "{run}", "--out", "{P}/mine.csv"], "mine.csv"),
    "fit": (
        [
            "fit",
            "--calibrate",
            "0",
            str(SAMPLE_LOG),
            "--base",
            str(SAMPLE),
            "--out",
            "{P}/mine.yaml",
        ],
        "mine.yaml",
    ),
    "fit_report": (
        [
            "fit",
            "--calibrate",
            "0",
            str(SAMPLE_LOG),
            "--base",
            str(SAMPLE),
            "--out",
            "{P}/mine.yaml",
        ],
        "mine.fit.md",
    ),
    "fit_figures": (  # --force replaces the fit's figures, not the user's image beside them
        [
            "fit",
            "--calibrate",
            "0",
            str(SAMPLE_LOG),
            "--base",
            str(SAMPLE),
            "--out",
            "{P}/mine.yaml",
            "--force",
        ],
        "mine.fit/holiday.png",
    ),
    "report": (["report", "{run}", "--out", "{P}/mine.html", "--quiet"], "mine.html"),
    "network": (["network", "{scenario}", "--graphml", "{P}/mine.graphml"], "mine.graphml"),
    "docs_out": (["docs", "--out", "{P}/mine.md"], "mine.md"),
    "docs_dir": (["docs", "--dir", "{P}"], "cli.md"),
    "calibrate": (["calibrate", "--quick", "--out", "{P}/mine.md"], "mine.md"),
    "calibrate_figures": (  # the report's fixed-name figures go to calibration/ beside it
        ["calibrate", "--quick", "--out", "{P}/mine.md"],
        "calibration/calibration_overview.png",
    ),
}
WAYS = {
    "as_written": "precious",
    "through_dotdot": "nonexist/../precious",  # `nonexist` is missing: not resolvable as written
    "through_symlink": "link",  # a link to precious
}


def _calibration_started(*args: object) -> None:
    """The calibration's first work (15 min in quick mode): a refusal must come before it."""
    raise AssertionError("the calibration started: a refusal must come before the work")


@pytest.mark.parametrize("way", list(WAYS))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_no_writing_command_touches_a_foreign_file(
    command: str, way: str, inputs, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(calibrate_module, "write_scaled_files", _calibration_started)
    template, foreign = COMMANDS[command]
    precious = tmp_path / "precious"
    (precious / foreign).parent.mkdir(parents=True)
    (precious / foreign).write_text("the user's own file\n", encoding="utf-8")
    (tmp_path / "link").symlink_to(precious, target_is_directory=True)
    before = digest(precious)
    names = {k: str(v) for k, v in inputs.items()} | {"P": WAYS[way]}
    rc, err = cli(capsys, *(part.format(**names) for part in template))
    assert rc == EXIT_INPUT, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert any(why in err for why in ("govsim did not write", "holds no study")), err
    assert "precious" in err or "link" in err  # the folder is named
    assert digest(precious) == before
    assert sorted(p.name for p in precious.iterdir()) == [Path(foreign).parts[0]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "precious"]  # no `nonexist`


def test_a_symlink_as_the_output_file_is_checked_where_it_points(inputs, tmp_path, capsys) -> None:
    mine = tmp_path / "mine.csv"
    mine.write_text("the user's own log\n", encoding="utf-8")
    link = tmp_path / "log.csv"
    link.symlink_to(mine)
    rc, err = cli(capsys, "export-log", inputs["run"], "--out", link)
    assert rc == EXIT_INPUT and f"(= {mine})" in err and "--force" in err, err
    assert mine.read_text(encoding="utf-8") == "the user's own log\n" and link.is_symlink()


def test_plot_refuses_a_figures_folder_that_links_elsewhere(inputs, tmp_path, capsys) -> None:
    run = tmp_path / "run"
    run.mkdir()
    for entry in inputs["run"].iterdir():
        (run / entry.name).symlink_to(entry)
    elsewhere = tmp_path / "pictures"
    elsewhere.mkdir()
    (elsewhere / "holiday.png").write_bytes(b"\x89PNG the user's own picture")
    (run / "figures").symlink_to(elsewhere, target_is_directory=True)
    before = digest(elsewhere)
    rc, err = cli(capsys, "plot", run, "--quiet")
    assert rc == EXIT_INPUT and "link to a folder elsewhere" in err, err
    assert digest(elsewhere) == before


# -- figures/: govsim's figures replaced as a set, the user's files there kept -------------------

HOLIDAY = b"\x89PNG the user's own picture"


@pytest.fixture(scope="module")
def sampled(inputs, tmp_path_factory) -> Path:
    """An experiment over sampled grid staff (what `govsim discover` reads), kept small."""
    root = tmp_path_factory.mktemp("sampled")
    spec = {
        "name": "sampled",
        "scenario": str(REPO_ROOT / "scenarios" / "validation" / "tiers.yaml"),
        "seed": 5,
        "replications": 2,
        "days": 2,
        "uncertainties": [{"key": "staffing.grid_workers", "range": [4, 9], "integer": True}],
        "sampling": {"method": "lhs", "samples": 10},
        "outcomes": ["time_to_close_mean"],
    }
    (root / "sampled.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    assert main(["experiment", "run", str(root / "sampled.yaml"), "--out", str(root / "out")]) == 0
    return root / "out"


def copy_of(folder: Path, to: Path) -> Path:
    to.mkdir()
    for entry in folder.iterdir():
        if entry.is_file():
            (to / entry.name).write_bytes(entry.read_bytes())
        else:
            (to / entry.name).symlink_to(entry, target_is_directory=True)  # runs/, replay/
    return to


FIGURE_COMMANDS = {
    "plot": ["plot", "{R}", "--quiet"],
    "report": ["report", "{R}", "--quiet"],
    "discover": ["discover", "{R}", "--outcome", "time_to_close_mean", "--above", "3", "--quiet"],
}
RESULTS_WAYS = {"as_written": "res", "through_dotdot": "res/figures/..", "through_symlink": "link"}


SLOW = pytest.mark.slow  # about 4 s each: the figures of a run drawn again
FIGURE_CASES = [
    pytest.param("plot", "as_written"),
    pytest.param("plot", "through_dotdot", marks=SLOW),
    pytest.param("plot", "through_symlink", marks=SLOW),
    pytest.param("report", "as_written", marks=SLOW),  # the same figures/ as plot
    *(pytest.param("discover", way) for way in RESULTS_WAYS),
]


@pytest.mark.slow
@pytest.mark.parametrize(("command", "way"), FIGURE_CASES)
def test_figure_commands_keep_the_users_files_in_figures(
    command: str, way: str, inputs, sampled, tmp_path: Path, monkeypatch, capsys
) -> None:
    """A user's image, note and folder in `figures/` stay (the very files: same inodes); an
    earlier plot's figure that this one does not draw does not (no folder mixes two plots)."""
    monkeypatch.chdir(tmp_path)
    res = copy_of(sampled if command == "discover" else inputs["run"], tmp_path / "res")
    (tmp_path / "link").symlink_to(res, target_is_directory=True)
    figures = res / "figures"
    (figures / "mine").mkdir(parents=True)
    (figures / "holiday.png").write_bytes(HOLIDAY)
    (figures / "notes.txt").write_text("the user's own\n", encoding="utf-8")
    (figures / "mine" / "sketch.svg").write_text("<svg/>", encoding="utf-8")
    (figures / "sweep_old.png").write_bytes(b"an earlier plot's figure")
    (tmp_path / "album").mkdir()
    (figures / "album").symlink_to(tmp_path / "album", target_is_directory=True)  # stays a link
    inodes = {
        p: os.stat(figures / p).st_ino for p in ("holiday.png", "notes.txt", "mine/sketch.svg")
    }
    before = digest(figures)
    command_line = [part.format(R=RESULTS_WAYS[way]) for part in FIGURE_COMMANDS[command]]
    rc, err = cli(capsys, *command_line)
    assert rc == 0, err
    after = digest(figures)
    for name, inode in inodes.items():
        assert after[name] == before[name] and os.stat(figures / name).st_ino == inode, name
    assert (figures / "album").is_symlink() and os.listdir(tmp_path / "album") == []
    drawn = "discovery.png" if command == "discover" else "backlog.png"
    assert drawn in after and not any(p.name.endswith(".tmp") for p in figures.iterdir())
    if command != "discover":  # plot and report replace govsim's figures as a set
        assert "sweep_old.png" not in after


@pytest.mark.parametrize("command", ["plot", "discover"])
def test_figure_commands_refuse_a_figures_folder_that_links_elsewhere(
    command: str, inputs, sampled, tmp_path: Path, capsys
) -> None:
    res = copy_of(sampled if command == "discover" else inputs["run"], tmp_path / "res")
    elsewhere = tmp_path / "pictures"
    elsewhere.mkdir()
    (elsewhere / "holiday.png").write_bytes(HOLIDAY)
    (res / "figures").symlink_to(elsewhere, target_is_directory=True)
    before, held = digest(elsewhere), sorted(os.listdir(res))
    rc, err = cli(capsys, *[part.format(R=res) for part in FIGURE_COMMANDS[command]])
    assert rc == EXIT_INPUT and "link to a folder elsewhere" in err and "Traceback" not in err, err
    assert str(res / "figures") in err
    assert digest(elsewhere) == before and sorted(os.listdir(res)) == held  # nothing written


def test_discover_writes_its_figure_atomically(sampled, tmp_path: Path, monkeypatch, capsys):
    """A figure that fails while written leaves the earlier one whole, and no partial file."""
    from matplotlib.figure import Figure

    res = copy_of(sampled, tmp_path / "res")
    (res / "figures").mkdir()
    (res / "figures" / "discovery.png").write_bytes(b"the earlier discovery figure")
    before = digest(res / "figures")

    def failing(self, fname, *args, **kwargs) -> None:
        Path(fname).write_bytes(b"half a fig")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", failing)
    with pytest.raises(OSError, match="No space left"):
        main(["discover", str(res), "--outcome", "time_to_close_mean", "--above", "3", "--quiet"])
    assert digest(res / "figures") == before and os.listdir(res / "figures") == ["discovery.png"]


@pytest.mark.slow  # about 7 s: two fits with their figures
def test_fit_replaces_its_own_figures_with_force(tmp_path: Path, capsys) -> None:
    """Every figure a fit writes is named as its own (else a refit would be refused)."""
    from govsim.fitting import FIGURE_NAMES

    out = tmp_path / "fitted.yaml"
    for extra in ([], ["--force"]):
        rc, err = cli(
            capsys, "fit", "--calibrate", "0", SAMPLE_LOG, "--base", SAMPLE, "--out", out, *extra
        )
        assert rc == 0, err
    names = os.listdir(tmp_path / "fitted.fit")
    assert names and all(FIGURE_NAMES.fullmatch(name) for name in names), names


def test_calibrate_replaces_only_the_figures_of_its_own_report(tmp_path: Path) -> None:
    """Beside a report govsim calibrate wrote, its figures are its own: the check lets it run."""
    from govsim.calibration.files import CalibrationFiles

    out = tmp_path / "mine.md"
    (tmp_path / "calibration").mkdir()
    (tmp_path / "calibration" / "calibration_overview.png").write_bytes(b"an earlier figure")
    options = calibrate_module.Options(quick=True, out=out)
    files = CalibrationFiles.default()
    with pytest.raises(govsim_errors.UserInputError, match="govsim did not write"):
        calibrate_module.check_options(options, files)  # no report: not known to be govsim's
    out.write_text(f"# Calibration\n\n{calibrate_module.REPORT_MARK}`: ...\n", encoding="utf-8")
    calibrate_module.check_options(options, files)  # the report's own figure: may be replaced
    (tmp_path / "calibration" / "fact_a_ranking.png").mkdir()
    with pytest.raises(govsim_errors.UserInputError, match="folder"):
        calibrate_module.check_options(options, files)


# -- F1: `--out missing/../precious` replaced the real folder -----------------------------------


def test_f1_run_out_through_a_missing_folder_and_dotdot(inputs, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "thesis.docx").write_text("years of work", encoding="utf-8")
    rc, err = cli(capsys, "run", inputs["scenario"], "--out", "nonexist/../precious", "--quiet")
    assert rc == EXIT_INPUT and "nonexist/../precious" in err and "thesis.docx" in err, err
    assert [p.name for p in (tmp_path / "precious").iterdir()] == ["thesis.docx"]
    assert not (tmp_path / "nonexist").exists()
    # A new folder through `..` is made where it resolves, and no stray `nonexist/` is left.
    rc, err = cli(capsys, "run", inputs["scenario"], "--out", "nonexist/../fresh", "--quiet")
    assert rc == 0, err
    assert (tmp_path / "fresh" / "summary.json").is_file() and not (tmp_path / "nonexist").exists()


def test_f1_experiment_out_through_dotdot_keeps_a_finished_study(inputs, tmp_path, capsys):
    study = tmp_path / "FINISHED_STUDY"
    study.mkdir()
    for name in ("study.yaml", "optuna.db", "trials.parquet"):
        (study / name).write_text(name, encoding="utf-8")
    before = digest(study)
    rc, err = cli(
        capsys, "experiment", "run", inputs["experiment"], "--workers", "1", "--quiet", "--force",
        "--out", tmp_path / "x" / ".." / "FINISHED_STUDY",
    )  # fmt: skip
    assert rc == EXIT_INPUT and "policy search" in err, err
    assert digest(study) == before and not (tmp_path / "x").exists()


def test_f1_a_failed_experiment_leaves_no_folder_it_made(inputs, tmp_path, monkeypatch, capsys):
    from govsim.experiments import experiment

    def interrupted(*args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(experiment, "_execute", interrupted)
    out = tmp_path / "new" / "deeper" / "out"
    rc, err = cli(capsys, "experiment", "run", inputs["experiment"], "--out", out, "--quiet")
    assert rc == 130 and "nothing was written" in err, err
    assert list(tmp_path.iterdir()) == []


# -- F2: export-log over the run's own table; tables of the wrong shape -----------------------


def test_f2_export_log_refuses_the_runs_own_tables(inputs, tmp_path, capsys) -> None:
    run = tmp_path / "run"
    run.mkdir()
    for entry in inputs["run"].iterdir():
        (run / entry.name).write_bytes(entry.read_bytes())
    (run / "figures").mkdir()
    (run / "figures" / "mine.csv").write_text("the user's own\n", encoding="utf-8")
    before = digest(run)
    for name in ("cases.parquet", "kpis.parquet", "other.csv", "figures/mine.csv"):
        rc, err = cli(capsys, "export-log", run, "--out", run / name, "--force")
        assert rc == EXIT_INPUT and "record of what ran" in err, err
    assert digest(run) == before
    rc, err = cli(capsys, "export-log", run)  # its own name there: written, and rewritten
    assert rc == 0 and cli(capsys, "export-log", run)[0] == 0, err
    assert set(digest(run)) == {*before, "caselog.parquet"}


@pytest.mark.parametrize("command", ["export-log", "report", "plot"])
def test_f2_a_run_table_of_the_wrong_shape_is_named(command, inputs, tmp_path, capsys) -> None:
    run = tmp_path / "run"
    run.mkdir()
    for entry in inputs["run"].iterdir():
        (run / entry.name).write_bytes(entry.read_bytes())
    # What `export-log RUN --out RUN/cases.parquet` used to leave: a case log as the case table.
    assert main(["export-log", str(run), "--out", str(tmp_path / "log.parquet")]) == 0
    (run / "cases.parquet").write_bytes((tmp_path / "log.parquet").read_bytes())
    capsys.readouterr()
    rc, err = cli(capsys, command, run, *([] if command == "export-log" else ["--quiet"]))
    assert rc == EXIT_INPUT and "Traceback" not in err, err
    assert f"{run / 'cases.parquet'}: column '" in err and "govsim run" in err, err
    (run / "cases.parquet").write_bytes(b"not parquet at all")
    rc, err = cli(capsys, command, run, *([] if command == "export-log" else ["--quiet"]))
    assert rc == EXIT_INPUT and f"{run / 'cases.parquet'}: not a parquet table" in err, err


# -- F3: fit over its base scenario, or into a run folder -------------------------------------


def test_f3_fit_refuses_its_base_and_a_run_folder(inputs, tmp_path, capsys) -> None:
    base = tmp_path / "city.yaml"  # a valid scenario of the user's, fitted over itself
    text = SAMPLE.read_text(encoding="utf-8").replace(
        "base: ../../scenarios/baseline.yaml", f"base: {REPO_ROOT / 'scenarios' / 'baseline.yaml'}"
    )
    base.write_text(text, encoding="utf-8")
    assert main(["validate", str(base)]) == 0
    for extra in ([], ["--force"]):
        rc, err = cli(
            capsys, "fit", "--calibrate", "0", SAMPLE_LOG, "--base", base, "--out", base, *extra
        )
        assert rc == EXIT_INPUT and "input" in err and str(base) in err, err
    assert base.read_text(encoding="utf-8") == text and sorted(os.listdir(tmp_path)) == [
        "city.yaml"
    ]
    run = inputs["run"]
    before = digest(run)
    for name in ("scenario.yaml", "fitted.yaml"):
        rc, err = cli(
            capsys,
            "fit",
            "--calibrate",
            "0",
            SAMPLE_LOG,
            "--base",
            SAMPLE,
            "--out",
            run / name,
            "--force",
        )
        assert rc == EXIT_INPUT and "record of what ran" in err, err
    assert digest(run) == before


# -- F5: a background job keeps ignoring Ctrl-C ------------------------------------------------


def _ignore_ctrl_c() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # what `govsim run ... &` inherits


@pytest.mark.slow
def test_f5_a_background_run_keeps_ignoring_ctrl_c(inputs, tmp_path: Path) -> None:
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "govsim", "run", str(inputs["scenario"]), "--days", "20"]
        + ["--out", str(out), "--quiet"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_ignore_ctrl_c,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    # Ctrl-C every 10 ms through the start (the imports, under the quiet start's handler) until
    # the run's temporary folder appears (the libraries are loaded) or the process ends.
    sent = 0
    started = lambda: any(p.name.startswith(".out.") for p in tmp_path.iterdir())  # noqa: E731
    while process.poll() is None and not started():
        os.killpg(process.pid, signal.SIGINT)
        sent += 1
        time.sleep(0.01)
    for _ in range(20):  # and a few more while it runs
        if process.poll() is not None:
            break
        os.killpg(process.pid, signal.SIGINT)
        time.sleep(0.01)
    _, err = process.communicate(timeout=120)
    assert sent >= 5, "the command started too fast to test the start"
    assert process.returncode == 0, err
    assert (out / "summary.json").is_file()


# -- F8: fit into a folder that does not exist yet ---------------------------------------------


@pytest.mark.slow
def test_f8_fit_creates_the_folder_of_its_output(tmp_path: Path, monkeypatch, capsys) -> None:
    out = tmp_path / "results" / "tutorial" / "fitted.yaml"
    rc, err = cli(
        capsys,
        "fit",
        "--calibrate",
        "0",
        SAMPLE_LOG,
        "--base",
        SAMPLE,
        "--out",
        out,
        "--no-figures",
    )
    assert rc == 0, err
    assert out.is_file() and out.with_suffix(".fit.md").is_file()
    # A fit that fails while writing leaves no folder it made.
    import govsim.fitting as fit_module

    def failing(text: str, path: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fit_module, "write_fitted", failing)
    again = tmp_path / "new" / "deeper" / "fitted.yaml"
    rc, err = cli(capsys, "fit", "--calibrate", "0", SAMPLE_LOG, "--base", SAMPLE, "--out", again)
    assert rc == EXIT_INPUT and "No space left" in err and "Traceback" not in err, err
    assert not (tmp_path / "new").exists()


def test_single_output_files_replace_only_their_own_or_with_force(inputs, tmp_path, capsys) -> None:
    graph = tmp_path / "city.graphml"
    assert cli(capsys, "network", inputs["scenario"], "--graphml", graph)[0] == 0
    rc, err = cli(capsys, "network", inputs["scenario"], "--graphml", graph)
    assert rc == EXIT_INPUT and "--force" in err, err
    assert cli(capsys, "network", inputs["scenario"], "--graphml", graph, "--force")[0] == 0
    page = tmp_path / "scenarios.md"  # a page govsim docs wrote says so: replaced freely
    assert cli(capsys, "docs", "--out", page)[0] == 0
    assert cli(capsys, "docs", "--out", page)[0] == 0
