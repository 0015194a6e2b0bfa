"""Case logs at the command line: a broken log is refused where it is broken, and only there.

Issue 25, F6 (dates out of range, a log spanning more than a scenario can run), F7 (counts
that are not whole numbers of a plausible size, rows with too few or too many fields) and
F10 (a misspelt column, another separator, a huge value echoed whole) each have a plain
test below. Then a property: hypothesis breaks a small valid log (CSV or parquet) by one
mutation (a wrong type in a cell, a time out of range, NaN, inf and huge numbers, a
duplicated id, a row cut short or too long, another separator, bytes that are not UTF-8,
an empty file, a header only, a misspelt, missing or repeated column, a stray BOM...) and
gives it to ``govsim log validate``, ``govsim fit`` and a run replaying it. Each must end
in exit 2 with the same one line naming the file and the row and column the mutation
broke (the header row, or the file alone for an empty or unreadable one), no traceback,
nothing written, and bounded work: one pass of each reader over the file, counted (the
test asserts behaviour, not speed). Valid variants (rows shuffled, optional columns left
out, a BOM, CRLF, every field quoted, the user's own ``x_`` column) exit 0.

The bulk runs in process through ``govsim.app.cli.main`` (what ``python -m govsim`` calls);
a few cases go through a real subprocess to show both print the same.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import random
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import BASELINE, REPO_ROOT
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from govsim.app.cli import main
from govsim.core.bounds import MAX_DAYS
from govsim.data import caselog
from govsim.data.caselog import COLUMNS, MAX_COUNT, SHOWN_CHARACTERS

EXIT_INPUT = 2
NAMES = [c.name for c in COLUMNS]
KIND = {c.name: c.kind for c in COLUMNS}
TIME_COLUMNS = [n for n in NAMES if KIND[n] == "time"]
COUNT_COLUMNS = [n for n in NAMES if KIND[n] == "count"]

BASE: list[dict[str, str]] = [
    dict(
        case_id="1", created="2024-03-04 08:00:00", category="housing", street="D01-S001",
        district="D01", grid="D01-S001-G0001", channel="hotline", dispatched="2024-03-04 08:10:00",
        first_response="2024-03-04 09:00:00", closing_started="2024-03-04 09:30:00",
        closed="2024-03-04 10:00:00", closing_tier="grid", closing_unit="D01-S001-G0001",
        escalations="0", whistles="0", returns="0", callback="2024-03-05 10:00:00",
        resolved="true", satisfaction="satisfied",
    ),
    dict(
        case_id="2", created="2024-03-04 09:00:00", category="traffic", street="D01-S002",
        district="D01", channel="online", dispatched="2024-03-04 09:20:00",
        first_response="2024-03-04 10:00:00", closed="2024-03-04 14:00:00", closing_tier="street",
        closing_unit="D01-S002", escalations="1", whistles="0", returns="0", resolved="false",
    ),
    dict(
        case_id="3", created="2024-03-04 09:30:00", category="health", street="D02-S004",
        district="D02", channel="patrol",
    ),
    dict(
        case_id="4", created="2024-03-04 11:00:00", category="housing", street="D01-S001",
        district="D01", channel="hotline", repeat_of="1", abandoned_at="2024-03-04 11:01:00",
    ),
    dict(
        case_id="5", created="2024-03-05 10:00:00", category="health", street="D02-S005",
        district="D02", channel="online", dispatched="2024-03-05 10:30:00",
        first_response="2024-03-05 11:00:00", closed="2024-03-05 15:00:00",
        closing_tier="department", closing_unit="health", escalations="0", whistles="1",
        returns="1", callback="2024-03-06 09:00:00", resolved="true", satisfaction="basic",
    ),
    dict(
        case_id="6", created="2024-03-06 08:00:00", category="traffic", street="D01-S003",
        district="D01", channel="hotline", first_response="2024-03-06 08:05:00",
        closed="2024-03-06 08:10:00", closing_tier="hotline", closing_unit="12345",
        escalations="0", whistles="0", returns="0", callback="2024-03-06 12:00:00",
        resolved="true", satisfaction="unsatisfied",
    ),
]  # fmt: skip
"""A valid log of every column over three days of the baseline's city."""

REPLAY = (
    "base: {base}\nname: replayed\nstart_date: 2024-03-04\ndays: 3\n"
    "problems:\n  enabled: false\narrivals:\n  replay: {{log: {log}}}\n"
)


def _rows(rows: list[dict[str, str]] | None = None) -> list[list[str]]:
    return [[row.get(n, "") for n in NAMES] for row in (rows or BASE)]


def _csv(
    table: list[list[str]],
    header: list[str] = NAMES,
    delimiter: str = ",",
    quote_all: bool = False,
) -> bytes:
    """CSV text, a field quoted when it holds the delimiter, a quote or a line break (the
    csv module leaves a lone CR bare when its line ends are LF, which splits the row)."""

    def field(value: str) -> str:
        special = quote_all or any(c in value for c in (delimiter, '"', "\r", "\n"))
        return '"' + value.replace('"', '""') + '"' if special else value

    lines = [delimiter.join(field(v) for v in row) for row in [header, *table]]
    return ("\n".join(lines) + "\n").encode("utf-8")


