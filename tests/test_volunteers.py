"""Party members registered in their home community who serve at its grid (the volunteers
mechanism, govsim/mechanisms/volunteers/): its reductions, who takes which order, its table
and summary, and the scenario's errors."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
import simpy
from conftest import load_script

import govsim
from govsim.core.codes import PATROL_CHANNEL
from govsim.core.errors import LedgerError, UserInputError
from govsim.core.servers import ServerPool
from govsim.engine.run import Run
from govsim.mechanisms.volunteers import VolunteersMechanism
from govsim.mechanisms.volunteers.schedule import session_windows
from govsim.scenario.volunteers import Session
from govsim.simulate import new_run

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
SHORT = ["days=6"]  # Monday to Saturday: evening and weekend sessions
NAMED = "categories: [housing, public_services, other]"


def cases_of(overrides: list[str]) -> pd.DataFrame:
    result = govsim.simulate(govsim.load_scenario(BASELINE, [*SHORT, *overrides]))
    assert result.cases is not None
    return result.cases


@pytest.fixture(scope="module")
def plain() -> pd.DataFrame:
    return cases_of([])


@pytest.mark.parametrize(
    "members",
    ["registered: 0, turnout: 1", "registered: 20, turnout: 0"],
    ids=["nobody registered", "nobody turns up"],
)
def test_members_who_never_serve_leave_the_cases_as_they_were(plain, members: str) -> None:
    reduced = cases_of([f"volunteers={{enabled: true, {members}, {NAMED}}}"])
    pd.testing.assert_frame_equal(reduced, plain)


def test_members_who_serve_take_orders_off_the_grid_staff(plain) -> None:
    result = govsim.simulate(
        govsim.load_scenario(
            BASELINE, [*SHORT, f"volunteers={{enabled: true, registered: 20, {NAMED}}}"]
        )
    )
    assert result.cases is not None
    assert not result.cases.equals(plain)  # the reduction test above could fail
    block, table = result.summary["volunteers"], result.tables["volunteers"]
    assert block["cases"] == int(table["cases"].sum()) > 0
    assert block["member_hours"] == pytest.approx(table["member_hours"].sum())
    assert block["case_hours"] == pytest.approx(table["case_hours"].sum())
    assert set(table["grid"].astype(str)) == set(plain["grid"].astype(str))


def test_members_who_cannot_fix_close_their_orders_not_fixed() -> None:
    # Every unit fixes what it closes (the grid's probability 1; the named categories are all
    # fixable): a named order closed at the grid and not fixed was closed by a member.
    sure = "problems.fix_probability={grid: 1, street: 1, district: 1, department: 1}"
    members = f"volunteers={{enabled: true, registered: 20, {NAMED}"

    def named_not_fixed_at_grid(section: str) -> int:
        cases = cases_of([sure, section])
        at_grid = (cases["final_tier"] == "grid") & (cases["status"] == "closed")
        named = cases["category"].isin(["housing", "public_services", "other"])
        return int((at_grid & named & (cases["outcome"] == "not_fixed")).sum())

    assert named_not_fixed_at_grid(members + "}") == 0
    assert named_not_fixed_at_grid(members + ", fix_factor: 0}") > 0


# -- who takes which order: a city without appeals, and orders placed by hand -----------------
TIMED = [
    "days=1",  # 2024-03-04, a Monday
    "problems.enabled=false",
    *(f"categories.{i}.rate=0" for i in range(10)),
    "handling.grid={kind: deterministic, mean: 1}",
    "volunteers={enabled: true, registered: 1, turnout: 1, categories: [housing], "
    "sessions: [{weekdays: [0], start: 19, end: 21}]}",
]
HOUSING, SOCIAL_ORDER = 2, 6  # the baseline's category codes


def placed(run: Run, orders: list[tuple[float, int, int]]) -> Generator[Any, Any, None]:
    """Patrol orders (time, category, grid) that start at the grid, needing the grid alone."""
    env = run.env
    for time, category, grid in sorted(orders):
        yield env.timeout(time - env.now)
        run.intake.create_decided(category, grid, 0, PATROL_CHANNEL, -1, 0, False, False)


def run_with(orders: list[tuple[float, int, int]], overrides: list[str] = ()) -> Run:  # type: ignore[assignment]
    run = new_run(govsim.load_scenario(BASELINE, [*TIMED, *overrides]))
    run.env.process(placed(run, orders))
    run.run()
    return run


def members(run: Run) -> VolunteersMechanism:
    mechanism = run.mechanism("volunteers")
    assert isinstance(mechanism, VolunteersMechanism)
    return mechanism


def test_a_free_member_takes_an_order_of_a_named_category_in_the_session() -> None:
    run = run_with(
        [
            (19.5, HOUSING, 0),  # named, in the session, a member free: the member
            (19.6, HOUSING, 0),  # the one member is busy: the grid's staff
            (19.5, SOCIAL_ORDER, 1),  # law enforcement: the grid's staff
            (10.0, HOUSING, 2),  # outside the session: the grid's staff
            (21.5, HOUSING, 3),  # after it: the grid's staff
        ]
    )
    pools, grids = members(run).pools, run.handlers.grids
    assert [pool.arrived for pool in pools[:4]] == [1, 0, 0, 0]
    assert [grid.arrived for grid in grids[:4]] == [1, 1, 1, 1]
    assert run.ledger.closed == 5  # each visit closed its order at the grid


def test_a_member_who_comes_takes_a_waiting_order_from_the_grids_queue() -> None:
    # No grid staff: the order placed before the session waits until a member comes at 19 h.
    run = run_with([(18.0, HOUSING, 0)], ["staffing.grid_workers=0"])
    book = members(run).book
    assert book is not None and int(book.cases[0].sum()) == 1
    assert run.handlers.grids[0].withdrawn == 1
    assert run.ledger.closed == 1


def test_an_order_taken_from_a_queue_leaves_its_line_at_once() -> None:
    # Lazily, its stale entry could match the ticket it gets in another pool's queue, and
    # this pool would serve it too.
    env = simpy.Environment()
    pool = ServerPool(env, "grid", "grid", 0, lambda item: 1.0, lambda item, pool: None)
    first, second = SimpleNamespace(ticket=0, n=1), SimpleNamespace(ticket=0, n=2)
    pool.arrive(first)
    pool.arrive(second)
    assert pool.take(lambda item: item.n == 2) is second
    assert pool.take(lambda item: item.n == 3) is None
    assert (pool.queue_entries(), pool.queued, pool.withdrawn, second.ticket) == (1, 1, 1, 0)
    assert pool.waiting() == [first]


def test_the_check_catches_a_visit_not_booked() -> None:
    run = run_with([(19.5, HOUSING, 0)])
    mechanism = members(run)
    assert mechanism.book is not None
    mechanism.book.cases[0, 0] += 1
    with pytest.raises(LedgerError, match="visits booked"):
        mechanism.check(run)


def test_sessions_of_a_day_are_merged_and_cut_at_the_horizon() -> None:
    sessions = [
        Session(weekdays=[0, 1], start=19, end=21),
        Session(weekdays=[0], start=20, end=22),
        Session(weekdays=[6], start=9, end=12),
    ]
    monday = govsim.load_scenario(BASELINE).start_date
    assert session_windows(sessions, monday, 24 * 7) == [
        (19.0, 22.0),
        (43.0, 45.0),
        (153.0, 156.0),
    ]
    assert session_windows(sessions, monday, 20.0) == [(19.0, 20.0)]


# -- the scenario's errors name the file, the line and the key --------------------------------
@pytest.mark.parametrize(
    ("section", "key", "message"),
    [
        (
            "{enabled: true, categories: [housng]}",
            "volunteers.categories.0",
            "did you mean 'housing'",
        ),
        ("{enabled: true}", "volunteers.categories", "name the categories"),
        (
            "{enabled: true, categories: [housing], sessions: [{weekdays: [7], start: 1, end: 2}]}",
            "volunteers.sessions.0.weekdays.0",
            "Input should be 0, 1",
        ),
        (
            "{enabled: true, categories: [housing], sessions: [{weekdays: [1], start: 9, end: 8}]}",
            "volunteers.sessions.0",
            "ends after it starts",
        ),
        ("{enabled: true, categories: [housing], turnout: 1.5}", "volunteers.turnout", "1"),
    ],
    ids=["unknown category", "no category", "weekday 7", "ends before it starts", "turnout 1.5"],
)
def test_a_wrong_section_names_file_line_and_key(
    tmp_path: Path, section: str, key: str, message: str
) -> None:
    text = BASELINE.read_text() + f"\nvolunteers: {section}\n"
    path = tmp_path / "city.yaml"
    path.write_text(text)
    line = len(text.splitlines())
    with pytest.raises(UserInputError) as error:
        govsim.load_scenario(path)
    wrong = error.value
    assert (wrong.source, wrong.line, wrong.key_path) == (str(path), line, key)
    assert message in wrong.message


# -- the experiment, cut down (experiments/party/volunteers.py) -------------------------------
EXPERIMENT = Path(__file__).resolve().parents[1] / "experiments" / "party" / "volunteers.py"


@pytest.mark.slow
def test_members_shorten_the_named_orders_at_stretched_grids() -> None:
    """Three seeds, 45 days of the stretched city (one grid worker): with members, the named
    categories' orders close sooner at the grid and the staff are less busy, in every seed;
    orders routed straight to a department, which never reach a grid, move by under an hour."""
    experiment = load_script(EXPERIMENT, "volunteers_experiment")
    city, members = (tuple(part) for part in experiment.SETTINGS["stretched"])
    for seed in (1, 2, 3):
        off = experiment.measure(city, None, seed, 45.0)
        on = experiment.measure(city, members, seed, 45.0)
        assert on["ttc_named_at_grid"] < off["ttc_named_at_grid"] - 3.0
        assert on["grid_utilisation"] < off["grid_utilisation"] - 0.03
        assert abs(on["ttc_routed_to_department"] - off["ttc_routed_to_department"]) < 1.0
        assert on["member_visits"] > 0 == off["member_visits"]
