"""Issue 25 (F11): a scenario's cross-references are checked, and a YAML limit is reported at
the place in the file (its line and key), not only at the line where reading stopped.

Each file goes through ``govsim validate``: exit 2 and one message naming the file, the
line and the key.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from conftest import small_scenario_dict
from test_bad_input import assert_input_error

from govsim.app.cli import main


def validate(capsys, path: Path) -> tuple[int, str, str]:
    rc = main(["validate", str(path)])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def write(tmp_path: Path, data: dict | str) -> Path:
    path = tmp_path / "scenario.yaml"
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def with_self_governance(coverage: dict[str, float]) -> dict:
    data = small_scenario_dict(problems={"enabled": True})
    data["policies"] = [{"type": "self_governance", "grid_coverage": coverage}]
    return data


def test_f11_grid_coverage_of_a_grid_that_does_not_exist_is_refused(tmp_path: Path, capsys):
    # the small city is synthetic: its grids are D01-S001-G0001 ... D01-S002-G0004
    path = write(tmp_path, with_self_governance({"D01-S001-G0001": 0.5, "D01-S001-G001": 0.5}))
    rc, out, err = validate(capsys, path)
    assert_input_error(
        rc,
        out,
        err,
        source=str(path),
        key="policies.0.grid_coverage.D01-S001-G001",
        line=line_of(path, "D01-S001-G001:"),
        fragment="no grid 'D01-S001-G001' in the city (did you mean 'D01-S001-G0001'?)",
    )


def test_f11_grid_coverage_of_the_city_s_grids_is_accepted(tmp_path: Path, capsys):
    path = write(tmp_path, with_self_governance({"D01-S001-G0001": 0.5, "D01-S002-G0004": 1.0}))
    rc, out, err = validate(capsys, path)
    assert rc == 0, err


def test_f11_a_joint_department_listed_twice_is_refused(tmp_path: Path, capsys):
    data = small_scenario_dict()
    data["departments"] += [{"name": "roads", "staff": 1}, {"name": "parks", "staff": 1}]
    data["categories"][0]["joint_departments"] = ["roads", "parks", "roads"]
    path = write(tmp_path, data)
    rc, out, err = validate(capsys, path)
    assert_input_error(
        rc,
        out,
        err,
        source=str(path),
        key="categories.0.joint_departments.2",
        line=line_of(path, "joint_departments:") + 3,
        fragment="joint department 'roads' is listed twice",
    )


def _bomb(levels: int) -> str:
    lines = ["  a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        lines.append(f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


BASE = yaml.safe_dump(small_scenario_dict(), sort_keys=False)
TAIL = "description: the last line\n" * 3  # the document goes on after the place


def test_f11_an_alias_bomb_is_named_at_its_key(tmp_path: Path, capsys):
    path = write(tmp_path, BASE + "arrivals:\n" + _bomb(9) + TAIL)
    rc, out, err = validate(capsys, path)
    first = assert_input_error(
        rc, out, err, source=str(path), key="arrivals.a5.0", line=line_of(path, "a5:")
    )
    assert f"the anchor &a4 at line {line_of(path, 'a4:')}, key 'arrivals.a4'" in first


def test_f11_a_recursive_alias_is_named_at_its_key_with_the_anchor(tmp_path: Path, capsys):
    path = write(tmp_path, BASE + "arrivals:\n  x: &loop\n    y: [1, *loop]\n" + TAIL)
    rc, out, err = validate(capsys, path)
    first = assert_input_error(
        rc, out, err, source=str(path), key="arrivals.x.y.1", line=line_of(path, "*loop")
    )
    assert f"the anchor &loop is at line {line_of(path, '&loop')}" in first


def test_f11_too_deep_nesting_is_named_where_it_starts(tmp_path: Path, capsys):
    deep = "arrivals:\n  deep: " + "[" * 60 + "]" * 60 + "\n"
    path = write(tmp_path, BASE + deep + TAIL)
    rc, out, err = validate(capsys, path)
    assert_input_error(
        rc,
        out,
        err,
        source=str(path),
        key="arrivals.deep.0.0.0.0",
        line=line_of(path, "deep:"),
        fragment="nested deeper than 50 levels",
    )


def test_f11_an_empty_scenario_names_line_1(tmp_path: Path, capsys):
    path = write(tmp_path, "# nothing here yet\n")
    rc, out, err = validate(capsys, path)
    assert_input_error(
        rc, out, err, source=str(path), key="name", line=1, fragment="required key is missing"
    )