# -- running the commands ---------------------------------------------------------------------
@dataclass
class Outcome:
    code: int
    out: str
    err: str


def run_cli(argv: list[str]) -> Outcome:
    """``govsim ARGV`` in this process, as ``python -m govsim`` runs it (``sys.exit(main())``)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 1
    return Outcome(code, out.getvalue(), err.getvalue())


@dataclass
class Commands:
    """The three commands that read a log, each set up in ``folder`` to write nothing yet."""

    folder: Path
    log: Path

    def validate(self) -> Outcome:
        return run_cli(["log", "validate", str(self.log), "--scenario", str(BASELINE)])

    def fit(self) -> Outcome:
        out = self.folder / "fit"
        out.mkdir(exist_ok=True)
        return run_cli(
            [
                "fit",
                "--calibrate",
                "0",
                str(self.log),
                "--base",
                str(BASELINE),
                "--out",
                str(out / "f.yaml"),
            ]
        )

    def replay(self) -> Outcome:
        scenario = self.folder / "replay.yaml"
        scenario.write_text(REPLAY.format(base=BASELINE, log=self.log), encoding="utf-8")
        return run_cli(["run", str(scenario), "--out", str(self.folder / "run"), "--quiet"])

    def written(self) -> list[str]:
        """What the commands left in the folder beyond the log, the scenario and ``fit/``."""
        left = [p.name for p in self.folder.iterdir() if p.name not in (self.log.name, "fit")]
        left = [name for name in left if name != "replay.yaml"]
        fit = self.folder / "fit"
        return left + ([f"fit/{p.name}" for p in fit.iterdir()] if fit.exists() else [])


def commands(tmp_path: Path, data: bytes, suffix: str = ".csv") -> Commands:
    log = tmp_path / f"log{suffix}"
    log.write_bytes(data)
    return Commands(tmp_path, log)


LOCATED = re.compile(
    r"^govsim: error: (?P<file>.+?)(?:, (?P<row>row \d+|header row))?"
    r"(?:, column (?P<column>'[^'\n]*'|\"[^\"\n]*\")(?: \([\d,]+ characters\))?)?"
    r": (?P<message>.+)$"
)


def refusal(outcome: Outcome, log: Path) -> re.Match[str]:
    """The one located line of a refused log (asserting exit 2, one line, no traceback)."""
    assert outcome.code == EXIT_INPUT, (outcome.code, outcome.err[-2000:])
    assert "Traceback" not in outcome.out + outcome.err
    lines = outcome.err.splitlines()
    assert len(lines) == 1, outcome.err[:2000]
    found = LOCATED.match(lines[0])
    assert found, lines[0]
    assert found["file"] in (str(log), str(log.resolve())), lines[0]
    return found


# -- F6: dates ------------------------------------------------------------------------------
@pytest.mark.parametrize("year", ["0001-01-01", "9999-12-31 23:00:00", "1677-09-21", "2262-04-12"])
def test_f6_a_csv_time_out_of_range_is_refused_at_its_row_and_column(
    tmp_path: Path, year: str
) -> None:
    """Before: an OutOfBoundsDatetime traceback (years 1 and 9999, past pandas' range)."""
    table = _rows()
    table[2][NAMES.index("created")] = year
    run = commands(tmp_path, _csv(table))
    found = refusal(run.validate(), run.log)
    assert (found["row"], found["column"]) == ("row 3", "'created'")
    assert "outside the times a case log may hold (1900-01-01 to 2200-12-31)" in found["message"]


def test_f6_a_parquet_time_in_year_3000_is_refused_by_every_command(tmp_path: Path) -> None:
    frame = {n: pa.array([r.get(n) or None for r in BASE], pa.string()) for n in NAMES}
    created = [dt.datetime.fromisoformat(r["created"]) for r in BASE]
    created[4] = dt.datetime(3000, 1, 1)
    frame["created"] = pa.array(created, pa.timestamp("us"))
    frame["escalations"] = pa.array(
        [int(r["escalations"]) if r.get("escalations") else None for r in BASE]
    )
    buffer = io.BytesIO()
    pq.write_table(pa.table(frame), buffer)
    run = commands(tmp_path, buffer.getvalue(), ".parquet")
    lines = set()
    for outcome in (run.validate(), run.fit(), run.replay()):
        found = refusal(outcome, run.log)
        assert (found["row"], found["column"]) == ("row 5", "'created'")
        lines.add(found["message"])
    assert len(lines) == 1 and "'3000-01-01 00:00:00' is outside" in lines.pop()
    assert run.written() == []


def test_f6_a_row_dated_1900_is_refused_at_reading_not_left_to_fit(tmp_path: Path) -> None:
    """Before: validate exit 0, then fit 'RuntimeError: ... (a bug of govsim fit)' (days > 3660)."""
    table = _rows()
    table[2][NAMES.index("created")] = "1900-01-01 12:00:00"
    run = commands(tmp_path, _csv(table))
    for outcome in (run.validate(), run.fit(), run.replay()):
        found = refusal(outcome, run.log)
        assert (found["row"], found["column"]) == ("row 3", "'created'")
        assert f"more than the {MAX_DAYS:,} days a scenario can run" in found["message"]
    assert run.written() == []


def test_f6_a_time_decades_after_created_is_refused(tmp_path: Path) -> None:
    table = _rows()
    table[0][NAMES.index("callback")] = "2099-03-05 10:00:00"
    run = commands(tmp_path, _csv(table))
    found = refusal(run.validate(), run.log)
    assert (found["row"], found["column"]) == ("row 1", "'callback'")
    assert "days after created" in found["message"]


def test_f6_a_log_of_a_longest_scenario_still_validates(tmp_path: Path) -> None:
    """The span rule refuses one day more than a scenario can run, not less."""
    table = _rows()
    last = dt.date(2024, 3, 4) + dt.timedelta(days=MAX_DAYS - 1)
    table[5][NAMES.index("created")] = f"{last} 00:00:00"
    for name in ("first_response", "closed", "callback"):
        table[5][NAMES.index(name)] = f"{last} 01:00:00"
    run = commands(tmp_path, _csv(table))
    assert run.validate().code == 0
    table[5][NAMES.index("created")] = f"{last + dt.timedelta(days=1)} 00:00:00"
    run = commands(tmp_path, _csv(table))
    assert refusal(run.validate(), run.log)["row"] == "row 6"


# -- F7: counts and row lengths -------------------------------------------------------------
@pytest.mark.parametrize(
    "value", ["inf", "1e20", "9223372036854775808", "2^63", "1e300", "-1", "0.5", "-inf", "nan"]
)
@pytest.mark.parametrize("column", ["escalations", "whistles"])
def test_f7_a_count_that_is_no_plausible_whole_number_is_refused(
    tmp_path: Path, column: str, value: str
) -> None:
    """Before: inf, 1e20, 2^63 and 1e300 were stored as -9223372036854775808 (exit 0)."""
    table = _rows()
    table[1][NAMES.index(column)] = value
    run = commands(tmp_path, _csv(table))
    found = refusal(run.validate(), run.log)
    assert (found["row"], found["column"]) == ("row 2", f"'{column}'")
    assert f"is not a whole number from 0 to {MAX_COUNT:,}" in found["message"]


def test_f7_counts_at_the_bound_are_kept_exactly(tmp_path: Path) -> None:
    table = _rows()
    table[1][NAMES.index("escalations")] = str(MAX_COUNT)
    table[1][NAMES.index("returns")] = "3.0"
    path = tmp_path / "log.csv"
    path.write_bytes(_csv(table))
    frame = caselog.read_log(path).frame
    assert frame.loc[1, "escalations"] == MAX_COUNT and frame.loc[1, "returns"] == 3
    assert str(frame["escalations"].dtype) == "Int64"


def test_f7_a_row_cut_short_names_its_row_and_the_missing_columns(tmp_path: Path) -> None:
    """Before: 8 of 21 fields were read as empty cells and the log replayed (exit 0)."""
    data = _csv(_rows()).decode()
    lines = data.splitlines()
    lines[3] = ",".join(lines[3].split(",")[:8])  # row 3: case_id .. repeat_of
    run = commands(tmp_path, ("\n".join(lines) + "\n").encode())
    for outcome in (run.validate(), run.replay()):
        found = refusal(outcome, run.log)
        assert (found["row"], found["column"]) == ("row 3", "'abandoned_at'")
        assert "the row has 8 of the header's 21 fields" in found["message"]
        assert "missing: abandoned_at, dispatched, first_response" in found["message"]
    assert run.written() == []


def test_f7_an_extra_field_names_its_row_not_a_line(tmp_path: Path) -> None:
    """Before: 'not a readable CSV file (... Expected 21 fields in line 6, saw 22)'."""
    data = _csv(_rows()).decode()
    lines = data.splitlines()
    lines[5] += ",surplus"
    run = commands(tmp_path, ("\n".join(lines) + "\n").encode())
    found = refusal(run.validate(), run.log)
    assert found["row"] == "row 5" and found["column"] is None
    assert (
        "the row has 22 fields, the header 21: field 22, 'surplus', has no column"
        in (found["message"])
    )
    assert "line" not in found["message"]


def test_f7_rows_are_counted_as_records_past_blank_lines_and_quoted_line_breaks(
    tmp_path: Path,
) -> None:
    """Row n is the n-th record after the header, whatever the physical lines."""
    table = _rows()
    table[0][NAMES.index("closing_unit")] = "D01-S001-G0001\nsecond line"  # quoted
    table[4][NAMES.index("whistles")] = "x"
    data = _csv(table).decode().replace("\n3,", "\n\n3,")  # a blank line before row 3
    run = commands(tmp_path, data.encode())
    found = refusal(run.validate(), run.log)
    assert (found["row"], found["column"]) == ("row 5", "'whistles'")


# -- F10: headers, separators, long values -------------------------------------------------
@pytest.mark.parametrize(
    ("wrong", "right"),
    [("Created", "created"), ("CASE_ID", "case_id"), ("escalation", "escalations")],
)
def test_f10_a_misspelt_column_gets_a_did_you_mean(tmp_path: Path, wrong: str, right: str) -> None:
    header = [wrong if n == right else n for n in NAMES]
    run = commands(tmp_path, _csv(_rows(), header=header))
    found = refusal(run.validate(), run.log)
    assert (found["row"], found["column"]) == ("header row", f"'{wrong}'")
    assert f"did you mean '{right}'?" in found["message"]


@pytest.mark.parametrize(("delimiter", "named"), [(";", "';'"), ("\t", "a tab"), ("|", "'|'")])
def test_f10_another_separator_is_named(tmp_path: Path, delimiter: str, named: str) -> None:
    """Before: "unknown column 'case_id;created;...'"."""
    run = commands(tmp_path, _csv(_rows(), delimiter=delimiter))
    found = refusal(run.validate(), run.log)
    assert found["row"] == "header row" and found["column"] is None
    assert found["message"].startswith(f"the separator is {named}, not a comma")


def test_f10_rows_with_another_separator_than_the_header_say_so(tmp_path: Path) -> None:
    data = _csv(_rows()).decode().splitlines()
    data[2] = data[2].replace(",", ";")
    run = commands(tmp_path, ("\n".join(data) + "\n").encode())
    found = refusal(run.validate(), run.log)
    assert (found["row"], found["column"]) == ("row 2", "'created'")
    assert "is the separator ';'?" in found["message"]


@pytest.mark.parametrize("column", ["created", "escalations", "channel", "case_id", "category"])
def test_f10_a_five_megabyte_value_is_cut_in_the_message(tmp_path: Path, column: str) -> None:
    """Before: the whole value was echoed. ``category`` is checked against the scenario,
    ``case_id`` as a duplicate id."""
    table = _rows()
    huge = "1" * 5_000_000
    table[1][NAMES.index(column)] = huge
    if column == "case_id":
        table[2][NAMES.index(column)] = huge
    run = commands(tmp_path, _csv(table))
    found = refusal(run.validate(), run.log)
    assert found["row"] == ("row 3" if column == "case_id" else "row 2")
    assert found["column"] == f"'{column}'"
    assert len(found[0]) < 500 and "(5,000,000 characters)" in found["message"]
    assert "1" * (SHOWN_CHARACTERS + 1) not in found["message"]


def test_f10_a_column_name_on_two_lines_is_shown_on_one(tmp_path: Path) -> None:
    run = commands(tmp_path, _csv(_rows(), header=[*NAMES[:-1], "satis\nfaction"]))
    found = refusal(run.validate(), run.log)
    assert found["column"] == "'satis\\nfaction'"


# -- the property -------------------------------------------------------------------------------
@dataclass
class Case:
    """A log and where it is broken (``valid``: it is not)."""

    kind: str
    data: bytes
    suffix: str = ".csv"
    valid: bool = False
    row: int | str | None = None
    """1-based row, "header row", or None: the file as a whole (or any row: ``any_row``)."""
    columns: tuple[str, ...] = ()
    """The column named is one of these; empty: no column named."""
    fragment: str = ""
    any_row: bool = False
    any_column: bool = False
    rows: list[list[str]] = field(default_factory=list)


TOKENS = {
    "time": [
        "NaN", "nan", "NaT", "None", "null", "inf", "yesterday", "2024-02-30 10:00",
        "2024-13-01", "1e300", "2024-03-04 25:00", "45000", "2024-03-04T08:00:00+08:00",
        "2024-03-04 08:00:00Z", "\ufeff2024-03-04",
    ],
    "count": [
        "inf", "-inf", "Infinity", "NaN", "nan", "1e20", "1e300", "9223372036854775808",
        "18446744073709551616", "2^63", "-1", "0.5", "1.5", "x", "true", "1,000", "0x10",
    ],
    "bool": ["maybe", "2", "-1", "NaN", "none", "1.0", "oui", "\ufefftrue"],
    "choice": ["phone", "Hotline", "HOTLINE", "NaN", "none", "1", "grid.", "satisfied!"],
}  # fmt: skip
"""Bad cells of each kind: NaN spellings, non-finite and huge numbers, near misses."""


def _bad_time() -> st.SearchStrategy[str]:
    before = st.dates(max_value=dt.date(1899, 12, 31)).map(lambda d: d.isoformat())
    after = st.dates(min_value=dt.date(2201, 1, 1)).map(lambda d: d.isoformat() + " 08:00:00")
    return st.one_of(st.sampled_from(TOKENS["time"]), before, after)


def _bad_count() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(TOKENS["count"]),
        st.integers(max_value=-1).map(str),
        st.integers(min_value=MAX_COUNT + 1).map(str),
        st.floats().filter(lambda x: not (x.is_integer() and 0 <= x <= MAX_COUNT)).map(repr),
    )


