"""Residents report in calling hours (govsim/core/calling_hours.py, ``problems.report_clock``).

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
from govsim.core.calling_hours import CallingClock

ARRIVALS = govsim.load_scenario(BASELINE).arrivals
SHAPE, WEEK = ARRIVALS.intraday, ARRIVALS.weekday  # the baseline starts on a Monday


@given(
    t=st.floats(0, 10_000, allow_nan=False),
    delay=st.floats(0, 2_000, allow_nan=False),
    shape=st.sampled_from([SHAPE, [1.0] * 24, [0.0] * 6 + [1.0] * 18, [0.0] * 23 + [5.0]]),
)
def test_after_moves_by_the_delay_in_calling_hours(t: float, delay: float, shape) -> None:
    clock = CallingClock(shape)
    later = clock.after(t, delay)
    assert later >= t  # never back in time, not even by a rounding (the agenda needs it)
    assert clock.calling(later) - clock.calling(t) == pytest.approx(delay, abs=1e-6)
    hour = int(later % 24)
    assert clock.weight[hour] > 0 or later % 1 == 0, "a report never falls in a silent hour"


def test_a_zero_delay_is_now_not_a_rounding_before_it() -> None:
    """Clock to calling hours and back rounds: a zero delay gave t - 4e-15 for about 7% of
    times t, and an agenda entry before now stopped a run (groups' first-report factor near
    0). It must give t itself."""
    clock = CallingClock(SHAPE, [1.0, 1.0, 1.0, 1.0, 0.8, 0.0, 0.5], 2)
    times = np.random.default_rng(0).uniform(0, 2_000, 20_000)
    assert all(clock.after(t, 0.0) >= t for t in times)
    assert all(clock.after(t, 1e-13) >= t for t in times)


@given(
    t=st.floats(0, 10_000, allow_nan=False),
    delay=st.floats(0, 2_000, allow_nan=False),
    first=st.integers(0, 6),
)
def test_the_weekly_clock_moves_by_the_delay_too(t: float, delay: float, first: int) -> None:
    clock = CallingClock(SHAPE, [1.0, 1.0, 1.0, 1.0, 0.8, 0.0, 0.5], first)
    later = clock.after(t, delay)
    assert later >= t - 1e-9
    assert clock.calling(later) - clock.calling(t) == pytest.approx(delay, abs=1e-6)
    saturday = (first + int(later // 24)) % 7 == 5
    assert not saturday or later % 24 == 0, "no report on a day without calls"


def test_a_week_holds_168_calling_hours_and_days_follow_the_weekday_shape() -> None:
    clock = CallingClock(SHAPE, WEEK, first_weekday=0)
    assert clock.period == 168.0
    assert clock.calling(168.0) == 168.0 and clock.calling(168.0 * 52) == 168.0 * 52
    days = [clock.calling(24.0 * (d + 1)) - clock.calling(24.0 * d) for d in range(7)]
    np.testing.assert_allclose(days, 168.0 * np.array(WEEK) / sum(WEEK))
    # The same week from a Wednesday start: Wednesday's weight comes first.
    wednesday = CallingClock(SHAPE, WEEK, first_weekday=2)
    assert wednesday.calling(24.0) == pytest.approx(days[2])
    # A flat weekday shape is the daily clock.
    daily, flat_week = CallingClock(SHAPE), CallingClock(SHAPE, [2.0] * 7, first_weekday=3)
    for t, d in ((0.0, 5.0), (30.5, 100.0), (1000.0, 12.25)):
        assert flat_week.after(t, d) == pytest.approx(daily.after(t, d))


def test_a_day_holds_24_calling_hours_and_a_flat_shape_is_the_clock() -> None:
    clock = CallingClock(SHAPE)
    assert clock.period == 24.0
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
    week = shape[-7:] if len(shape) == 24 else shape[:6]  # the same fault in a week of days
    with pytest.raises(ValueError, match="weekday shape"):
        CallingClock(SHAPE, week)


STEADY = [
    "days=63",  # nine weeks
    "problems.enabled=true",
    "arrivals.seasons=[]",  # arising at the pace of the call shapes alone, so the first
    "arrivals.surges=[]",  # reports' calling times are uniform once begun
]


def first_reports(clock: str) -> pd.Series:
    result = govsim.simulate(
        govsim.load_scenario(BASELINE, [*STEADY, f"problems.report_clock={clock}"]), seed=5
    )
    problems = result.problems
    assert problems is not None
    by_resident = problems[(problems["discovered_by"].astype(str) == "resident")]
    first = by_resident["first_reported"].dropna()
    return first[(first > 72.0) & (first < 63 * 24)]  # after the first days' ramp-up


def test_first_reports_follow_the_call_shapes_in_calling_hours() -> None:
    """A problem arises at the call shapes' pace and is reported an independent delay later
    in calling hours: its first report's hour of day and day of week have the shapes'
    distributions."""
    hours, days = np.array(SHAPE) / sum(SHAPE), np.array(WEEK) / sum(WEEK)
    first = first_reports("calling_hours")
    assert len(first) > 5_000
    by_hour = np.bincount((first % 24).astype(int), minlength=24)
    p = stats.chisquare(by_hour, by_hour.sum() * hours).pvalue
    assert p > 0.001, f"hours of first reports against the call shape: p = {p:.2g}"
    assert by_hour[:6].sum() / by_hour.sum() == pytest.approx(hours[:6].sum(), abs=0.01)
    # Whole weeks only (days 3 to 62 are not): days 7 to 62, eight weeks.
    weeks = first[first >= 7 * 24]
    by_day = np.bincount((weeks // 24 % 7).astype(int), minlength=7)
    p = stats.chisquare(by_day, by_day.sum() * days).pvalue
    assert p > 0.001, f"days of first reports against the weekday shape: p = {p:.2g}"
    # The test can fail: in clock hours the same reports spread into the night.
    first = first_reports("clock_hours")
    by_hour = np.bincount((first % 24).astype(int), minlength=24)
    assert stats.chisquare(by_hour, by_hour.sum() * hours).pvalue < 1e-9
    assert by_hour[:6].sum() / by_hour.sum() > hours[:6].sum() + 0.03


def test_with_a_flat_shape_calling_hours_are_clock_hours() -> None:
    """The clock is the only difference: with a flat intraday shape both give the same run."""
    flat = [
        "days=20",
        "problems.enabled=true",
        "arrivals.intraday=" + str([1.0] * 24),
        "arrivals.weekday=" + str([1.0] * 7),
    ]
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
