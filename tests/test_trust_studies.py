"""Issue 25 (F9): a study file is refused at its line and key, or run; never half of either.

The plain tests each cover one refusal of F9. The property throws generated broken study
files at ``govsim optimize`` (in process, and a few through ``python -m govsim``): each is
a small valid study after one mutation that breaks it (an unknown key, a wrong type, a
number out of range or huge, overlapping levers, a warm-up as long as the horizon, both
``scenario`` and ``experiment``, a bad storage URL, a missing base file, broken YAML,
aliases and nesting, binary junk, an empty file...). Each must end in exit 2 with one
``govsim: error:`` message naming the study file, a line and (unless the problem is the
file as a whole) a key, nothing written, no traceback, and bounded work: no simulation and
a bounded number of files parsed, not a clock. Valid variations of the study end in exit 0
under ``govsim optimize --check`` (nothing written) and under a real, tiny ``optimize``.

Settings: 220 broken studies and 30 valid ones (each checked, one in four also run for real),
three through a subprocess; under the "ci" profile (derandomized) about 45 s on two loaded
cores.
"""

from __future__ import annotations

import copy
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO_ROOT, small_scenario_dict
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from govsim.app.cli import main
from govsim.scenario import yaml_safe

EXIT_INPUT = 2
FILE_LEVEL = (
    "malformed YAML",
    "NUL byte",
    "control character",
    "must be a mapping",
    "not UTF-8",
)
"""Problems of the file as a whole: the message names a line but no key."""
LEVERS = [
    {"key": "staffing.grid_workers", "range": [1, 3], "integer": True},
    {"key": "departments.*.staff", "range": [1, 2], "integer": True},
]
STUDY: dict[str, Any] = {
    "name": "prop",
    "scenario": "scenario.yaml",
    "days": 1,
    "levers": LEVERS,
    "objectives": [{"outcome": "backlog_mean", "direction": "minimise"}],
    "report_outcomes": ["created"],
    "seed": 3,
    "replications": {"initial": 2, "step": 1, "max": 2, "final": 2},
    "search": {"sampler": "random", "trials": 1, "batch": 1},
}


def scenario_dict() -> dict[str, Any]:
    data = small_scenario_dict(days=1)
    data["departments"].append({"name": "roads", "staff": 1})
    return data


def study_folder(folder: Path, study: dict[str, Any] | str | bytes) -> Path:
    """``folder`` with scenario.yaml, an experiment beside it, and the study (data or text)."""
    (folder / "scenario.yaml").write_text(yaml.safe_dump(scenario_dict()), encoding="utf-8")
    (folder / "exp.yaml").write_text("name: e\nscenario: scenario.yaml\n", encoding="utf-8")
    path = folder / "study.yaml"
    if isinstance(study, bytes):
        path.write_bytes(study)
    else:
        text = study if isinstance(study, str) else yaml.safe_dump(study, sort_keys=False)
        path.write_text(text, encoding="utf-8")
    return path