def bad_value(kind: str) -> st.SearchStrategy[str]:
    junk = st.text(max_size=30).map(lambda t: "?" + t)
    if kind == "time":
        return st.one_of(_bad_time(), junk)
    if kind == "count":
        return st.one_of(_bad_count(), junk)
    return st.one_of(st.sampled_from(TOKENS[kind]), junk)


TYPED = [n for n in NAMES if KIND[n] in ("time", "count", "bool", "choice")]
REQUIRED_TEXT = ("created", "category", "street", "channel")


@st.composite
def wrong_cell(draw: st.DrawFn, kind: str) -> Case:
    """One cell of a typed column gets a value of the wrong type, out of range, NaN, huge."""
    row = draw(st.integers(0, len(BASE) - 1))
    column = draw(st.sampled_from([n for n in TYPED if KIND[n] == kind]))
    table = _rows()
    table[row][NAMES.index(column)] = draw(bad_value(KIND[column]))
    return Case(f"wrong {KIND[column]}", _csv(table), row=row + 1, columns=(column,))


@st.composite
def empty_required(draw: st.DrawFn) -> Case:
    row = draw(st.integers(0, len(BASE) - 1))
    column = draw(st.sampled_from(REQUIRED_TEXT))
    table = _rows()
    table[row][NAMES.index(column)] = draw(st.sampled_from(["", " ", "\t", "   "]))
    return Case("empty required", _csv(table), row=row + 1, columns=(column,), fragment="empty")


