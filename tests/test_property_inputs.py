"""Property: whatever a scenario or experiment file holds, govsim either runs it completely or
refuses it cleanly, and never takes long to decide.

Hypothesis mutates a small valid scenario and a small valid experiment structurally:
deleted keys, wrong types at every level, huge and non-finite numbers, empty lists,
duplicate keys, unicode in keys and values, deep nesting, aliases (shared, recursive,
bombs), unknown keys. Each mutated file goes through the command line (in process; a few
through a subprocess) and must end in exactly one of:

- exit 0, with a complete run folder that ``govsim.load`` reads (or an experiment folder
  with all its tables), and no temporary file left beside it;
- exit 2, with one ``govsim: error:`` line naming the file, a line and a key (a line
  only for a problem of the file as a whole, neither for a run refused by its cost
  estimate), and nothing written.

Never a traceback, never another exit code, and each example within ``BOUND_SECONDS``:
runs are a day or two of a small city, and the cost estimate is capped for the test
(a longer run is refused by the estimate, which the property then checks too).

Settings: 800 scenario examples, 250 experiment examples, 6 through a subprocess; under the
"ci" profile (derandomized, no shrinking) about 40 s on two cores.
"""

from __future__ import annotations

import copy
import math
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO_ROOT, small_scenario_dict
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from govsim.app.cli import main
from govsim.engine import cost as estimate

pytestmark = pytest.mark.slow

BOUND_SECONDS = 20.0
FILE_LEVEL = (
    "malformed YAML",
    "NUL byte",
    "control character",
    "nested deeper",
    "alias",
    "must be a mapping",
    "not UTF-8",
    "larger than",
)
"""Problems of the file as a whole: the message names a line but no key."""
RUN_FILES = {
    "cases.parquet",
    "kpis.parquet",
    "equity.parquet",
    "scenario.yaml",
    "summary.json",
    "timeseries.parquet",
}
EXPERIMENT_TABLES = {"results", "timeseries", "variants", "samples", "summary", "paired"}


# -- mutations ------------------------------------------------------------------------------

Path_ = tuple[Any, ...]

WRONG = [
    None,
    True,
    False,
    "text",
    "",
    "2",
    [],
    {},
    [1, 2],
    {"a": 1},
    -1,
    0,
    1.5,
    10**30,
    -(10**30),
    1e300,
    -1e300,
    math.inf,
    -math.inf,
    math.nan,
    "１２",
    "名字",
    "🙂",
    "\u202edir",
    "a\u0301",
]


def _paths(node: Any, prefix: Path_ = (), seen: set[int] | None = None) -> list[Path_]:
    """Every key path in ``node``; a shared or recursive node is entered once."""
    seen = set() if seen is None else seen
    found = [prefix] if prefix else []
    if isinstance(node, dict | list):
        if id(node) in seen:
            return found
        seen.add(id(node))
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key), seen)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*prefix, i), seen)
    return found


def _parent(data: Any, path: Path_) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


def _nested(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


def _bomb(levels: int) -> list:
    value: list = ["x"] * 9
    for _ in range(levels):
        value = [value] * 9
    return value


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> str:
    """The YAML text of ``base`` after one to three structural mutations."""
    data = copy.deepcopy(base)
    text_level: list[str] = []
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _parent(data, path), path[-1]
        kind = draw(
            st.sampled_from(
                [
                    *["tweak"] * 6,  # mild: most of these still run, to check complete runs
                    *["delete"] * 3,
                    "wrong",
                    "wrong",
                    "huge",
                    "empty",
                    "unicode_key",
                    "deep",
                    "alias",
                    "recursive",
                    "bomb",
                    "unknown",
                    "duplicate",
                    "string_number",
                ]
            )
        )
        if kind == "tweak":
            value = parent[key]
            if isinstance(value, int | float) and not isinstance(value, bool):
                factor = draw(st.sampled_from([0.5, 0.9, 1.1, 2.0]))
                parent[key] = type(value)(value * factor) if value else factor
        elif kind == "delete":
            del parent[key]
        elif kind == "wrong":
            parent[key] = draw(st.sampled_from(WRONG))
        elif kind == "huge":
            parent[key] = draw(st.sampled_from([1, -1])) * 10 ** draw(st.integers(3, 40))
        elif kind == "empty":
            parent[key] = draw(st.sampled_from([[], {}, ""]))
        elif kind == "unicode_key" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["名字", "naмe", "days\u200b", "🙂"]))] = parent.pop(key)
        elif kind == "deep":
            parent[key] = _nested(draw(st.sampled_from([5, 30, 60, 300])))
        elif kind == "alias":
            other = draw(st.sampled_from(paths))
            if other[: len(path)] != path and path[: len(other)] != other:
                parent[key] = _value_at(data, other)  # the same object twice: an alias
        elif kind == "recursive":
            loop: list = [1]
            loop.append(loop)
            parent[key] = loop
        elif kind == "bomb":
            parent[key] = _bomb(draw(st.integers(3, 9)))
        elif kind == "unknown" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["zzz", "dayz", "Days"]))] = 1
        elif kind == "duplicate":
            text_level.append("duplicate")
        elif kind == "string_number" and isinstance(parent[key], int | float):
            parent[key] = str(parent[key])
    try:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    except (RecursionError, yaml.YAMLError):
        text = yaml.safe_dump(base, sort_keys=False) + "junk: &r [1, *r]\n"
    for _ in text_level:
        lines = text.splitlines()
        if lines:
            line = draw(st.sampled_from(lines))
            lines.insert(lines.index(line), line)
            text = "\n".join(lines) + "\n"
    if draw(st.integers(0, 9)) == 0:
        text = "\ufeff" + text  # a byte-order mark, as some editors write
    return text