def optimize(capsys, *args: str) -> tuple[int, str, str]:
    rc = main(["optimize", *args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def assert_refused(rc: int, out: str, err: str, path: Path) -> str:
    """Exit 2 and one message naming the file, a line and (unless file-level) a key."""
    assert "Traceback" not in out + err, err
    assert rc == EXIT_INPUT, f"exit {rc}: {err}"
    assert err.count("govsim: error:") == 1, err
    first = err.strip().splitlines()[0]
    named = re.match(
        rf"govsim: error: {re.escape(str(path))}, line (\d+)(, key '([^']+)')?: ", first
    )
    assert named, f"no file and line in {first!r}"
    if not any(fragment in first for fragment in FILE_LEVEL):
        assert named.group(3), f"no key in {first!r}"
    return first


# -- F9, one refusal each ------------------------------------------------------------------


def refused(tmp_path: Path, capsys, study: dict[str, Any] | str) -> tuple[str, Path]:
    path = study_folder(tmp_path, study)
    out = tmp_path / "out"
    rc, stdout, err = optimize(capsys, str(path), "--out", str(out), "--quiet", "--workers", "1")
    first = assert_refused(rc, stdout, err, path)
    assert not out.exists()
    return first, path


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize(
    "other",
    ["departments.0.staff", "departments.roads.staff", "departments.*.staff "],
    ids=["index", "name", "same_with_a_space"],
)
def test_f9_overlapping_levers_are_refused_naming_both(other: str, tmp_path: Path, capsys):
    study = {**STUDY, "levers": [*LEVERS, {"key": other, "range": [1, 2], "integer": True}]}
    first, path = refused(tmp_path, capsys, study)
    lines = path.read_text().splitlines()
    where = max(i for i, line in enumerate(lines, 1) if other.strip() in line)  # the later
    assert f"line {where}, key 'levers.2.key'" in first, first
    assert "'departments.*.staff'" in first


def test_f9_a_lever_and_an_uncertainty_on_one_value_are_refused(tmp_path: Path, capsys):
    study = {**STUDY, "uncertainties": [{"key": "departments.water.staff", "values": [1, 2]}]}
    first, path = refused(tmp_path, capsys, study)
    assert f"line {line_of(path, 'departments.water.staff')}, key 'uncertainties.0.key'" in first
    assert "'departments.*.staff'" in first and "departments.0.staff" in first


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"days": 3, "warmup_days": 3}, "warmup_days"),  # both in the study
        ({"warmup_days": 1}, "warmup_days"),  # the scenario's horizon is 1 day
        ({"days": 2, "warmup_days": 5}, "warmup_days"),
    ],
)
def test_f9_warmup_as_long_as_the_horizon_is_refused_before_any_run(
    change: dict, key: str, tmp_path: Path, capsys, monkeypatch
):
    import govsim.search.optimizer as optimizer

    runs = []
    monkeypatch.setattr(optimizer, "perform", lambda *a, **k: runs.append(a))
    study = {k: v for k, v in STUDY.items() if k != "days"} | change
    first, path = refused(tmp_path, capsys, study)
    assert f"line {line_of(path, key + ':')}, key '{key}'" in first, first
    assert "must be less than" in first and not runs


def test_f9_warmup_from_an_experiment_against_the_study_days_blames_days(tmp_path: Path, capsys):
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(scenario_dict()), encoding="utf-8")
    exp = tmp_path / "warm.yaml"
    exp.write_text("name: e\nscenario: scenario.yaml\ndays: 5\nwarmup_days: 3\n")
    study = {k: v for k, v in STUDY.items() if k != "scenario"} | {"experiment": "warm.yaml"}
    first, path = refused(tmp_path, capsys, study | {"days": 2})
    assert f"line {line_of(path, 'days:')}, key 'days'" in first and "warmup_days (3)" in first


@pytest.mark.parametrize(
    ("change", "key", "fragment"),
    [
        ({"days": 1e9}, "days", "less than or equal to 3660"),
        ({"seed": 10**30}, "seed", "less than or equal to"),
        ({"search": {**STUDY["search"], "seed": 2**64}}, "search.seed", "less than or equal to"),
        ({"search": {**STUDY["search"], "trials": 10**12}}, "search.trials", "less than or"),
        ({"experiment": "exp.yaml"}, "experiment", "not both"),
        ({"storage": "not a url"}, "storage", "not a database URL"),
        ({"storage": "nosuchdb://host/db"}, "storage", "unknown database"),
        ({"storage": "sqlite:////no/such/folder/optuna.db"}, "storage", "does not exist"),
        ({"set": {"staffing.street_staff": -1}}, "set.staffing.street_staff", "greater than"),
        ({"scenario": "."}, "scenario", "is not a file"),
    ],
    ids=lambda v: v if isinstance(v, str) and "." not in v else None,
)
def test_f9_study_values_are_refused_at_their_line_and_key(
    change: dict, key: str, fragment: str, tmp_path: Path, capsys
):
    first, path = refused(tmp_path, capsys, {**STUDY, **change})
    top = key.split(".")[0]
    assert f"line {line_of(path, top + ':')}" in first or key.startswith(("search", "set")), first
    assert f"key '{key}'" in first and fragment in first, first