@st.composite
def huge_value(draw: st.DrawFn) -> Case:
    row = draw(st.integers(0, len(BASE) - 1))
    column = draw(st.sampled_from(TYPED))
    size = draw(st.integers(1_000, 50_000))
    table = _rows()
    table[row][NAMES.index(column)] = draw(st.sampled_from("9x?")) * size
    return Case("huge value", _csv(table), row=row + 1, columns=(column,), fragment="characters)")


@st.composite
def duplicated_id(draw: st.DrawFn) -> Case:
    first = draw(st.integers(0, len(BASE) - 2))
    second = draw(st.integers(first + 1, len(BASE) - 1))
    table = _rows()
    table[second][0] = table[first][0]
    return Case(
        "duplicated id", _csv(table), row=second + 1, columns=("case_id",), fragment="twice"
    )


@st.composite
def unknown_repeat(draw: st.DrawFn) -> Case:
    row = draw(st.integers(0, len(BASE) - 1))
    table = _rows()
    table[row][NAMES.index("repeat_of")] = draw(st.sampled_from(["99", "x", str(row + 1)]))
    return Case("bad repeat_of", _csv(table), row=row + 1, columns=("repeat_of",))


@st.composite
def time_order(draw: st.DrawFn) -> Case:
    """A later time moved before an earlier one of its row: a negative duration."""
    table = _rows()
    pairs = [
        (r, later)
        for r, row in enumerate(BASE)
        for later, earlier in caselog.TIME_ORDER
        if row.get(later) and row.get(earlier)
    ]
    row, later = draw(st.sampled_from(pairs))
    minutes = draw(st.integers(1, 60 * 24 * 30))
    created = dt.datetime.fromisoformat(BASE[row]["created"])
    table[row][NAMES.index(later)] = str(created - dt.timedelta(minutes=minutes))
    later_times = tuple(n for n in TIME_COLUMNS if n != "created")
    return Case("negative duration", _csv(table), row=row + 1, columns=later_times)


