"""Mechanisms are plug-ins (govsim/engine/mechanism.py): the run names none of them.

A mechanism written here, in the tests, is installed through the interface without editing
the engine, and its table and summary block appear in the run's outputs; the engine's code
says nothing of problems (the first mechanism) outside its docstrings; hooks that decide have
one owner.
"""

from __future__ import annotations

import ast
import io
import json
import tokenize
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import REPO_ROOT, SCENARIOS_DIR

import govsim
from govsim.core.case import Case
from govsim.engine.mechanism import Mechanism, set_hook
from govsim.engine.run import Run, RunState
from govsim.mechanisms import BUILT_IN, build
from govsim.simulate import new_run

BASELINE = SCENARIOS_DIR / "baseline.yaml"


class ClosedByHour(Mechanism):
    """Counts closed cases by the hour of the day they were created (a test-only mechanism)."""

    name = "closed_by_hour"

    def __init__(self) -> None:
        self.counts = [0] * 24

    def install(self, run: Run) -> None:
        set_hook(run.flow, "closing", self._closing, self)

    def _closing(self, case: Case, tier: int) -> None:
        self.counts[int(case.created % 24)] += 1

    def tables(self) -> dict[str, pd.DataFrame]:
        return {self.name: pd.DataFrame({"hour": range(24), "closed": self.counts})}

    def summary(self, state: RunState) -> dict[str, Any]:
        return {"closed": sum(self.counts), "busiest_hour": int(np.argmax(self.counts))}


@pytest.fixture(scope="module")
def runs() -> tuple[govsim.RunResult, govsim.RunResult]:
    """The baseline (problems on) for five days, without and with the test mechanism."""
    scenario = govsim.load_scenario(BASELINE, ["days=5"])
    plain = govsim.simulate(scenario, seed=3)
    counted = govsim.simulate(scenario, seed=3, mechanisms=[ClosedByHour()])
    return plain, counted


def test_a_mechanism_of_ones_own_gives_its_table_and_summary_block(runs, tmp_path: Path) -> None:
    plain, counted = runs
    cases = counted.cases
    assert cases is not None
    closed = cases[cases["status"] == "closed"]
    expected = (closed["created"] % 24).astype(int).value_counts().reindex(range(24), fill_value=0)
    table = counted.tables["closed_by_hour"]
    assert table["closed"].tolist() == expected.tolist()
    block = counted.summary["closed_by_hour"]
    assert block == {"closed": len(closed), "busiest_hour": int(expected.to_numpy().argmax())}
    assert "closed_by_hour" not in plain.summary and "closed_by_hour" not in plain.tables
    # The problems mechanism judged its cases as they closed, as without the test mechanism.
    assert counted.summary["problems"] == plain.summary["problems"]

    folder = counted.write(tmp_path / "run")
    assert (folder / "closed_by_hour.parquet").is_file()
    written = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert written["closed_by_hour"] == block
    loaded = govsim.load(folder)
    pd.testing.assert_frame_equal(loaded.tables["closed_by_hour"], table)


def test_an_observing_mechanism_changes_nothing_of_the_run(runs) -> None:
    plain, counted = runs
    pd.testing.assert_frame_equal(counted.cases, plain.cases)
    pd.testing.assert_frame_equal(counted.problems, plain.problems)
    pd.testing.assert_frame_equal(counted.kpis, plain.kpis)


def test_a_hook_that_decides_has_one_owner() -> None:
    scenario = govsim.load_scenario(BASELINE, ["days=1", "problems.paper_closure=0.3"])
    run = new_run(scenario)  # the problems mechanism owns handlers.after_visit (paper closure)
    problems = run.mechanism("problems")
    assert problems is not None
    with pytest.raises(ValueError, match="after_visit.*'problems' set already"):
        set_hook(run.handlers, "after_visit", lambda case, tier: False, ClosedByHour())
    with pytest.raises(ValueError, match="jurisdiction.*'problems' set already"):  # a function
        set_hook(run.handlers, "jurisdiction", lambda case, share, draw: False, ClosedByHour())
    with pytest.raises(ValueError, match="two mechanisms take the residents' events"):
        run.route_arrivals(run.intake.create, [1.0], filtered=False)


def test_a_switched_off_mechanism_is_not_built() -> None:
    off = govsim.load_scenario(BASELINE, ["days=1", "problems.enabled=false"])
    on = govsim.load_scenario(BASELINE, ["days=1", "places.enabled=true"])
    assert build(off) == []
    assert [cls.name for cls in BUILT_IN] == [
        "places",
        "problems",
        "groups",
        "assessment",
        "workload",
        "volunteers",
        "area_units",
        "deliberation",
    ]
    assert [m.name for m in build(on)] == ["places", "problems"]  # the baseline has no groups
    every = govsim.load_scenario(
        BASELINE, ["days=1", "places.enabled=true", "residents.enabled=true"]
    )
    assert [m.name for m in build(every)] == ["places", "problems", "groups"]
    run = new_run(off)
    assert run.mechanisms == ()
    hooks = (
        (run.intake, "attach"),
        (run.flow, "judging"),
        (run.flow, "closing"),
        (run.flow, "abandoning"),
        (run.flow, "repeat_appeal"),
        (run.handlers, "after_visit"),
        (run.handlers, "jurisdiction"),
        (run.verification, "judged_resolution"),
        (run.verification, "by_resident"),
        (run.verification, "pressing"),
    )
    assert all(getattr(target, name) is None for target, name in hooks)
    # On, the problems mechanism sets only the hooks it needs: no paper closure, no after_visit.
    run = new_run(on)
    assert run.handlers.after_visit is None and run.flow.judging is not None
    assert run.flow.closing is None  # free for mechanisms that observe every closing case


def words_outside_docstrings(source: str) -> list[tuple[int, str]]:
    """(line, token) of every name, comment and string of ``source`` that is not a docstring
    (a string standing alone as a statement: a module's, class's, function's or attribute's)."""
    docstrings = {
        (node.lineno, node.col_offset)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }
    return [
        (token.start[0], token.string)
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type in (tokenize.NAME, tokenize.COMMENT, tokenize.STRING)
        and not (token.type == tokenize.STRING and token.start in docstrings)
    ]


def test_the_engine_names_no_mechanism() -> None:
    """``grep -ril problem govsim/engine`` finds the word only in docstrings."""
    found = [
        f"{path.relative_to(REPO_ROOT)}:{line}: {text}"
        for path in sorted((REPO_ROOT / "govsim" / "engine").rglob("*.py"))
        for line, text in words_outside_docstrings(path.read_text(encoding="utf-8"))
        if "problem" in text.lower()
    ]
    assert not found, "the engine names the problems mechanism:\n" + "\n".join(found)


def test_the_docstring_check_sees_a_name() -> None:
    source = '"""A problem in a docstring."""\nx = 1\n"""An attribute\'s problem."""\n'
    assert not [t for _, t in words_outside_docstrings(source) if "problem" in t]
    planted = source + "problem = 2  # a problem\nprint('problem')\n"
    assert [t for _, t in words_outside_docstrings(planted) if "problem" in t.lower()] == [
        "problem",
        "# a problem",
        "'problem'",
    ]
