"""Fast guard of the predictions and the roles of the calibration's targets (issue 30).

- every prediction names its source, tolerance, setting, why no fit touched it and what a
  miss would say, under a unique key;
- no prediction's figure is one a fit solves against (the figures fit.py and facts.py read,
  and the targets fitted.json's records state);
- every check of verify.py states its role (a keyword without a default), and a judged
  check cannot go without one;
- the judge's hit and miss at the edges of each kind of band; the measures on synthetic
  runs (the runs they reuse), and the prediction step's order and verdicts;
- the report's role column, its predictions headline with the misses, its Predictions
  section and the sensitivity section's place.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import REPO_ROOT

from govsim.calibration import facts, fit, predict_current, targets
from govsim.calibration.files import CalibrationFiles
from govsim.calibration.predicted import all_predictions
from govsim.calibration.predictions import (
    ROLES,
    Prediction,
    PredictionContext,
    Tolerance,
    judge,
    source_of,
)
from govsim.calibration.report import ReportInputs, report_text
from govsim.calibration.targets import Figure
from govsim.calibration.verify import Check, exact, info, points, relative
from govsim.core.intervals import mean_ci

FILES = CalibrationFiles(REPO_ROOT)
calibrate_module = importlib.import_module("govsim.calibration.calibrate")  # the package
# exports the function calibrate under the module's name
PREDICTIONS = all_predictions()


# -- the definitions -------------------------------------------------------------------------
def test_every_prediction_is_stated_in_full() -> None:
    assert len({p.key for p in PREDICTIONS}) == len(PREDICTIONS) >= 5
    for p in PREDICTIONS:
        assert isinstance(p.published, Figure) and p.published.unit, p.key
        assert source_of(p.published.source).text, p.key
        assert p.tolerance.kind in ("points", "relative", "range"), p.key
        low, high = p.tolerance.band(p.published.value)
        assert low < high, p.key
        assert len(p.setting) > 40 and len(p.untouched) > 40, p.key
        assert callable(p.measure), p.key
    own = [p for p in PREDICTIONS if p.measure.__module__.endswith("predict_current")]
    assert own and all(len(p.miss_means) > 40 for p in own)


def _fitted_figures() -> list[Figure]:
    """The figures the fits read: ``NAME.value``, ``NAME[...].value``, ``NAME[...]["k"].value``
    in fit.py and facts.py, NAME a figure or a table of figures in targets.py."""
    found: list[Figure] = []
    pattern = re.compile(r"\b([A-Z][A-Z0-9_]+)((?:\[[^\]]+\])*)\.value")
    for module in (fit, facts):
        source = Path(str(module.__file__)).read_text(encoding="utf-8")
        for name, index in pattern.findall(source):
            obj = getattr(targets, name, None)
            keys = re.findall(r"\[([^\]]+)\]", index)
            candidates = [obj]
            for key in keys:
                literal = key.strip("\"'")
                nxt = []
                for c in candidates:
                    if not isinstance(c, dict):
                        continue
                    nxt += [c[literal]] if key[0] in "\"'" and literal in c else list(c.values())
                candidates = nxt
            found += [c for c in candidates if isinstance(c, Figure)]
    return found


def test_no_prediction_is_a_fitted_figure() -> None:
    fitted = _fitted_figures()
    # the reader finds what the fits are known to use (the guard guards something)
    assert targets.RATES["beijing"]["resolution"] in fitted
    assert targets.GOVERNANCE_STREET["2019-10"] in fitted
    assert targets.RATES["beijing"]["response"] not in fitted
    texts = json.loads(FILES.fitted.read_text(encoding="utf-8"))
    records = " ".join(
        f"{r.get('method', '')} {r.get('residual', '')}"
        for r in texts.get("records", []) + texts.get("fact_records", [])
    )
    for p in PREDICTIONS:
        figure = p.published
        assert all(
            not (figure.source == f.source and abs(figure.value - f.value) < 1e-9) for f in fitted
        ), p.key
        value = figure.value
        forms = [f"{value:.2%}", f"{value * 100:.1f}%"] if value <= 1 else [f"{value:g}"]
        for form in forms:
            assert not re.search(rf"(?<![\d.]){re.escape(form)}(?![\d])", records), (p.key, form)


# -- roles -----------------------------------------------------------------------------------
def test_every_check_in_verify_states_its_role() -> None:
    tree = ast.parse(Path(Check.__module__.replace(".", "/") + ".py").read_text(encoding="utf-8"))
    calls = 0
    keys = {p.key for p in PREDICTIONS}
    named = [  # the keys given (``key if ... else None`` or ``key``)
        c.value
        for node in ast.walk(tree)
        if isinstance(node, ast.keyword) and node.arg == "prediction"
        for c in (
            [node.value.body, node.value.orelse]
            if isinstance(node.value, ast.IfExp)
            else [node.value]
        )
        if isinstance(c, ast.Constant) and isinstance(c.value, str)
    ]
    assert named and set(named) <= keys  # a row counted as a prediction names a registered one
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
            "Check",
            "relative",
            "points",
        ):
            calls += 1
            assert any(k.arg == "role" for k in node.keywords), ast.unparse(node)[:80]
    assert calls > 20
    with pytest.raises(TypeError):
        Check("s", "t", "1", "", exact(1), "exact", True)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="role"):
        Check("s", "t", "1", "", exact(1), "exact", True, role=None)
    assert info("s", "t", "-", exact(1), "{}").role is None
    assert set(ROLES) == {"input", "fitted", "predicted"}


# -- the judge -------------------------------------------------------------------------------
def _prediction(tolerance: Tolerance, value: float = 0.5, miss: str = "") -> Prediction:
    return Prediction(
        key="k",
        target="a target",
        published=Figure(value, "share", "rates_2024"),
        tolerance=tolerance,
        setting="s",
        untouched="u",
        measure=lambda ctx: [],
        miss_means=miss,
    )


@pytest.mark.parametrize(
    ("tolerance", "published", "inside", "outside"),
    [
        (Tolerance("points", 0.25), 0.5, (0.25, 0.75), (0.2499, 0.7501)),
        (Tolerance("relative", 0.25), 4.0, (3.0, 5.0), (2.999, 5.001)),
        (Tolerance("range", low=1.0, high=2.0), 1.5, (1.0, 2.0), (0.999, 2.001)),
    ],
)
def test_judge_at_the_band_edges(tolerance, published, inside, outside) -> None:
    p = _prediction(tolerance, published)
    for edge in inside:
        assert judge(p, [edge, edge]).hit
    for beyond in outside:
        assert not judge(p, [beyond, beyond]).hit
    verdict = judge(p, [inside[0], inside[1]])
    assert verdict.estimate.n == 2 and verdict.estimate.low < verdict.estimate.mean


# -- the report ------------------------------------------------------------------------------
def test_report_has_roles_and_the_predictions_headline(tmp_path) -> None:
    figure = targets.RATES["beijing"]["resolution"]
    checks = [
        points("beijing", "resolution", figure, mean_ci([0.97, 0.971]), "[r]", role="fitted"),
        relative("beijing", "volume", 10.0, mean_ci([10.0, 10.1]), "[v]", role="fitted"),
        Check("beijing", "districts", "16", "[s]", exact(16), "exact", True, role="input"),
        Check("beijing", "a bound", "<= 9", "[b]", exact(8), "<= 9", True, role="predicted"),
        points(
            "beijing",
            "response",
            targets.RATES["beijing"]["response"],
            mean_ci([0.99, 0.991]),
            "[r]",
            role="predicted",
            prediction="k",
        ),
        info("beijing", "not a target", "-", exact(1), "{:.0f}"),
    ]
    hit = judge(_prediction(Tolerance("points", 0.1)), [0.5, 0.52])
    miss = judge(
        _prediction(Tolerance("points", 0.1), miss="the model's street falls too slowly."),
        [0.9, 0.92],
    )
    inputs = ReportInputs(
        mode="quick",
        checks=checks,
        reps=2,
        scale=0.06,
        speed=1e4,
        overview=tmp_path / "calibration" / "o.png",
        scale_check=None,
        facts=None,
        fit_records=[],
        wall=60.0,
        predictions=[hit, miss],
        sensitivity="| parameter | flips |\n| --- | --- |\n| x | yes |\n",
    )
    text = report_text(inputs, FILES, tmp_path / "calibration.md")
    assert "**2 of 3 predictions within tolerance.**" in text  # 2 registered, 1 table row
    assert "| beijing | a bound | <= 9 |" in text  # the row no prediction covers, listed
    assert "the model's street falls too slowly." in text
    assert "2 of 2 fitted targets reproduced." in text and "1 of 1 inputs as written." in text
    assert "| target | role | published |" in text
    assert "| districts | input | 16 |" in text and "| not a target | - |" in text
    assert "## Predictions" in text and "**MISS**" in text and "| hit |" in text
    assert "## Sensitivity of the conclusions" in text
    skipped = report_text(
        ReportInputs(**{**inputs.__dict__, "predictions": None, "sensitivity": None}),
        FILES,
        tmp_path / "calibration.md",
    )
    assert "Predictions not run" in skipped and "## Sensitivity" not in skipped


# -- the measures, on synthetic runs ---------------------------------------------------------
def _context(runs: dict) -> PredictionContext:
    return PredictionContext(FILES, 2, executor=None, runs=runs)  # type: ignore[arg-type]


def test_measures_read_the_runs_they_reuse() -> None:
    dates = pd.date_range("2024-01-01", "2024-12-31", freq="D")
    level = np.where(dates.month.isin([7, 8, 9]), 1.2, 1.0)  # the third quarter 20% higher
    daily = pd.DataFrame({"other": level * 100, "heating": level * 10}, index=dates)
    year = SimpleNamespace(
        daily=daily,
        dispatch_minutes=4.5,
        work_orders=SimpleNamespace(rate=lambda name: {"response": 0.99}[name]),
    )
    months = ("2019-05", "2019-06", "2019-07", "2019-08", "2019-09", "2019-10")
    counts = dict(zip(months, (100, 80, 50, 40, 35, 30), strict=True))
    street = SimpleNamespace(
        variant="governance_response",
        replication=0,
        governance={"2019-05": ["s1"]},
        street_month={(m, "s1"): n for m, n in counts.items()},
    )
    other = SimpleNamespace(**{**street.__dict__, "variant": "ranking_only"})
    ctx = _context({"beijing": [year, year], "haidian": [year], "fact c": [street, other]})
    assert predict_current.seasonality(ctx) == pytest.approx([1.2, 1.2])
    assert predict_current.dispatch_minutes(ctx) == [4.5, 4.5]
    assert predict_current.response_beijing(ctx) == [0.99, 0.99]
    assert predict_current.response_haidian(ctx) == [0.99]
    assert predict_current.governance_index("2019-06")(ctx) == [0.8]
    assert predict_current.governance_index("2019-07")(ctx) == [0.5]


def test_run_predictions_judges_each_in_order(monkeypatch) -> None:
    first = _prediction(Tolerance("points", 0.1))
    second = Prediction(**{**first.__dict__, "key": "k2", "measure": lambda ctx: [0.9, 0.95]})
    first = Prediction(**{**first.__dict__, "measure": lambda ctx: [0.5, 0.55]})
    monkeypatch.setattr(calibrate_module, "all_predictions", lambda: (first, second))
    said: list[str] = []
    verdicts = calibrate_module.run_predictions(_context({}), said.append)
    assert [(v.prediction.key, v.hit) for v in verdicts] == [("k", True), ("k2", False)]
    assert "MISS" in said[1] and "hit" in said[0]