@st.composite
def far_date(draw: st.DrawFn) -> Case:
    """A created date inside 1900-2200 but decades away: the log spans more than a scenario."""
    row = draw(st.integers(0, len(BASE) - 1))
    earlier = draw(st.booleans())
    year = draw(st.integers(1900, 2013) if earlier else st.integers(2035, 2199))
    table = _rows()
    table[row][NAMES.index("created")] = f"{year}-06-01 12:00:00"
    for other in table:  # else a repeat of a later case could be refused first
        other[NAMES.index("repeat_of")] = ""
    return Case("far date", _csv(table), row=row + 1, columns=tuple(TIME_COLUMNS))


@st.composite
def cut_row(draw: st.DrawFn) -> Case:
    row = draw(st.integers(0, len(BASE) - 1))
    keep = draw(st.integers(1, len(NAMES) - 1))
    table = _rows()
    table[row] = table[row][:keep]
    fragment = f"the row has {keep} of the header's {len(NAMES)} fields"
    return Case(
        "row cut short", _csv(table), row=row + 1, columns=(NAMES[keep],), fragment=fragment
    )


@st.composite
def long_row(draw: st.DrawFn) -> Case:
    row = draw(st.integers(0, len(BASE) - 1))
    extra = draw(st.lists(st.text(max_size=8), min_size=1, max_size=4))
    table = _rows()
    table[row] = table[row] + extra
    return Case("row too long", _csv(table), row=row + 1, fragment="has no column")