def test_f9_a_policy_the_scenario_refuses_is_named_in_the_study(tmp_path: Path, capsys):
    study = {**STUDY, "policies": [{"type": "whistle_blowing", "probability": 2.0}]}
    first, path = refused(tmp_path, capsys, study)
    assert f"line {line_of(path, 'probability')}, key 'policies.0.probability'" in first, first


def test_f9_a_study_seed_beyond_32_bits_runs(tmp_path: Path, capsys):
    """The sampler's seed came from the study's seed as is, and numpy takes 32 bits: a seed of
    2^40 (the bound is 2^63 - 1) stopped the study with a traceback."""
    path = study_folder(tmp_path, {**STUDY, "seed": 2**40})
    out = tmp_path / "out"
    rc, _, err = optimize(capsys, str(path), "--out", str(out), "--quiet", "--workers", "1")
    assert rc == 0, err
    assert (out / "front.parquet").is_file()


def test_check_validates_without_running_or_writing(tmp_path: Path, capsys, monkeypatch):
    import govsim.search.optimizer as optimizer

    monkeypatch.setattr(optimizer, "run_study", None)  # --check must not get there
    path = study_folder(tmp_path, STUDY)
    before = sorted(p.name for p in tmp_path.iterdir())
    rc, out, err = optimize(capsys, str(path), "--check")
    assert rc == 0, err
    assert out.strip() == f"{path}: valid: 2 levers, 1 objective, no uncertainties, 1 trial"
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# -- the property: broken studies ---------------------------------------------------------

WRONG: list[tuple[str, list[Any]]] = [  # key path, values it must refuse
    ("name", [[1], {"a": 1}, 5, None, "", "a b", "../x", ".hidden"]),
    ("days", ["abc", [1], True, -1, 0, 1e9, math.inf, math.nan, 10**30]),
    ("warmup_days", [1.5, -1, "x", True, 10**6]),
    ("seed", [-1, 1.5, "x", 2**63, 10**30, [1], None]),
    ("levers", [[], "x", {}, None, [1], [None]]),
    ("levers.0.range", [[3, 1], [1], "1-3", [1, "x"], [math.nan, 2], [0, 10**30], [2, 2]]),
    ("levers.0.step", [0, -1, "x"]),
    ("levers.0.integer", ["maybe", 2]),
    ("levers.1.range", [[1, 10**9], [-5, 2], [2, 1]]),
    ("levers.0.key", ["", "staffing", "staffing.nope", "nope.x", "departments.9.staff", 5, None]),
    ("levers.1.key", ["departments.*", "departments.nope.staff", "departments.*.nope"]),
    ("levers.0.choices", [[1], "x", [1, 2]]),
    ("objectives", [[], "x", None, [{}]]),
    ("objectives.0.outcome", ["nope", "", 3, "time_to_clos"]),
    ("objectives.0.direction", ["up", "", None, 1]),
    ("objectives.0.indifference", [-1, "x", math.inf]),
    ("report_outcomes", [["nope"], "x", [1]]),
    ("replications.initial", [1, 0, 3, 10**6, "2"]),
    ("replications.confidence", [0.5, 1, 1.5, "x"]),
    ("replications.max", [1, 10**9]),
    ("replications.final", [1, 10**9]),
    ("search.sampler", ["cmaes", 1, None]),
    ("search.trials", [0, -1, 10**9, 1.5]),
    ("search.batch", [0, 10**9]),
    ("search.seed", [-1, 2**64]),
    ("robustness", ["max", 1]),
    ("sampling", [{"method": "sobol"}, "grid", {"method": "lhs", "samples": 0}]),
    (
        "constraints",
        [
            {"headcount": {"max": -1}},
            {"headcount": {"max": 10, "fill": "nope"}},
            {"headcount": {"max": 10, "min": 20}},
            {"headcount": {"max": 10, "tiers": []}},
            {"headcount": {"max": 10, "tiers": ["city"]}},
            {"cost": {"budget_yuan": 0}},
            {"cost": {"budget_yuan": 1, "per_unit_yuan": {"nope": 1}}},
        ],
    ),
    ("set", [{"staffing.street_staff": -1}, {"nope.key": 1}, {"days": 1e9}, "x"]),
    ("policies", [[{"type": "nope"}], [{"type": "whistle_blowing", "probability": 2}], "x"]),
    (
        "uncertainties",
        [
            [{"key": "staffing.grid_workers", "values": [1, 2]}],
            [{"key": "departments.0.staff", "values": [1, 2]}],
            [{"key": "nope.x", "values": [1, 2]}],
            [{"key": "categories.0.rate", "range": [1, 2]}],
            [{"key": "categories.0.rate", "values": [-1, 2]}],
        ],
    ),
    ("storage", ["notaurl", "foo://x", "sqlite:////no/such/folder/x.db", 5]),
    ("scenario", ["nowhere.yaml", ".", "/dev/null", 5, None]),
    ("experiment", ["exp.yaml"]),
    ("variant", ["x"]),
    ("out", [5, []]),
]
YAML_BREAKERS = [
    "levers: [unclosed\n",
    "\tdays: 1\n",
    'name: "unclosed\n',
    "- a list item\n",
    "days: : :\n",
    "{\n",
    "junk: &r [1, *r]\n",
    "deep: " + "[" * 80 + "]" * 80 + "\n",
    "days: !!python/object:os.system x\n",
    "days: !!float abc\n",
    "x: *undefined\n",
]
EMPTY = ["", "\n", "# only a comment\n", "---\n", "[]\n", "null\n", "42\n", "~\n", "...\n"]