def _value_at(data: Any, path: Path_) -> Any:
    for key in path:
        data = data[key]
    return data


# -- the property ---------------------------------------------------------------------------


@pytest.fixture
def capped_estimate(monkeypatch):
    """A run predicted to take over 5 s, or an experiment over 10 s, is refused."""
    monkeypatch.setattr(estimate, "MAX_RUN_SECONDS", 5.0)
    monkeypatch.setattr(estimate, "MAX_EXPERIMENT_SECONDS", 10.0)
    monkeypatch.delenv(estimate.IGNORE_VARIABLE, raising=False)


def check_outcome(rc: int, out: str, err: str, source: Path, target: Path, kind: str) -> None:
    event(f"exit {rc}" + (" (estimate)" if "would take" in err else ""))
    assert "Traceback" not in out + err, err
    assert rc in (0, 2), f"exit {rc}: {err}"
    temporary = [p.name for p in target.parent.iterdir() if p.name.startswith(".")]
    assert not temporary, temporary
    if rc == 0:
        assert err.count("govsim: error:") == 0, err
        if kind == "run":
            import govsim

            names = {p.name for p in target.iterdir()}
            assert RUN_FILES - {"cases.parquet"} <= names <= RUN_FILES | {"rankings.parquet"}
            data = govsim.load(target)
            if "cases.parquet" in names:
                assert len(data.cases) == data.summary["created"]
        else:
            assert {f"{t}.parquet" for t in EXPERIMENT_TABLES} <= {p.name for p in target.iterdir()}
        return
    assert err.count("govsim: error:") == 1, err
    first = err.strip().splitlines()[0]
    assert first.startswith("govsim: error: "), err
    assert not target.exists(), f"{target} written on a refusal: {err}"
    if "would take" in first:  # refused by the cost estimate: the file as a whole
        assert first.startswith(f"govsim: error: {source}"), err
        return
    named = re.match(r"govsim: error: (.+?), line (\d+)(, key '([^']+)')?: ", first)
    assert named, f"no file and line in {first!r}"
    assert Path(named.group(1)).name.endswith(".yaml"), first
    if not any(fragment in first for fragment in FILE_LEVEL):
        assert named.group(4), f"no key in {first!r}"


SCENARIO = small_scenario_dict(days=1.5)
SCENARIO["policies"] = [{"type": "whistle_blowing", "probability": 0.5}]


@settings(
    max_examples=800,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=mutated(SCENARIO))
def test_mutated_scenarios_run_or_are_refused_cleanly(
    text: str, tmp_path_factory, capsys, capped_estimate
) -> None:
    folder = tmp_path_factory.mktemp("scenario")
    path = folder / "mutated.yaml"
    path.write_text(text, encoding="utf-8")
    target = folder / "out"
    started = time.perf_counter()
    rc = main(["run", str(path), "--out", str(target), "--quiet"])
    assert time.perf_counter() - started < BOUND_SECONDS
    captured = capsys.readouterr()
    check_outcome(rc, captured.out, captured.err, path, target, "run")


def _experiment(scenario_file: str) -> dict[str, Any]:
    return {
        "name": "prop",
        "scenario": scenario_file,
        "seed": 5,
        "replications": 2,
        "days": 1,
        "variants": {
            "baseline": {},
            "sunk": {
                "set": {"staffing.street_staff": 2, "hotline.talk_time.mean": 0.08},
                "policies": [{"type": "grid_patrol", "time_share": 0.2, "detection": 0.3}],
            },
        },
        "uncertainties": [{"key": "categories.leak.rate", "values": [1.0, 2.5]}],
        "outcomes": ["backlog_mean", "created", "satisfaction_rate"],
    }


EXPERIMENT = _experiment("scenario.yaml")


@settings(
    max_examples=250,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=mutated(EXPERIMENT))
def test_mutated_experiments_run_or_are_refused_cleanly(
    text: str, tmp_path_factory, capsys, capped_estimate
) -> None:
    folder = tmp_path_factory.mktemp("experiment")
    (folder / "scenario.yaml").write_text(yaml.safe_dump(small_scenario_dict(days=1)))
    path = folder / "exp.yaml"
    path.write_text(text, encoding="utf-8")
    target = folder / "out"
    started = time.perf_counter()
    rc = main(["experiment", "run", str(path), "--out", str(target), "--quiet", "--workers", "1"])
    assert time.perf_counter() - started < BOUND_SECONDS
    captured = capsys.readouterr()
    check_outcome(rc, captured.out, captured.err, path, target, "experiment")


@settings(max_examples=6, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated(SCENARIO))
def test_mutated_scenarios_through_a_subprocess(text: str, tmp_path_factory) -> None:
    """The same through ``python -m govsim``: what the interpreter itself would print."""
    folder = tmp_path_factory.mktemp("subprocess")
    path = folder / "mutated.yaml"
    path.write_text(text, encoding="utf-8")
    target = folder / "out"
    done = subprocess.run(
        [sys.executable, "-m", "govsim", "run", str(path), "--out", str(target), "--quiet"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        env={"PYTHONPATH": str(REPO_ROOT), "GOVSIM_IGNORE_ESTIMATE": "0", "PATH": "/usr/bin:/bin"},
    )
    check_outcome(done.returncode, done.stdout, done.stderr, path, target, "run")