@st.composite
def separator(draw: st.DrawFn) -> Case:
    delimiter = draw(st.sampled_from([";", "\t", "|"]))
    return Case(
        "separator", _csv(_rows(), delimiter=delimiter), row="header row", fragment="separator"
    )


@st.composite
def binary_junk(draw: st.DrawFn) -> Case:
    """Bytes that are not UTF-8 (0xff never is) inserted anywhere."""
    data = _csv(_rows())
    at = draw(st.integers(0, len(data)))
    junk = draw(st.binary(max_size=24)) + b"\xff" + draw(st.binary(max_size=24))
    line = data[:at].count(b"\n")
    plain = not any(c in junk for c in b'"\n\r,')  # junk that cannot move a field or a row
    where: int | str = "header row" if line == 0 else line
    return Case(
        "binary junk",
        data[:at] + junk + data[at:],
        row=where if plain else None,
        any_row=not plain,
        any_column=True,
    )


@st.composite
def header_problem(draw: st.DrawFn) -> Case:
    column = draw(st.sampled_from(NAMES))
    how = draw(st.sampled_from(["upper", "title", "typo", "drop", "twice", "bom", "space"]))
    header = list(NAMES)
    table = _rows()
    i = NAMES.index(column)
    if how == "drop":
        if column not in caselog.REQUIRED:
            column = draw(st.sampled_from(caselog.REQUIRED))
            i = NAMES.index(column)
        del header[i]
        table = [r[:i] + r[i + 1 :] for r in table]
        return Case("missing column", _csv(table, header), row="header row", columns=(column,))
    if how == "twice":
        other = draw(st.sampled_from([n for n in NAMES if n != column]))
        header[NAMES.index(other)] = column
        return Case("column twice", _csv(table, header), row="header row", columns=(column,))
    if how == "typo":
        cut = draw(st.integers(0, len(column) - 1))
        name = column[:cut] + column[cut + 1 :]
        if name in NAMES or name.startswith("x_") or len(name) < 4:
            name = column.title()
    else:
        name = {
            "upper": column.upper(),
            "title": column.title(),
            "bom": "\ufeff" + column,
            "space": column + " ",
        }[how]
    if i == 0 and how == "bom":
        name = column.upper()  # a BOM first in the file is the file's, and is allowed
    header[i] = name
    return Case(
        "misspelt column",
        _csv(table, header),
        row="header row",
        columns=(name,),
        fragment="did you mean",
    )


def _file_level() -> st.SearchStrategy[Case]:
    header_only = _csv([])
    return st.sampled_from(
        [
            Case("empty file", b"", fragment="empty"),
            Case("blank lines", b"\n\n\r\n", fragment="empty"),
            Case("bom only", b"\xef\xbb\xbf", fragment="empty"),
            Case("header only", header_only, row="header row", fragment="no rows"),
            Case("header only, crlf", header_only.replace(b"\n", b"\r\n"), row="header row"),
            Case("utf-16", _csv(_rows()).decode().encode("utf-16"), any_row=True, any_column=True),
        ]
    )


# -- parquet ------------------------------------------------------------------------------------
def _arrow_columns() -> dict[str, pa.Array]:
    def values(name: str) -> list[str | None]:
        return [r.get(name) or None for r in BASE]

    out: dict[str, pa.Array] = {}
    for name in NAMES:
        kind = KIND[name]
        if kind == "time":
            times = [None if v is None else dt.datetime.fromisoformat(v) for v in values(name)]
            out[name] = pa.array(times, pa.timestamp("us"))
        elif kind == "count":
            out[name] = pa.array([None if v is None else int(v) for v in values(name)], pa.int64())
        elif kind == "bool":
            out[name] = pa.array([None if v is None else v == "true" for v in values(name)])
        elif name == "case_id":
            out[name] = pa.array([int(v) for v in values(name) if v is not None], pa.int64())
        else:
            out[name] = pa.array(values(name), pa.string())
    return out


def _parquet(columns: dict[str, pa.Array]) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


