"""Bad input exits with code 2 and one message naming the file (or override), key and line.

Every bad file is written into tmp_path, so the expected line numbers are known. No
case may print a traceback or create the output folder.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import BASELINE, REPO_ROOT, scenario_id, shipped_scenarios

from govsim.app.cli import main

EXIT_INPUT = 2


@dataclass
class Bad:
    text: str | None  # file content (None: the file is not written at all)
    key: str | None  # expected key path in the message
    line: int | None  # expected line number (None: not asserted)
    fragment: str = ""  # a word the message must contain (case-insensitive)
    args: list[str] = field(default_factory=list)  # extra CLI arguments
    source: str | tuple[str, ...] | None = None  # expected source(s) if not the file


def _file(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


MINI = "name: t\ncategories:\n  - {name: a, rate: 1}\n"  # lines 1-3

CASES: dict[str, Bad] = {
    "wrong_type": Bad(
        _file("""
            name: bad_type
            days: abc
            categories:
              - {name: a, rate: 1}
        """),
        key="days",
        line=2,
        fragment="number",
    ),
    "unknown_key_typo": Bad(
        _file("""
            name: typo
            categories:
              - {name: a, rate: 1}
            hotline:
              operators: 3
              patiense: {kind: exponential, mean: 0.1}
        """),
        key="hotline.patiense",
        line=6,
        fragment="unknown key",
    ),
    "unknown_top_level_key": Bad(
        MINI + "dayz: 3\n",
        key="dayz",
        line=4,
        fragment="unknown key",
    ),
    "negative_capacity": Bad(
        MINI + "staffing:\n  grid_workers: -1\n",
        key="staffing.grid_workers",
        line=5,
        fragment="greater than or equal to 0",
    ),
    "negative_department_staff": Bad(
        _file("""
            name: negdep
            departments:
              - name: water
                staff: -3
            categories:
              - {name: a, rate: 1, department: water}
        """),
        key="departments.0.staff",
        line=4,
        fragment="greater than or equal to 0",
    ),
    "channel_shares": Bad(
        MINI
        + _file("""
            arrivals:
              channels:
                hotline: 0.5
                online: 0.3
                patrol: 0.1
        """),
        key="arrivals.channels",
        line=5,
        fragment="sum to 1",
    ),
    "closable_at_shares": Bad(
        _file("""
            name: closable
            categories:
              - name: a
                rate: 1
              - name: b
                rate: 1
                closable_at: {grid: 0.5, street: 0.4, district: 0.4}
        """),
        key="categories.1.closable_at",
        line=7,
        fragment="sum to 1",
    ),
    "bad_indentation": Bad(
        _file("""
            name: t
            categories:
              - name: a
                rate: 1
               urgency: general
        """),
        key=None,
        line=5,
        fragment="malformed YAML",
    ),
    "unclosed_bracket_one_line": Bad(
        _file("""
            name: t
            categories:
              - {name: a, rate: [1, 2}
            hotline:
              operators: 3
        """),
        key=None,
        line=3,
        fragment="malformed YAML",
    ),
    "unknown_urgency": Bad(
        _file("""
            name: urg
            categories:
              - name: a
                rate: 1
                urgency: urgentish
        """),
        key="categories.0.urgency",
        line=5,
        fragment="urgentish",
    ),
    "unknown_department": Bad(
        _file("""
            name: dep
            departments:
              - {name: water, staff: 2}
            categories:
              - name: a
                rate: 1
              - name: b
                rate: 1
                department: sewage
        """),
        key="categories.1.department",
        line=9,
        fragment="sewage",
    ),
    "empty_file": Bad("", key="name", line=None, fragment="missing"),
    "comment_only_file": Bad("# nothing here\n", key="name", line=None, fragment="missing"),
    "yaml_list_not_mapping": Bad("- name: t\n- days: 3\n", key=None, line=1, fragment="mapping"),
    "intraday_23_values": Bad(
        MINI + "arrivals:\n  intraday: [" + ", ".join(["1"] * 23) + "]\n",
        key="arrivals.intraday",
        line=5,
        fragment="24",
    ),
    "weekday_6_values": Bad(
        MINI + "arrivals:\n  weekday: [1, 1, 1, 1, 1, 1]\n",
        key="arrivals.weekday",
        line=5,
        fragment="7",
    ),
    "probability_above_1": Bad(
        MINI
        + _file("""
            whistle:
              enabled: true
              probability: 1.5
        """),
        key="whistle.probability",
        line=6,
        fragment="less than or equal to 1",
    ),
    "callback_reach_above_1": Bad(
        MINI + "feedback:\n  callback_reach: 1.2\n",
        key="feedback.callback_reach",
        line=5,
        fragment="less than or equal to 1",
    ),
    "unknown_distribution_kind": Bad(
        MINI
        + _file("""
            hotline:
              talk_time:
                kind: weibull
                mean: 1
        """),
        key="hotline.talk_time.kind",
        line=6,
        fragment="exponential",
    ),
    "shift_plan_23_hours": Bad(
        MINI + "hotline:\n  operators: [" + ", ".join(["2"] * 23) + "]\n",
        key="hotline.operators",
        line=5,
        fragment="24",
    ),
    "streets_fewer_than_districts": Bad(
        MINI + "city:\n  synthetic: {districts: 3, streets: 2, grids: 4, population: 100}\n",
        key="city.synthetic",
        line=5,
        fragment="streets",
    ),
    "bad_season_date": Bad(
        MINI
        + _file("""
            arrivals:
              seasons:
                - {name: heat, start: "13-01", end: "03-15", multiplier: 1.2}
        """),
        key="arrivals.seasons.0.start",
        line=6,
        fragment="13-01",
    ),
    "missing_required_categories": Bad(
        "name: nocat\ndays: 3\n", key="categories", line=None, fragment="missing"
    ),
    # Non-finite numbers pass 'greater than 0' checks; they must still be refused as input.
    "infinite_days": Bad(
        "name: t\ndays: .inf\ncategories:\n  - {name: a, rate: 1}\n",
        key="days",
        line=2,
    ),
    "infinite_rate": Bad(
        "name: t\ncategories:\n  - name: a\n    rate: .inf\n",
        key="categories.0.rate",
        line=4,
    ),
    # A key given twice: YAML loaders silently keep the last value; the first is lost.
    "duplicate_key": Bad(
        "name: t\ndays: 5\ncategories:\n  - {name: a, rate: 1}\ndays: 10\n",
        key="days",
        line=5,
    ),
    # --set overrides on a valid file: the override is named instead of a line.
    "set_unknown_key_path": Bad(
        MINI,
        key="hotline.operatorz",
        line=None,
        fragment="unknown key",
        args=["--set", "hotline.operatorz=3"],
        source="--set hotline.operatorz=3",
    ),
    "set_unknown_list_element": Bad(
        MINI,
        key="categories.nope",
        line=None,
        fragment="nope",
        args=["--set", "categories.nope.rate=1"],
        source="--set categories.nope.rate=1",
    ),
    "set_wrong_type": Bad(
        MINI,
        key="days",
        line=None,
        fragment="number",
        args=["--set", "days=abc"],
        source="--set days=abc",
    ),
    "set_no_equals": Bad(
        MINI,
        key=None,
        line=None,
        fragment="key.path=value",
        args=["--set", "days"],
        source="--set days",
    ),
    "set_negative_capacity": Bad(
        MINI,
        key="staffing.grid_workers",
        line=None,
        fragment="greater than or equal to 0",
        args=["--set", "staffing.grid_workers=-1"],
        source="--set staffing.grid_workers=-1",
    ),
    # --days/--seed are applied as overrides: either spelling of the source is accepted.
    "days_flag_infinite": Bad(
        MINI, key="days", line=None, args=["--days", "inf"], source=("--days inf", "--set days=inf")
    ),
    "seed_flag_negative": Bad(
        MINI,
        key="seed",
        line=None,
        fragment="greater than or equal to 0",
        args=["--seed", "-1"],
        source=("--seed -1", "--set seed=-1"),
    ),
    # Scenario inheritance.
    "base_file_missing": Bad(
        "base: nowhere.yaml\nname: t\n",
        key="base",
        line=1,
        fragment="nowhere.yaml",
    ),
}


def _run(capsys, args: list[str]) -> tuple[int, str, str]:
    rc = main(args)
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def assert_input_error(
    rc: int,
    out: str,
    err: str,
    *,
    source: str | tuple[str, ...],
    key: str | None,
    line: int | None,
    fragment: str = "",
) -> str:
    """Exit 2, one 'govsim: error:' message naming source, key and line; no traceback."""
    assert rc == EXIT_INPUT, f"exit code {rc}, stderr: {err!r}"
    assert "Traceback" not in out + err
    assert err.count("govsim: error:") == 1, err
    first = err.strip().splitlines()[0]
    assert first.startswith("govsim: error: "), err
    sources = (source,) if isinstance(source, str) else source
    named = [s for s in sources if first.startswith(f"govsim: error: {s}")]
    assert named, f"source {source!r} not named first: {err!r}"
    source = named[0]
    if key is not None:
        assert f"key '{key}'" in first, f"key {key!r} not named: {err!r}"
    if line is not None:
        assert f"{source}, line {line}" in first, f"line {line} not named: {err!r}"
    if fragment:
        assert fragment.lower() in err.lower(), f"{fragment!r} not in {err!r}"
    return first


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_bad_input_run(case: Bad, tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.yaml"
    if case.text is not None:
        path.write_text(case.text, encoding="utf-8")
    out_dir = tmp_path / "out"
    rc, out, err = _run(capsys, ["run", str(path), "--out", str(out_dir), "--quiet", *case.args])
    first = assert_input_error(
        rc,
        out,
        err,
        source=case.source or str(path),
        key=case.key,
        line=case.line,
        fragment=case.fragment,
    )
    if case.source is not None:
        assert ", line " not in first  # an override has no line in the file
    assert not out_dir.exists()


@pytest.mark.parametrize("name", ["wrong_type", "closable_at_shares", "set_unknown_key_path"])
def test_bad_input_validate_and_network(name: str, tmp_path: Path, capsys) -> None:
    """``validate`` and ``network`` report the same located error, and write nothing."""
    case = CASES[name]
    path = tmp_path / "bad.yaml"
    path.write_text(case.text or "", encoding="utf-8")
    source = case.source or str(path)
    rc, out, err = _run(capsys, ["validate", str(path), *case.args])
    assert_input_error(
        rc, out, err, source=source, key=case.key, line=case.line, fragment=case.fragment
    )
    graphml = tmp_path / "g.graphml"
    rc, out, err = _run(capsys, ["network", str(path), "--graphml", str(graphml), *case.args])
    assert_input_error(
        rc, out, err, source=source, key=case.key, line=case.line, fragment=case.fragment
    )
    assert not graphml.exists()


def test_missing_file(tmp_path: Path, capsys) -> None:
    path = tmp_path / "does_not_exist.yaml"
    out_dir = tmp_path / "out"
    rc, out, err = _run(capsys, ["run", str(path), "--out", str(out_dir), "--quiet"])
    assert_input_error(rc, out, err, source=str(path), key=None, line=None, fragment="no such file")
    assert not out_dir.exists()


def test_directory_instead_of_file(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    out_dir = tmp_path / "out"
    rc, out, err = _run(capsys, ["run", str(folder), "--out", str(out_dir), "--quiet"])
    assert_input_error(rc, out, err, source=str(folder), key=None, line=None)
    assert not out_dir.exists()


def test_unclosed_bracket_names_the_opening_line(tmp_path: Path, capsys) -> None:
    """A flow sequence opened on line 2 and never closed: the message must point at line 2.

    PyYAML only notices the problem at line 4 ("expected ',' or ']'"); a user reading
    "line 4" looks at a correct 'hotline:' key. The opening bracket is the problem.
    """
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: t\ncategories: [\n  {name: a, rate: 1}\nhotline:\n  operators: 3\n", encoding="utf-8"
    )
    out_dir = tmp_path / "out"
    rc, out, err = _run(capsys, ["run", str(path), "--out", str(out_dir), "--quiet"])
    assert_input_error(
        rc, out, err, source=str(path), key=None, line=None, fragment="malformed YAML"
    )
    assert "line 2" in err, f"the line of the unclosed '[' (2) is not named: {err!r}"
    assert not out_dir.exists()


def test_error_in_base_file_names_the_base(tmp_path: Path, capsys) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(
        "name: b\ncategories:\n  - {name: a, rate: 1}\nstaffing:\n  street_staff: -2\n",
        encoding="utf-8",
    )
    child = tmp_path / "child.yaml"
    child.write_text("base: base.yaml\nname: child\ndays: 2\n", encoding="utf-8")
    out_dir = tmp_path / "out"
    rc, out, err = _run(capsys, ["run", str(child), "--out", str(out_dir), "--quiet"])
    assert rc == EXIT_INPUT and "Traceback" not in out + err
    first = err.strip().splitlines()[0]
    assert str(base) in first and "line 5" in first and "key 'staffing.street_staff'" in first, err
    assert not out_dir.exists()


def test_base_cycle(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.yaml").write_text("base: b.yaml\nname: a\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("base: a.yaml\nname: b\n", encoding="utf-8")
    out_dir = tmp_path / "out"
    rc, out, err = _run(capsys, ["run", str(tmp_path / "a.yaml"), "--out", str(out_dir), "--quiet"])
    assert rc == EXIT_INPUT and "Traceback" not in out + err
    assert err.count("govsim: error:") == 1 and "key 'base'" in err and "cycle" in err, err
    assert not out_dir.exists()


@pytest.mark.slow
def test_subprocess_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(CASES["negative_capacity"].text or "", encoding="utf-8")
    out_dir = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "govsim.app.cli",
            "run",
            str(path),
            "--out",
            str(out_dir),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert proc.returncode == EXIT_INPUT, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr.count("govsim: error:") == 1
    assert f"{path}, line 5, key 'staffing.grid_workers'" in proc.stderr
    assert not out_dir.exists()


@pytest.mark.parametrize("path", shipped_scenarios(), ids=scenario_id)
def test_validate_shipped_scenarios(path: Path, capsys) -> None:
    rc, out, err = _run(capsys, ["validate", str(path)])
    assert rc == 0, err
    assert "valid scenario" in out


def test_validate_accepts_valid_override(capsys) -> None:
    rc, out, err = _run(
        capsys,
        [
            "validate",
            str(BASELINE),
            "--set",
            "hotline.operators=6",
            "--set",
            "categories.housing.rate=0.4",
        ],
    )
    assert rc == 0, err