def _alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts: list[Any] = [int(p) if p.isdigit() else p for p in dotted.split(".")]
    node: Any = data
    for part in parts[:-1]:
        node = node[part]
    if value is None and isinstance(node, dict) and parts[-1] in ("name", "scenario"):
        del node[parts[-1]]  # a required key missing
    else:
        node[parts[-1]] = value


def _lines_insert(text: str, line: str, at: int) -> str:
    lines = text.splitlines(keepends=True)
    at = at % (len(lines) + 1)
    return "".join(lines[:at] + [line] + lines[at:])


@st.composite
def broken_study(draw: st.DrawFn) -> tuple[str, str | bytes]:
    """(mutation, the study's text or bytes) after one mutation that breaks the study."""
    data = copy.deepcopy(STUDY)
    kind = draw(
        st.sampled_from(
            [
                *["wrong"] * 8,
                *["unknown_key"] * 2,
                *["overlap"] * 2,
                *["warmup"] * 2,
                *["huge"] * 2,
                "both_bases",
                "storage",
                "missing_base",
                "yaml",
                "bomb",
                "binary",
                "junk_bytes",
                "empty",
                "duplicate",
                "lever_section",
            ]
        )
    )
    text = yaml.safe_dump(data, sort_keys=False)
    if kind == "wrong":
        path, values = draw(st.sampled_from(WRONG))
        _set(data, path, draw(st.sampled_from(values)))
        event(f"wrong {path}")
        return kind, yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if kind == "unknown_key":
        where = draw(st.sampled_from(["", "levers.0", "objectives.0", "replications", "search"]))
        node: Any = data
        for part in where.split(".") if where else []:
            node = node[int(part)] if part.isdigit() else node[part]
        name = draw(st.sampled_from(["zzz", "dayz", "Days", "lever", "名字", "trial", "seeds"]))
        node[f"{name}_{draw(st.integers(0, 10**6))}"] = draw(st.sampled_from([1, "x", None, []]))
    elif kind == "overlap":
        key = draw(
            st.sampled_from(
                [
                    "departments.0.staff",
                    "departments.1.staff",
                    "departments.water.staff",
                    "departments.roads.staff",
                    "staffing.grid_workers",
                    " staffing.grid_workers",
                ]
            )
        )
        low = draw(st.integers(1, 2))
        lever = {"key": key, "range": [low, low + draw(st.integers(1, 3))], "integer": True}
        data["levers"].insert(draw(st.integers(0, 2)), lever)
    elif kind == "warmup":
        if draw(st.booleans()):
            days = draw(st.integers(1, 100))
            data.update(days=days, warmup_days=days + draw(st.integers(0, 100)))
        else:
            del data["days"]  # the scenario's horizon, 1 day
            data["warmup_days"] = draw(st.integers(1, 3000))
    elif kind == "huge":
        key = draw(
            st.sampled_from(
                [
                    "days",
                    "seed",
                    "warmup_days",
                    "search.trials",
                    "replications.final",
                    "search.seed",
                ]
            )
        )
        _set(data, key, draw(st.sampled_from([1, -1])) * 10 ** draw(st.integers(19, 400)))
    elif kind == "both_bases":
        data["experiment"] = draw(st.sampled_from(["exp.yaml", "nowhere.yaml"]))
    elif kind == "storage":
        data["storage"] = draw(
            st.sampled_from(["x", "://", "http://host/db", "sqlite:////nowhere/x.db", "a b"])
        ) + draw(st.sampled_from(["", "?x=1", "/" + "x" * draw(st.integers(1, 50))]))
    elif kind == "missing_base":
        key = draw(st.sampled_from(["scenario", "experiment"]))
        data.pop("scenario")
        data[key] = f"missing_{draw(st.integers(0, 1000))}.yaml"
    elif kind == "lever_section":
        data["levers"][0]["key"] = draw(
            st.sampled_from(["staffing", "departments.0", "departments", "hotline"])
        )
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if kind == "yaml":
        return kind, _lines_insert(text, draw(st.sampled_from(YAML_BREAKERS)), draw(st.integers()))
    if kind == "bomb":
        return kind, text + _alias_bomb(draw(st.integers(6, 9)))
    if kind == "binary":
        junk = draw(st.binary(min_size=1, max_size=300))
        return kind, junk + b"\x00"  # a NUL: never a valid study, wherever the bytes stand
    if kind == "junk_bytes":
        raw = text.encode()
        at = draw(st.integers(0, len(raw)))
        bad = draw(st.sampled_from([b"\x00", b"\xff", b"\xfe\xfe", b"\x07", b"\x1b[31m"]))
        return kind, raw[:at] + bad + raw[at:]
    if kind == "empty":
        return kind, draw(st.sampled_from(EMPTY))
    if kind == "duplicate":
        lines = text.splitlines(keepends=True)
        top = [line for line in lines if line[:1].isalpha()]
        return kind, _lines_insert(text, draw(st.sampled_from(top)), draw(st.integers(0, 40)))
    return kind, text