@st.composite
def parquet_case(draw: st.DrawFn) -> Case:
    """A typed table broken in one cell (or one column's type), or its file cut short."""
    columns = _arrow_columns()
    row = draw(st.integers(0, len(BASE) - 1))
    how = draw(
        st.sampled_from(
            ["time", "count", "float id", "null required", "bytes", "offset", "cut", "duplicate id"]
        )
    )
    if how == "cut":
        data = _parquet(columns)
        at = draw(st.integers(1, len(data) - 1))
        return Case("parquet cut", data[:at], ".parquet", fragment="parquet")
    if how == "time":
        name = draw(st.sampled_from(TIME_COLUMNS))
        when = draw(
            st.datetimes(max_value=dt.datetime(1899, 12, 31))
            | st.datetimes(min_value=dt.datetime(2201, 1, 1))
        )
        cells = columns[name].to_pylist()
        cells[row] = when
        columns[name] = pa.array(cells, pa.timestamp("us"))
        return Case("parquet time", _parquet(columns), ".parquet", row=row + 1, columns=(name,))
    if how == "count":
        name = draw(st.sampled_from(COUNT_COLUMNS))
        value = draw(
            st.sampled_from([float("inf"), -float("inf"), 1e20, 1e300, -1.0, 0.5, 2.0**63])
            | st.integers(MAX_COUNT + 1, 2**64 - 1)
        )
        cells: list[object] = columns[name].to_pylist()
        cells[row] = value
        kind = pa.uint64() if isinstance(value, int) else pa.float64()
        columns[name] = pa.array(cells, kind)
        return Case("parquet count", _parquet(columns), ".parquet", row=row + 1, columns=(name,))
    if how == "float id":
        cells = [float(v) for v in columns["case_id"].to_pylist()]
        cells[row] = draw(st.sampled_from([float("inf"), float("nan"), 1e20, 2.0**53]))
        columns["case_id"] = pa.array(cells, pa.float64())
        return Case("parquet id", _parquet(columns), ".parquet", row=row + 1, columns=("case_id",))
    if how == "duplicate id":
        cells = columns["case_id"].to_pylist()
        other = draw(st.integers(0, len(BASE) - 1).filter(lambda r: r != row))
        cells[max(row, other)] = cells[min(row, other)]
        columns["case_id"] = pa.array(cells, pa.int64())
        return Case(
            "parquet id",
            _parquet(columns),
            ".parquet",
            row=max(row, other) + 1,
            columns=("case_id",),
        )
    if how == "null required":
        name = draw(st.sampled_from(REQUIRED_TEXT))
        cells = columns[name].to_pylist()
        cells[row] = None
        columns[name] = pa.array(cells, columns[name].type)
        return Case("parquet null", _parquet(columns), ".parquet", row=row + 1, columns=(name,))
    if how == "bytes":
        name = draw(st.sampled_from(["category", "street", "channel", "created", "closing_tier"]))
        cells = [None if v is None else str(v).encode() for v in columns[name].to_pylist()]
        first = next(i for i, v in enumerate(cells) if v is not None)
        return Case(
            "parquet bytes",
            _parquet({**columns, name: pa.array(cells, pa.binary())}),
            ".parquet",
            row=first + 1,
            columns=(name,),
        )
    columns["created"] = pa.array(columns["created"].to_pylist(), pa.timestamp("us", tz="UTC"))
    return Case("parquet offset", _parquet(columns), ".parquet", row=1, columns=("created",))


# -- valid variants ------------------------------------------------------------------------------
OPTIONAL_SAFE = (
    "district", "grid", "closing_unit", "escalations", "whistles", "returns", "satisfaction",
    "resolved", "callback", "closing_started", "dispatched", "repeat_of", "abandoned_at",
)  # fmt: skip
"""Optional columns a valid log can leave out on their own."""


@st.composite
def valid_case(draw: st.DrawFn) -> Case:
    rows = list(BASE)
    random.Random(draw(st.integers(0, 1000))).shuffle(rows)
    dropped = draw(st.sets(st.sampled_from(OPTIONAL_SAFE), max_size=6))
    header = [n for n in NAMES if n not in dropped]
    extra = draw(st.lists(st.text(max_size=12), min_size=len(rows), max_size=len(rows)))
    with_extra = draw(st.booleans())
    if with_extra:
        header = [*header, "x_note"]
    table = [[r.get(n, "") for n in header if n != "x_note"] for r in rows]
    if with_extra:
        table = [t + [e] for t, e in zip(table, extra, strict=True)]
    data = _csv(table, header, quote_all=draw(st.booleans()))
    if draw(st.booleans()):
        data = data.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if draw(st.booleans()):
        data += b"\n\n"
    if draw(st.booleans()):
        return Case("valid parquet", _parquet(_arrow_columns()), ".parquet", valid=True)
    return Case("valid", data, valid=True)


FAMILIES: dict[str, tuple[Callable[[], st.SearchStrategy[Case]], int]] = {
    "time cells": (lambda: wrong_cell("time"), 40),
    "count cells": (lambda: wrong_cell("count"), 30),
    "boolean and choice cells": (lambda: wrong_cell("bool") | wrong_cell("choice"), 25),
    "empty or huge cells": (lambda: empty_required() | huge_value(), 30),
    "ids and time order": (lambda: duplicated_id() | unknown_repeat() | time_order(), 35),
    "dates far apart": (far_date, 20),
    "rows too short or too long": (lambda: cut_row() | long_row(), 35),
    "bytes that are not UTF-8": (binary_junk, 30),
    "headers, separators, empty files": (
        lambda: header_problem() | separator() | _file_level(),
        30,
    ),
    "parquet": (parquet_case, 45),
}
"""Families of damage and how many broken logs each throws (hypothesis draws the details)."""


# -- counting the work --------------------------------------------------------------------------
@dataclass
class Work:
    csv_reads: int = 0
    records: int = 0
    parquet_reads: int = 0


