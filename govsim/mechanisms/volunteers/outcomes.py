"""The volunteers mechanism's experiment outcomes: one number per run, after warm-up.

Each takes the run's volunteer book (None in a run without the mechanism: NaN), the case
statistics and the warm-up (hours); the days from the one that contains the warm-up's end count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govsim.engine.statistics import RunStatistics
    from govsim.mechanisms.volunteers.book import VolunteerBook

NAN = float("nan")


def volunteer_hours(book: VolunteerBook | None, _: RunStatistics, warmup: float) -> float:
    """Member-hours present in sessions, city-wide (registered members who came x hours)."""
    return book.after(warmup)[0] if book else NAN


def volunteer_cases(book: VolunteerBook | None, _: RunStatistics, warmup: float) -> float:
    """Visits registered members made to work orders at their grids."""
    return float(book.after(warmup)[2]) if book else NAN


def volunteer_utilisation(book: VolunteerBook | None, _: RunStatistics, warmup: float) -> float:
    """Members' hours on cases over their hours present (a visit's whole time counts as it
    starts, so it may pass 1 with long visits at the end of sessions)."""
    if book is None:
        return NAN
    present, on_cases, _visits = book.after(warmup)
    return on_cases / present if present else NAN


OUTCOMES = {
    "volunteer_hours": volunteer_hours,
    "volunteer_cases": volunteer_cases,
    "volunteer_utilisation": volunteer_utilisation,
}
