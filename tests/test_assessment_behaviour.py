"""Units that answer to their assessment (``assessment``, issue 28 items 1 and 3).

The decision rule by hand (govsim/mechanisms/assessment/decision.py); off, the model is
today's; on, the mechanism's books agree with the ranking's and the case ledger's; and, on the
12-street city of experiments/assessment (slow), Goodhart with numbers: what pressure and
gaming do to measured and true resolution, and what audits buy.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize_scalar

import govsim
from govsim.mechanisms.assessment.decision import (
    NO_CHOICE,
    Answers,
    Design,
    Option,
    Rule,
    Slowness,
    choose,
    effort,
    gains,
)

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
TWELVE = ROOT / "experiments" / "assessment" / "twelve_streets.yaml"

# The baseline's answers (scenarios/baseline.yaml: resolved if fixed 0.97, if not 0.5; the
# callback's default ordinal logit) and the schema's default rule.
ANSWERS = Answers(0.97, 0.5, -1.0, 3.0, 1.0, 0.3, 1.0, 0.8)
RULE = Rule(
    temperature=0.05,
    gain_max=0.1,
    scale=0.5,
    effort_cost=0.05,
    effort_cap=1.0,
    paper=Option(0.5, 0.05, 1.0),
    press=Option(0.8, 0.02, 0.5),
    label=Option(0.2, 0.1, 1.0),
    press_resolved=0.95,
    press_shift=1.0,
)
PUBLIC = Design.of({"response": 0.1, "resolution": 0.5, "satisfaction": 0.4})
SLOW = Slowness(escalated=3.0, late=3.0)


# -- the decision rule, by hand -----------------------------------------------------------------
def test_no_pressure_means_no_effort_and_no_gaming() -> None:
    for slow in (Slowness(), SLOW):
        assert choose(0.0, PUBLIC, ANSWERS, RULE, slow) == NO_CHOICE


def test_strong_audits_stop_gaming_under_pressure() -> None:
    audited = Design.of({"response": 0.1, "resolution": 0.5, "satisfaction": 0.4}, 0.5, 2.0)
    unaudited = choose(1.0, PUBLIC, ANSWERS, RULE, SLOW)
    assert all(q > 0 for q in unaudited.shares)  # every option pays without audits
    choice = choose(1.0, audited, ANSWERS, RULE, SLOW)
    assert choice.shares == (0.0, 0.0, 0.0, 0.0)
    assert choice.effort == unaudited.effort > 0  # audits leave honest effort alone


def test_more_pressure_more_gaming() -> None:
    shares = [choose(p, PUBLIC, ANSWERS, RULE, SLOW).shares for p in (0.2, 0.4, 1.0, 3.0)]
    for low, high in zip(shares, shares[1:], strict=False):
        assert all(h >= lo for lo, h in zip(low, high, strict=True))
    assert sum(shares[-1]) > sum(shares[0])
    assert shares[0][0] == 0 < shares[2][0]  # paper: only under the shame list's pressure


def test_pressing_gains_nothing_when_resolution_and_satisfaction_weigh_nothing() -> None:
    response_only = Design.of({"response": 1.0})
    g = gains(response_only, ANSWERS, RULE, 0.8, SLOW)
    assert g["press"] == 0 and g["paper"] == 0 and g["label"] == 0
    choice = choose(1.0, response_only, ANSWERS, RULE, SLOW)
    assert choice.shares[2] == 0  # no pressing
    assert choice.shares[1] > 0  # but a rush pays: the response rate is all that counts
    assert choice.effort == 0  # and effort buys no resolution points


def test_paper_pays_only_where_escalation_is_slow() -> None:
    prompt = choose(1.0, PUBLIC, ANSWERS, RULE, Slowness())
    slow = choose(1.0, PUBLIC, ANSWERS, RULE, SLOW)
    assert prompt.shares[0] == 0 < slow.shares[0]


def test_effort_is_the_closed_form_maximum() -> None:
    for pressure in (0.5, 1.0, 2.0, 5.0):
        e = effort(pressure, PUBLIC, RULE)

        def minus_utility(x: float, p: float = pressure) -> float:
            gain = RULE.gain_max * (1 - math.exp(-x / RULE.scale))
            return -(p * PUBLIC.resolution * gain - RULE.effort_cost * x)

        best = minimize_scalar(minus_utility, bounds=(0, RULE.effort_cap), method="bounded")
        assert e == pytest.approx(best.x, abs=1e-4)
    assert effort(0.4, PUBLIC, RULE) == 0  # the marginal gain below the cost at e = 0


# -- off is today's model; on, the books agree ---------------------------------------------------
def _run(overrides: list[str], seed: int = 3) -> govsim.RunResult:
    scenario = govsim.load_scenario(BASELINE, ["days=70", *overrides])
    return govsim.simulate(scenario, seed=seed)


RANKED = "policies=[{type: ranking, governance_count: 0}]"


@pytest.mark.slow
def test_off_is_todays_model_whatever_its_parameters() -> None:
    plain = _run([RANKED])
    off = _run([RANKED, "assessment={enabled: false, sensitivity: 5, rush_margin: 0.5}"])
    assert plain.summary["assessment"] is None and "assessment" not in plain.tables
    for name in ("cases", "kpis", "rankings"):
        pd.testing.assert_frame_equal(getattr(off, name), getattr(plain, name))


@pytest.mark.slow
def test_on_the_books_agree_with_the_ranking_and_the_cases() -> None:
    result = _run([RANKED, "assessment.enabled=true", "policies.0.audit.share=0.2"])
    table = result.tables["assessment"]
    cases = result.cases
    assert len(table) == 2 * (6 + len(result.scenario.departments))  # two months ranked
    assert (table["press"] > 0).any() and (table["caught_press"] > 0).any()
    # The ranking counted every case the unit closed but those it labelled.
    assert (table["measured_closed"] == table["closed"] - table["label"]).all()
    # Without pressing or labels the true answers are the measured ones.
    honest = table[(table["press"] == 0) & (table["label"] == 0) & (table["measured_valid"] > 0)]
    assert len(honest) > 0
    np.testing.assert_allclose(honest["satisfaction_true"], honest["satisfaction_measured"])
    np.testing.assert_allclose(honest["resolution_true"], honest["resolution_measured"])
    # Pressing raises the measured answers above the true ones, never below.
    pressed = table[table["press"] > 0]
    assert (pressed["satisfaction_measured"] >= pressed["satisfaction_true"]).all()
    # Every closed case of a unit is counted once: the table's closures are the cases'.
    work = cases[(cases["status"] == "closed") & (cases["final_tier"] != "hotline")]
    assert table["closed"].sum() <= len(work)
    assert (table["caught_press"] <= table["press"]).all()
    block = result.summary["assessment"]
    assert block["gaming_actions"]["press"] == int(table["press"].sum())
    assert block["goodhart"]["satisfaction"]["city"] > 0