@contextlib.contextmanager
def counted() -> Iterator[Work]:
    """Count the log readers' passes: pandas and pyarrow calls, records of the csv module."""
    work = Work()
    read_csv, reader, read_table = caselog.pd.read_csv, csv.reader, pq.read_table

    def count_csv(*args: object, **kw: object) -> object:
        work.csv_reads += 1
        return read_csv(*args, **kw)  # type: ignore[call-overload]

    def count_records(*args: object, **kw: object) -> Iterator[list[str]]:
        for record in reader(*args, **kw):  # type: ignore[call-overload]
            work.records += 1
            yield record

    def count_table(*args: object, **kw: object) -> object:
        work.parquet_reads += 1
        return read_table(*args, **kw)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(caselog.pd, "read_csv", count_csv)
        patch.setattr(caselog.csv, "reader", count_records)
        patch.setattr(pq, "read_table", count_table)
        yield work


def check_refused(case: Case, outcome: Outcome, run: Commands, work: Work) -> str:
    found = refusal(outcome, run.log)
    if case.any_row:
        pass
    elif case.row is None:
        assert found["row"] is None, found[0]
    elif isinstance(case.row, int):
        assert found["row"] == f"row {case.row}", (case.kind, found[0])
    else:
        assert found["row"] == case.row, (case.kind, found[0])
    if case.columns:
        assert found["column"] in {repr(c) for c in case.columns}, (case.kind, found[0])
    elif not case.any_column:
        assert found["column"] is None, (case.kind, found[0])
    assert case.fragment in found["message"], (case.kind, found[0])
    assert len(found[0]) < 1000, found[0][:1000]
    lines = run.log.read_bytes().count(b"\n") + 1
    assert work.csv_reads <= 2 and work.records <= lines + 1 and work.parquet_reads <= 1, work
    return found[0].replace(str(run.log.resolve()), str(run.log))


VALID_EXAMPLES = 40


def test_the_property_throws_at_least_300_broken_logs() -> None:
    assert sum(examples for _, examples in FAMILIES.values()) >= 300


@pytest.mark.slow
@pytest.mark.parametrize("family", list(FAMILIES))
def test_broken_logs_are_refused_where_they_are_broken(family: str, tmp_path_factory) -> None:
    """Every broken log: exit 2 from validate, fit and replay, the same one located line,
    nothing written, one pass of each reader. 3-10 s a family on two cores."""
    strategy, examples = FAMILIES[family]
    kinds: Counter[str] = Counter()

    @settings(max_examples=examples, suppress_health_check=list(HealthCheck))
    @given(case=strategy())
    def check(case: Case) -> None:
        event(case.kind)
        kinds[case.kind] += 1
        run = commands(tmp_path_factory.mktemp("broken"), case.data, case.suffix)
        messages = set()
        for command in (run.validate, run.fit, run.replay):
            with counted() as work:
                outcome = command()
            messages.add(check_refused(case, outcome, run, work))
        assert len(messages) == 1, messages
        assert run.written() == [], run.written()

    check()
    assert sum(kinds.values()) >= examples, kinds  # hypothesis did not run out of logs


@pytest.mark.slow
def test_valid_variants_of_a_log_are_accepted(tmp_path_factory) -> None:
    @settings(max_examples=VALID_EXAMPLES, suppress_health_check=list(HealthCheck))
    @given(case=valid_case())
    def check(case: Case) -> None:
        run = commands(tmp_path_factory.mktemp("valid"), case.data, case.suffix)
        outcome = run.validate()
        assert outcome.code == 0, outcome.err
        assert "valid case log, 6 appeals" in outcome.out, outcome.out

    check()


@pytest.mark.slow
def test_a_valid_log_is_fitted_and_replayed(tmp_path: Path) -> None:
    run = commands(tmp_path, b"\xef\xbb\xbf" + _csv(_rows()).replace(b"\n", b"\r\n"))
    fitted = run.fit()
    assert fitted.code == 0, fitted.err
    assert sorted(p.name for p in (tmp_path / "fit").iterdir()) == ["f.fit", "f.fit.md", "f.yaml"]
    replayed = run.replay()
    assert replayed.code == 0, replayed.err
    assert (tmp_path / "run" / "summary.json").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "data", "suffix"),
    [
        ("year 1", _csv([[*r[:1], "0001-01-01", *r[2:]] for r in _rows()]), ".csv"),
        ("count inf", _csv([[*r[:15], "inf", *r[16:]] for r in _rows()]), ".csv"),
        ("separator", _csv(_rows(), delimiter=";"), ".csv"),
        ("binary", _csv(_rows())[:300] + b"\xff\xfe" + _csv(_rows())[300:], ".csv"),
    ],
    ids=["year 1", "count inf", "separator", "binary"],
)
def test_the_command_line_prints_what_main_returns(
    tmp_path: Path, kind: str, data: bytes, suffix: str
) -> None:
    """``python -m govsim`` in a subprocess gives the exit code and line of the in-process run."""
    run = commands(tmp_path, data, suffix)
    inside = run.validate()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "govsim",
            "log",
            "validate",
            str(run.log),
            "--scenario",
            str(BASELINE),
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (inside.code, inside.out, inside.err)
    refusal(inside, run.log)