class Counter:
    """Counts calls of what it replaces (a function or a method), and passes them on."""

    def __init__(self, monkeypatch, owner: Any, name: str) -> None:
        original, counter = getattr(owner, name), self
        self.calls = 0

        def counted(*args: Any, **kwargs: Any) -> Any:
            counter.calls += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)


@settings(
    max_examples=220,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mutation=broken_study())
@pytest.mark.slow
def test_broken_studies_are_refused_at_their_line_and_key(
    mutation: tuple[str, str | bytes], tmp_path_factory, capsys, monkeypatch
) -> None:
    import govsim.search.optimizer as optimizer

    kind, study = mutation
    event(kind)
    folder = tmp_path_factory.mktemp("broken")
    path = study_folder(folder, study)
    before = sorted(p.name for p in folder.iterdir())
    out = folder / "out"
    with monkeypatch.context() as patch:
        runs = Counter(patch, optimizer, "perform")
        parses = Counter(patch, yaml_safe, "parse")
        composed = Counter(patch, yaml_safe._LimitedComposer, "compose_node")
        rc, stdout, err = optimize(
            capsys, str(path), "--out", str(out), "--quiet", "--workers", "1"
        )
        first = assert_refused(rc, stdout, err, path)
        checked = optimize(capsys, str(path), "--check")
    assert checked[0] == EXIT_INPUT and checked[2].splitlines()[0] == first, checked
    assert not out.exists() and sorted(p.name for p in folder.iterdir()) == before
    # bounded work, twice (a run and --check): nothing simulated; a few texts parsed (the
    # study, the scenario again for each end of each lever with its overrides: 26 at most
    # here), none composed past its own text (at most 1,000 nodes here)
    assert runs.calls == 0
    assert parses.calls <= 2 * 30
    assert composed.calls <= 2 * 30 * 1_000


