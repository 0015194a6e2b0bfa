"""Residents report in calling hours (govsim/calling_hours.py, ``problems.report_clock``).

The clock's arithmetic is checked exactly; the model's reports are checked against the
intraday call shape with a chi-square test at a fixed seed (99.9%), and the same test must
reject the clock-hours model, which spreads reports round the clock.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import govsim
from govsim.calling_hours import CallingClock

SHAPE = govsim.load_scenario(BASELINE).arrivals.intraday


@given(
    t=st.floats(0, 10_000, allow_nan=False),
    delay=st.floats(0, 2_000, allow_nan=False),
    shape=st.sampled_from([SHAPE, [1.0] * 24, [0.0] * 6 + [1.0] * 18, [0.0] * 23 + [5.0]]),
)
def test_after_moves_by_the_delay_in_calling_hours(t: float, delay: float, shape) -> None:
    clock = CallingClock(shape)
    later = clock.after(t, delay)
    assert later >= t - 1e-9
    assert clock.calling(later) - clock.calling(t) == pytest.approx(delay, abs=1e-6)
    hour = int(later % 24)
    assert clock.weight[hour] > 0 or later % 1 == 0, "a report never falls in a silent hour"


def test_a_day_holds_24_calling_hours_and_a_flat_shape_is_the_clock() -> None:
    clock = CallingClock(SHAPE)
    assert clock.calling(24.0) == 24.0 and clock.calling(24.0 * 365) == 24.0 * 365
    assert clock.after(10.5, 48.0) == pytest.approx(58.5)
    flat = CallingClock([3.0] * 24)
    for t, d in ((0.0, 0.0), (7.25, 1.5), (100.0, 333.3)):
        assert flat.after(t, d) == pytest.approx(t + d)
    # An hour of the busiest part of the day counts more than one calling hour, a night
    # hour less: a delay from the evening stretches over the night.
    assert clock.after(22.0, 3.0) > 22.0 + 3.0 * 2


@pytest.mark.parametrize(
    "shape", [[1.0] * 23, [1.0] * 23 + [-1.0], [0.0] * 24], ids=["short", "negative", "zero"]
)
def test_a_bad_shape_is_refused(shape) -> None:
    with pytest.raises(ValueError, match="intraday shape"):
        CallingClock(shape)


FLAT_DAYS = [
    "days=60",
    "problems.enabled=true",
    "arrivals.weekday=[1, 1, 1, 1, 1, 1, 1]",  # arising at the same pace every day,
    "arrivals.seasons=[]",  # so the first reports' calling times are uniform once begun
    "arrivals.surges=[]",
]


def first_report_hours(clock: str) -> np.ndarray:
    result = govsim.simulate(
        govsim.load_scenario(BASELINE, [*FLAT_DAYS, f"problems.report_clock={clock}"]), seed=5
    )
    problems = result.problems
    assert problems is not None
    by_resident = problems[(problems["discovered_by"].astype(str) == "resident")]
    first = by_resident["first_reported"].dropna()
    first = first[first > 72.0]  # after the first days' ramp-up
    return np.bincount((first % 24).astype(int), minlength=24)


def test_first_reports_follow_the_call_shape_in_calling_hours() -> None:
    """A problem arises at the call shape's pace and is reported an independent delay later
    in calling hours: its first report's hour of day has the shape's distribution."""
    expected = np.array(SHAPE) / sum(SHAPE)
    counts = first_report_hours("calling_hours")
    assert counts.sum() > 5_000
    p = stats.chisquare(counts, counts.sum() * expected).pvalue
    assert p > 0.001, f"hours of first reports against the call shape: p = {p:.2g}"
    night = counts[:6].sum() / counts.sum()
    assert night == pytest.approx(expected[:6].sum(), abs=0.01)
    # The test can fail: in clock hours the same reports spread into the night.
    counts = first_report_hours("clock_hours")
    assert stats.chisquare(counts, counts.sum() * expected).pvalue < 1e-9
    assert counts[:6].sum() / counts.sum() > expected[:6].sum() + 0.03


def test_with_a_flat_shape_calling_hours_are_clock_hours() -> None:
    """The clock is the only difference: with a flat intraday shape both give the same run."""
    flat = ["days=20", "problems.enabled=true", "arrivals.intraday=" + str([1.0] * 24)]
    runs = [
        govsim.simulate(
            govsim.load_scenario(BASELINE, [*flat, f"problems.report_clock={clock}"]), seed=3
        )
        for clock in ("calling_hours", "clock_hours")
    ]
    cases = [r.cases for r in runs]
    assert cases[0] is not None and cases[1] is not None
    hours = [c for c in cases[0].columns if cases[0][c].dtype == np.float64]
    assert {"created", "dispatched", "closed"} <= set(hours)
    pd.testing.assert_frame_equal(
        cases[0].drop(columns=hours), cases[1].drop(columns=hours), check_exact=True
    )
    for column in hours:  # the same times, up to the rounding of the conversion
        np.testing.assert_allclose(cases[0][column], cases[1][column], rtol=0, atol=1e-6)