# -- the property: valid studies ----------------------------------------------------------


@st.composite
def valid_study(draw: st.DrawFn) -> dict[str, Any]:
    """The study after a few changes that keep it valid (and cheap to run)."""
    data = copy.deepcopy(STUDY)
    data["seed"] = draw(st.integers(0, 2**63 - 1))
    data["days"] = draw(st.sampled_from([0.5, 1, 1.5]))
    data["search"] = {
        "sampler": draw(st.sampled_from(["random", "tpe"])),
        "trials": draw(st.integers(1, 2)),
        "batch": draw(st.integers(1, 2)),
        "seed": draw(st.one_of(st.none(), st.integers(0, 2**63 - 1))),
    }
    low = draw(st.integers(1, 3))
    data["levers"][0]["range"] = [low, low + draw(st.integers(1, 3))]
    if draw(st.booleans()):
        data["levers"].append({"key": "hotline.operators", "choices": [1, 2]})
    if draw(st.booleans()):
        data["description"] = draw(st.text(max_size=40))
    if draw(st.booleans()):
        data["uncertainties"] = [{"key": "categories.leak.rate", "values": [1.0, 2.0]}]
    if draw(st.booleans()):
        data["constraints"] = {"headcount": {"max": draw(st.integers(0, 100))}}
    if draw(st.booleans()):
        data["set"] = {"staffing.street_staff": draw(st.integers(1, 3))}
    if draw(st.booleans()):
        data["policies"] = [{"type": "whistle_blowing", "probability": 0.5}]
    return data


@st.composite
def valid_studies(draw: st.DrawFn) -> tuple[dict[str, Any], bool]:
    """A valid study, and whether to run it for real (one in four: a run costs a second)."""
    return draw(valid_study()), draw(st.sampled_from([False, False, False, True]))


@settings(
    max_examples=30,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=valid_studies())
@pytest.mark.slow
def test_valid_studies_are_checked_and_run(
    case: tuple[dict[str, Any], bool], tmp_path_factory, capsys
) -> None:
    study, run = case
    event("run" if run else "checked")
    folder = tmp_path_factory.mktemp("valid")
    path = study_folder(folder, study)
    before = sorted(p.name for p in folder.iterdir())
    rc, out, err = optimize(capsys, str(path), "--check")
    assert rc == 0 and err == "" and out.startswith(f"{path}: valid: "), err
    assert sorted(p.name for p in folder.iterdir()) == before
    if not run:
        return
    target = folder / "out"
    rc, out, err = optimize(capsys, str(path), "--out", str(target), "--quiet", "--workers", "1")
    assert rc == 0, err
    assert {"study.yaml", "trials.parquet", "front.parquet"} <= {p.name for p in target.iterdir()}


@pytest.mark.slow
@pytest.mark.parametrize(
    "study",
    [
        STUDY,
        b"\x89PNG\r\n\x1a\n\x00\x00",
        {**STUDY, "levers": [*LEVERS, {"key": "departments.0.staff", "range": [1, 2]}]},
    ],
    ids=["valid", "binary", "overlap"],
)
def test_studies_through_a_subprocess(study: Any, tmp_path: Path) -> None:
    """The same through ``python -m govsim``: what the interpreter itself would print."""
    path = study_folder(tmp_path, study)
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "govsim", "optimize", str(path), "--out", str(out), "--quiet"]
        + ["--workers", "1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
    )
    if study is STUDY:
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        assert (out / "front.parquet").is_file()
    else:
        assert_refused(done.returncode, done.stdout, done.stderr, path)
        assert not out.exists()
