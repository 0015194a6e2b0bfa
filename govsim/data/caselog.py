"""The case-log format: one row per appeal, the fields of a 12345 work order.

A case log is a CSV or parquet file. Four columns are required (when the appeal came
in, what about, where, how); the others are optional, and each one present makes more
of the model identifiable (see :data:`COLUMNS` and ``docs/caselog.md``). Times are local
wall-clock times without a UTC offset (ISO 8601 text in CSV, text or timestamps in
parquet).

:func:`read_log` reads and validates a log in whole columns (a million rows take
seconds) and refuses a bad one with one :class:`LogError` naming the file, the row and
the column. Rows are numbered from 1 in file order, the header and blank lines not counted
(in a CSV without blank lines or line breaks inside fields, row ``n`` is line ``n + 1``).

Values must be plausible, not only well-formed: times between :data:`EARLIEST` and
:data:`LATEST`, a log's ``created`` times within :data:`~govsim.core.bounds.MAX_DAYS` days (the
longest a scenario runs), every later time of a row within
:data:`~govsim.core.bounds.MAX_HOURS` of its ``created``, counts whole numbers up to
:data:`MAX_COUNT`; a slip of the keyboard (year 1, ``1e20`` escalations) is refused where it
stands instead of overflowing later.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import difflib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from govsim.core.bounds import MAX_DAYS, MAX_HOURS
from govsim.core.codes import CHANNELS, SATISFACTION_LEVELS, TIERS
from govsim.core.errors import UserInputError

Kind = Literal["time", "text", "choice", "bool", "count", "id"]


@dataclass(frozen=True)
class Column:
    """One column of the format: its kind, whether it is required, and what it enables."""

    name: str
    kind: Kind
    required: bool
    meaning: str
    enables: str = ""
    choices: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column(
        "case_id",
        "id",
        False,
        "Work-order number, unique in the log.",
        "`repeat_of` links; duplicate rows are refused.",
    ),
    Column(
        "created",
        "time",
        True,
        "When the appeal came in (call answered or queued, form sent, patrol find).",
        "Arrival rates and shapes; replay.",
    ),
    Column(
        "category",
        "text",
        True,
        "What the appeal is about: a category name of the scenario.",
        "Everything per category.",
    ),
    Column(
        "street",
        "text",
        True,
        "Street or township where the problem is: a street of the scenario.",
        "Arrival rates per street; replay places.",
    ),
    Column(
        "district",
        "text",
        False,
        "District of the street (checked against the scenario's city).",
        "",
    ),
    Column(
        "grid",
        "text",
        False,
        "Community grid where the problem is (a grid of the street).",
        "Replay places the appeal in this grid (otherwise one is drawn by population).",
    ),
    Column("channel", "choice", True, "How it came in.", "Channel shares; replay.", CHANNELS),
    Column(
        "repeat_of",
        "id",
        False,
        "`case_id` of the earlier appeal this one repeats (a redial, or a repeat appeal after an "
        "unsatisfied callback); empty for a first contact.",
        "Arrival fit and replay use first contacts only (the model makes its own repeats).",
    ),
    Column(
        "abandoned_at",
        "time",
        False,
        "The caller hung up before an operator answered.",
        "Redial probability and delay (with `repeat_of`); left out of the consultation share.",
    ),
    Column(
        "dispatched",
        "time",
        False,
        "The work order was sent out (empty for consultations).",
        "Consultation and department-routing shares.",
    ),
    Column(
        "first_response",
        "time",
        False,
        "A handler first took the case up (for a consultation: the operator's answer).",
        "Grid and department handling times (with `closed`).",
    ),
    Column(
        "closing_started",
        "time",
        False,
        "The closing unit took the case up for its last visit (its sign-for time).",
        "Street and district handling times (not in exported runs: the model does not record it).",
    ),
    Column(
        "closed",
        "time",
        False,
        "Closed and reported back to the resident.",
        "Handling times, closing-tier shares, lateness in the satisfaction model.",
    ),
    Column(
        "closing_tier",
        "choice",
        False,
        "Tier that closed it.",
        "Consultation, routing and closing-tier shares; resolution by tier.",
        TIERS,
    ),
    Column(
        "closing_unit",
        "text",
        False,
        "Name of the unit that closed it (grid, street, district, "
        "department, or `12345` for the hotline).",
        "Shown in reports only.",
    ),
    Column(
        "escalations",
        "count",
        False,
        "Escalations from tier to tier (grid to street, street to district).",
        "Closing-tier shares; hand-offs in the satisfaction model.",
    ),
    Column(
        "whistles",
        "count",
        False,
        "Times the street whistled for a department (街乡吹哨).",
        "Closing-tier shares when streets whistle; hand-offs.",
    ),
    Column("returns", "count", False, "Wrong dispatches sent back (退单).", "Hand-offs."),
    Column(
        "callback",
        "time",
        False,
        "The valid verification callback (回访) that reached the resident.",
        "Callback reach and delay.",
    ),
    Column(
        "resolved",
        "bool",
        False,
        "The resident said the problem was resolved (true/false).",
        "Resolution probability by tier; the satisfaction model.",
    ),
    Column(
        "satisfaction",
        "choice",
        False,
        "The resident's rating at the callback.",
        "The satisfaction model (ordinal logit).",
        SATISFACTION_LEVELS,
    ),
)
"""The columns of a case log, in the order export writes them."""

BY_NAME = {c.name: c for c in COLUMNS}
REQUIRED = tuple(c.name for c in COLUMNS if c.required)
TIME_COLUMNS = tuple(c.name for c in COLUMNS if c.kind == "time")
EXTRA_PREFIX = "x_"
"""Columns whose name starts with this are the user's own: kept, not checked, not used."""

TIME_ORDER: tuple[tuple[str, str], ...] = (
    ("dispatched", "created"),
    ("first_response", "created"),
    ("first_response", "dispatched"),
    ("abandoned_at", "created"),
    ("closing_started", "first_response"),
    ("closed", "created"),
    ("closed", "first_response"),
    ("closed", "closing_started"),
    ("callback", "closed"),
)
"""(later, earlier) pairs: where both are given, the first must not come before the second."""

EARLIEST = pd.Timestamp("1900-01-01")
LATEST = pd.Timestamp("2200-12-31 23:59:59.999999")
"""The first and last times a log may hold: the first and last days a scenario may start
on (so the ``start_date`` that ``govsim fit`` sets is always valid), far around any real
log and inside the range of the nanosecond times the model computes with (1677 to 2262)."""
MAX_COUNT = 1_000
"""Largest escalations, whistles or returns of one case (a real case has a handful)."""
SHOWN_CHARACTERS = 60
"""A value echoed in a message is cut to this many characters."""
SEPARATORS = {";": "';'", "\t": "a tab", "|": "'|'"}
"""Separators of other CSV dialects, recognised in a header to say what went wrong."""

_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)\s*$")
_ESCAPED = re.compile("[\udc80-\udcff]")
"""Bytes that are not UTF-8, as ``surrogateescape`` decodes them."""
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


class LogError(UserInputError):
    """A bad case log: the message names the file, the row (1-based, file order) and the column."""

    def __init__(
        self, message: str, *, source: str, row: int | str | None = None, column: str | None = None
    ) -> None:
        super().__init__(message, source=source)
        self.row = row
        self.column = column

    def __str__(self) -> str:
        where = self.source or "<log>"
        if self.row is not None:
            where += f", row {self.row}" if isinstance(self.row, int) else f", {self.row}"
        if self.column is not None:
            where += f", column {shown(self.column)}"
        return f"{where}: {self.message}"


def shown(value: object) -> str:
    """``value`` as a message echoes it: quoted, on one line, cut to :data:`SHOWN_CHARACTERS`."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (pd.Timestamp, dt.date)):
        return f"'{value}'"
    text = repr(value)
    if len(text) <= SHOWN_CHARACTERS + 2:
        return text
    if not isinstance(value, (str, bytes)):
        return text[:SHOWN_CHARACTERS] + "..."
    keep = SHOWN_CHARACTERS
    while keep > 1 and len(repr(value[:keep])) > SHOWN_CHARACTERS + 2:  # escapes take room
        keep -= 1
    text = repr(value[:keep])
    return f"{text[:-1]}...{text[-1]} ({len(value):,} characters)"


@dataclass
class CaseLog:
    """A validated case log.

    ``frame`` has the format's columns present in the file with canonical types (times
    as ``datetime64``, names as categoricals, ``resolved`` boolean, counts ``Int64``,
    ids as text), sorted by ``created`` (stable); its index is the 0-based row in the
    file, so ``index + 1`` is the row an error names.
    """

    source: str
    frame: pd.DataFrame

    @property
    def columns(self) -> list[str]:
        return [c.name for c in COLUMNS if c.name in self.frame]

    def has(self, *names: str) -> bool:
        return all(n in self.frame for n in names)

    def first_contacts(self) -> pd.DataFrame:
        """Rows that are not repeats (all rows when the log has no ``repeat_of``)."""
        if "repeat_of" not in self.frame:
            return self.frame
        return self.frame[self.frame["repeat_of"].isna()]

    def window(self) -> tuple[pd.Timestamp, int]:
        """First day (midnight) and number of whole days covered: first to last created date."""
        created = self.frame["created"]
        first = created.iloc[0].normalize()
        last = created.iloc[-1].normalize()
        return first, int((last - first).days) + 1

    def hours(self, column: str, start: pd.Timestamp) -> np.ndarray:
        """``column`` as hours since ``start`` (NaN where empty)."""
        delta = self.frame[column] - start
        return delta.dt.total_seconds().to_numpy(dtype=float, na_value=np.nan) / 3600.0

    def fail(self, message: str, index: int | None, column: str | None) -> LogError:
        """A located error for the row with frame index ``index``."""
        return LogError(
            message,
            source=self.source,
            row=None if index is None else int(index) + 1,
            column=column,
        )


# -- reading ----------------------------------------------------------------------------------
def read_log(path: str | Path) -> CaseLog:
    """Read and validate the case log at ``path`` (raises :class:`LogError`)."""
    path = Path(path)
    source = str(path)
    raw = _read_file(path, source)
    columns = [str(c) for c in raw.columns]
    raw.columns = columns
    _check_header(columns, source)
    if len(raw) == 0:
        raise LogError("the log has a header but no rows", source=source, row="header row")
    frame = pd.DataFrame(index=raw.index)
    for name in columns:
        column = BY_NAME.get(name)
        frame[name] = raw[name] if column is None else _convert(raw[name], column, source)
    _check_rows(frame, source)
    ordered = frame.sort_values("created", kind="stable")
    return CaseLog(source, ordered[[c for c in columns]])


def _read_file(path: Path, source: str) -> pd.DataFrame:
    if path.is_dir():
        raise LogError("is a folder, not a case log file", source=source)
    if not path.exists():
        raise LogError("no such file", source=source)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise LogError(
            f"unknown file type '{suffix or '(none)'}': a case log is a .csv or .parquet file",
            source=source,
        )
    if path.stat().st_size == 0:
        raise LogError("the file is empty (not even a header)", source=source)
    if suffix == ".csv":
        return _read_csv(path, source)
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path).to_pandas()
    except (pa.ArrowException, OSError, ValueError, OverflowError) as exc:
        raise LogError(f"not a readable parquet file ({_first_line(exc)})", source=source) from None


def _read_csv(path: Path, source: str) -> pd.DataFrame:
    def read(engine: Literal["pyarrow", "c"]) -> pd.DataFrame:
        return pd.read_csv(
            path,
            engine=engine,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            encoding="utf-8-sig",
        )

    try:
        with path.open("rb") as handle:
            handle.read(1 << 16).decode("utf-8-sig")
        frame = read("pyarrow")
    except Exception:  # noqa: BLE001 - find the row pyarrow stopped at, with its column
        _find_bad_row(path, source)
    else:
        return frame
    try:  # no bad row found: the C parser's message, if it cannot read the file either
        return read("c")
    except pd.errors.EmptyDataError:
        raise LogError("the file is empty (not even a header)", source=source) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise LogError(f"not a readable CSV file ({_first_line(exc)})", source=source) from None


def _find_bad_row(path: Path, source: str) -> None:
    """Raise a located error for the first row of the CSV that is not UTF-8 or has too few or
    too many fields (what makes the fast reader fail); return if there is none.

    Reads the file with the standard library's ``csv`` module, which keeps every row's
    fields (pandas' C parser fills a short row with empty cells, and names the physical
    line of a long one): slow, but only on a file that is refused.
    """
    limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)  # a field of megabytes is reported, not refused here
    try:
        with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
            header: list[str] | None = None
            row = 0
            for record in csv.reader(handle):
                if not record:  # a blank line: the readers skip it
                    continue
                if header is None:
                    header = record
                    _check_bytes(record, record, "header row", source)
                    _check_separator(record, source)
                    continue
                row += 1
                _check_bytes(record, header, row, source)
                _check_fields(record, header, row, source)
    except csv.Error as exc:
        raise LogError(
            f"not a readable CSV file ({_first_line(exc)})",
            source=source,
            row=row + 1 if header is not None else "header row",
        ) from None
    finally:
        csv.field_size_limit(limit)
    if header is None:
        raise LogError("the file is empty (not even a header)", source=source)


def _check_bytes(record: list[str], header: list[str], row: int | str, source: str) -> None:
    for i, field in enumerate(record):
        found = _ESCAPED.search(field)
        if found:
            raise LogError(
                f"not UTF-8 text (byte 0x{ord(found.group()) - 0xDC00:02x}): save the CSV as UTF-8",
                source=source,
                row=row,
                column=header[i] if i < len(header) else None,
            )


def _check_fields(record: list[str], header: list[str], row: int, source: str) -> None:
    n, expected = len(record), len(header)
    if n < expected:
        hint = next(
            (
                f"; the row holds {name}: is the separator {name}? A case log CSV is "
                "comma-separated"
                for sep, name in SEPARATORS.items()
                if n == 1 and sep in record[0]
            ),
            " (a row cut short?)",
        )
        if any("\n" in value or "\r" in value for value in record):
            hint = " (a quote opened in this row is not closed?)"
        names = header[n:]
        missing = ", ".join(_cut(name) for name in names[:6]) + (
            f", ... ({len(names)} in all)" if len(names) > 6 else ""
        )
        raise LogError(
            f"the row has {n} of the header's {expected} fields: it ends before this column "
            f"(missing: {missing}){hint}",
            source=source,
            row=row,
            column=header[n],
        )
    if n > expected:
        raise LogError(
            f"the row has {n} fields, the header {expected}: field {expected + 1}, "
            f"{shown(record[expected])}, has no column (quote a value that holds a comma: "
            '"a, b")',
            source=source,
            row=row,
        )


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN_CHARACTERS else text[:SHOWN_CHARACTERS] + "..."


def _check_separator(columns: list[str], source: str) -> None:
    """Refuse a header written with another separator (';' in some locales, tabs)."""
    for name in columns:
        for sep, shown_sep in SEPARATORS.items():
            parts = [part.strip().lower() for part in name.split(sep)]
            if len(parts) > 1 and any(part in BY_NAME for part in parts):
                raise LogError(
                    f"the separator is {shown_sep}, not a comma (the header reads "
                    f"{shown(name)}): a case log CSV is comma-separated; save it as CSV with "
                    "commas",
                    source=source,
                    row="header row",
                )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return _cut(text[0]) if text else exc.__class__.__name__


_MANGLED = re.compile(r"^(?P<name>.+)\.(?P<copy>\d+)$")
"""pandas renames a repeated column ``created`` to ``created.1``."""


def _check_header(columns: list[str], source: str) -> None:
    _check_separator(columns, source)
    seen: set[str] = set()
    for number, name in enumerate(columns, start=1):
        mangled = _MANGLED.match(name)
        if name in seen or mangled and mangled["name"] in seen:
            twice = mangled["name"] if mangled and name not in seen else name
            raise LogError(
                "the column appears twice", source=source, row="header row", column=twice
            )
        seen.add(name)
        if name.startswith("Unnamed: ") or not name.strip():
            raise LogError(
                f"column {number} of the header has no name", source=source, row="header row"
            )
        if name not in BY_NAME and not name.startswith(EXTRA_PREFIX):
            raise LogError(_unknown_column(name), source=source, row="header row", column=name)
    for name in REQUIRED:
        if name not in seen:
            raise LogError(
                "required column is missing", source=source, row="header row", column=name
            )


def _unknown_column(name: str) -> str:
    close = difflib.get_close_matches(name.strip().lower(), list(BY_NAME), n=1, cutoff=0.75)
    if close:
        return (
            f"unknown column: did you mean '{close[0]}'? (`govsim log columns` lists the "
            f"format's columns; name your own columns {EXTRA_PREFIX}...)"
        )
    return (
        "unknown column (check its spelling; the format's columns are "
        f"{', '.join(BY_NAME)}; name your own columns {EXTRA_PREFIX}...)"
    )


# -- converting one column --------------------------------------------------------------------
def _convert(values: pd.Series, column: Column, source: str) -> pd.Series:
    convert = _CONVERTERS[column.kind]
    if _first_odd(values) is not None:
        raise _odd_cell(values, column, source, TypeError())
    try:
        out, bad = convert(values, column)
    except (ValueError, TypeError, OverflowError) as exc:  # a parquet cell of an odd type
        raise _odd_cell(values, column, source, exc) from None
    if bad is not None and bad.any():
        index = int(np.flatnonzero(bad.to_numpy())[0])
        raise LogError(
            _describe_bad(values.iloc[index], column),
            source=source,
            row=int(values.index[index]) + 1,
            column=column.name,
        )
    if column.required:
        missing = out.isna().to_numpy()
        if missing.any():
            index = int(np.flatnonzero(missing)[0])
            raise LogError(
                "is empty, and the column is required",
                source=source,
                row=int(values.index[index]) + 1,
                column=column.name,
            )
    return out


_PLAIN = (str, int, float, bool, np.generic, dt.date, pd.Timestamp, decimal.Decimal)


def _odd_cell(values: pd.Series, column: Column, source: str, exc: Exception) -> LogError:
    """The error for the first cell that is not a plain value (bytes, a list, a struct...)."""
    position = _first_odd(values)
    if position is None:
        return LogError(
            f"cannot read the column as {KIND_TEXT[column.kind]} ({_first_line(exc)})",
            source=source,
            column=column.name,
        )
    value = values.iloc[position]
    return LogError(
        f"{shown(value)} is of type {type(value).__name__}, not {KIND_TEXT[column.kind]} "
        "(store it as text or a number)",
        source=source,
        row=int(values.index[position]) + 1,
        column=column.name,
    )


def _first_odd(values: pd.Series) -> int | None:
    """Position of the first value that is not a plain one (parquet can hold any type)."""
    if values.dtype != object:
        return None
    for position, value in enumerate(values.to_numpy()):
        if value is not None and value is not pd.NA and not isinstance(value, _PLAIN):
            return position
    return None


def _missing(values: pd.Series) -> pd.Series:
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        text = values.astype("string")
        return text.isna() | (text.str.strip() == "")
    return values.isna()


def _as_text(values: pd.Series) -> pd.Series:
    """Values as stripped text, missing where empty."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if pd.api.types.is_float_dtype(values.dtype):
        as_int = values.dropna()
        whole = np.isfinite(as_int) & (as_int == np.round(as_int)) & (as_int.abs() < 2**53)
        if whole.all():  # ids read as floats because of empty cells
            values = values.astype("Int64")
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _time(values: pd.Series, column: Column) -> tuple[pd.Series, pd.Series | None]:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values, values.notna()  # every value has an offset: refused below
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return _in_window(values)
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]"), values.notna()
    text = _as_text(values)
    try:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except (ValueError, TypeError):  # mixed offsets: find the first value with one
        offset = text.str.contains(_OFFSET, na=False)
        return text, offset
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return text, text.str.contains(_OFFSET, na=False)
    out, outside = _in_window(parsed)
    return out, (text.notna() & parsed.isna()) | outside


def _in_window(times: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``times`` in nanoseconds, and where they fall outside EARLIEST..LATEST (then NaT)."""
    outside = (times < EARLIEST) | (times > LATEST)
    return times.mask(outside).astype("datetime64[ns]"), outside


def _text(values: pd.Series, column: Column) -> tuple[pd.Series, pd.Series | None]:
    return _as_text(values).astype("category"), None


def _choice(values: pd.Series, column: Column) -> tuple[pd.Series, pd.Series | None]:
    text = _as_text(values)
    bad = text.notna() & ~text.isin(column.choices)
    return text.where(~bad).astype(pd.CategoricalDtype(list(column.choices))), bad


def _bool(values: pd.Series, column: Column) -> tuple[pd.Series, pd.Series | None]:
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("boolean"), None
    if pd.api.types.is_numeric_dtype(values.dtype):
        bad = values.notna() & ~values.isin([0, 1])
        return values.where(~bad).astype("Float64").astype("boolean"), bad
    text = _as_text(values).str.lower()
    true, false = text.isin(_TRUE), text.isin(_FALSE)
    out = pd.array(true.to_numpy(dtype=bool), dtype="boolean")
    out[~(true | false).to_numpy(dtype=bool)] = pd.NA
    return pd.Series(out, index=values.index), text.notna() & ~(true | false)


def _count(values: pd.Series, column: Column) -> tuple[pd.Series, pd.Series | None]:
    given = ~_missing(values)
    if pd.api.types.is_bool_dtype(values.dtype):
        return pd.Series(pd.NA, index=values.index, dtype="Int64"), given
    number = (
        pd.to_numeric(values, errors="coerce")
        if not pd.api.types.is_numeric_dtype(values.dtype)
        else values
    ).astype(float)  # inf, 1e300 and 2**63 stay what they are, to be refused below
    whole = (number >= 0) & (number <= MAX_COUNT) & (number == np.floor(number))
    bad = given & ~whole.fillna(False)
    return number.where(~bad).astype("Float64").astype("Int64"), bad


def _id(values: pd.Series, column: Column) -> tuple[pd.Series, pd.Series | None]:
    if pd.api.types.is_float_dtype(values.dtype):  # 1e20 or inf as a float: not an exact id
        number = values.astype(float)
        bad = values.notna() & ~(np.isfinite(number) & (number.abs() < 2**53))
        return _as_text(values.where(~bad)), bad
    return _as_text(values), None


_CONVERTERS: dict[Kind, Callable[[pd.Series, Column], tuple[pd.Series, pd.Series | None]]] = {
    "time": _time,
    "text": _text,
    "choice": _choice,
    "bool": _bool,
    "count": _count,
    "id": _id,
}


def _describe_bad(value: object, column: Column) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    text = shown(value)
    if column.kind == "time":
        if isinstance(value, str) and _OFFSET.search(value) or _aware(value):
            return (
                f"{text} has a UTC offset: give local wall-clock times without one "
                "(e.g. 2024-03-04 09:30:00)"
            )
        if isinstance(value, (int, float, np.number)):
            return f"{text} is a number, not a date and time (ISO 8601, e.g. 2024-03-04 09:30:00)"
        if _readable_time(value):
            return (
                f"{text} is outside the times a case log may hold ({EARLIEST.date()} to "
                f"{LATEST.date()}): is the year right?"
            )
        return f"cannot read {text} as a date and time (ISO 8601, e.g. 2024-03-04 09:30:00)"
    if column.kind == "choice":
        return f"{text} is not one of {', '.join(column.choices)}"
    if column.kind == "bool":
        return f"{text} is not true or false"
    if column.kind == "count":
        return f"{text} is not a whole number from 0 to {MAX_COUNT:,}"
    if column.kind == "id":
        return f"{text} is not an exact id in a float column: store ids as integers or text"
    return f"{text} is not valid"


def _aware(value: object) -> bool:
    return isinstance(value, (pd.Timestamp, dt.datetime)) and value.tzinfo is not None


def _readable_time(value: object) -> bool:
    """Whether ``value`` is a time (of any year): then only its range was wrong."""
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return True
    try:
        parsed = pd.to_datetime(pd.Series([str(value).strip()]), format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        return False
    return bool(parsed.notna().all())


# -- checks across columns --------------------------------------------------------------------
def _check_rows(frame: pd.DataFrame, source: str) -> None:
    def fail(mask: pd.Series | np.ndarray, column: str, message: Callable[[int], str]) -> None:
        flags = np.asarray(mask, dtype=bool)
        if flags.any():
            position = int(np.flatnonzero(flags)[0])
            raise LogError(
                message(position), source=source, row=int(frame.index[position]) + 1, column=column
            )

    if "case_id" in frame:
        ids = frame["case_id"]
        codes, _ = pd.factorize(ids)  # ids as integers: text comparisons of a million ids are slow
        fail(
            codes < 0,
            "case_id",
            _fixed("is empty: when the column is given, every row needs an id"),
        )
        duplicated = pd.Series(codes).duplicated(keep="first").to_numpy()

        def twice(i: int) -> str:
            first = int(frame.index[int(np.flatnonzero(codes == codes[i])[0])]) + 1
            return f"id {shown(ids.iloc[i])} appears twice (first at row {first})"

        fail(duplicated, "case_id", twice)
    if "repeat_of" in frame:
        _check_repeats(frame, fail)
    for later, earlier in TIME_ORDER:
        if later in frame and earlier in frame:
            backwards = (frame[later] < frame[earlier]).fillna(False)
            fail(backwards, later, _before(frame, later, earlier))
    _check_span(frame, source)
    longest = pd.Timedelta(hours=MAX_HOURS)
    for name in TIME_COLUMNS:
        if name != "created" and name in frame:
            fail((frame[name] - frame["created"] > longest).fillna(False), name, _long(frame, name))
    if "abandoned_at" in frame:
        for other in ("dispatched", "first_response", "closed"):
            if other in frame:
                both = frame["abandoned_at"].notna() & frame[other].notna()
                fail(both, other, _fixed(f"an abandoned call (abandoned_at given) has no {other}"))
    closed = frame["closed"].notna() if "closed" in frame else pd.Series(False, index=frame.index)
    for name in AFTER_CLOSING:
        if name in frame:
            message = f"{name} is given but the case has no closing time ('closed')"
            fail(frame[name].notna() & ~closed, name, _fixed(message))


AFTER_CLOSING = (
    "closing_tier",
    "closing_unit",
    "closing_started",
    "callback",
    "resolved",
    "satisfaction",
)
"""Columns that only a closed case can have."""


def _check_span(frame: pd.DataFrame, source: str) -> None:
    """Refuse a log whose ``created`` times span more days than a scenario can run.

    Names the row farther from the median time (the likely typo: one row dated 1990 in a
    log of 2024 names that row, not the log's first).
    """
    created = frame["created"]
    first, last = created.min(), created.max()
    days = int((last.normalize() - first.normalize()).days) + 1
    if days <= MAX_DAYS:
        return
    median = created.median()
    position = int(created.argmin() if median - first > last - median else created.argmax())
    raise LogError(
        f"{created.iloc[position]} makes the log span {days:,} days ({first.date()} to "
        f"{last.date()}), more than the {MAX_DAYS:,} days a scenario can run: is the year right?",
        source=source,
        row=int(frame.index[position]) + 1,
        column="created",
    )


def _long(frame: pd.DataFrame, name: str) -> Callable[[int], str]:
    def message(i: int) -> str:
        return (
            f"{name} ({frame[name].iloc[i]}) is more than {MAX_HOURS / 24:,.0f} days after "
            f"created ({frame['created'].iloc[i]}): is the year right?"
        )

    return message


def _before(frame: pd.DataFrame, later: str, earlier: str) -> Callable[[int], str]:
    def message(i: int) -> str:
        return (
            f"{later} ({frame[later].iloc[i]}) is before {earlier} ({frame[earlier].iloc[i]}): "
            "a duration cannot be negative"
        )

    return message


def _fixed(text: str) -> Callable[[int], str]:
    return lambda _i: text


def _check_repeats(frame: pd.DataFrame, fail: Callable[..., None]) -> None:
    repeat = frame["repeat_of"]
    given = repeat.notna().to_numpy()
    if "case_id" not in frame:
        fail(given, "repeat_of", _fixed("repeat_of needs a case_id column to refer to"))
        return
    ids = pd.Index(frame["case_id"])  # unique by now
    original = ids.get_indexer(repeat)  # row position of the case repeated, -1 if none
    fail(
        given & (original < 0),
        "repeat_of",
        lambda i: f"refers to case_id {shown(repeat.iloc[i])}, which is not in the log",
    )
    fail(
        given & (original == np.arange(len(frame))),
        "repeat_of",
        _fixed("a case cannot repeat itself"),
    )
    created = frame["created"].to_numpy()
    later = np.zeros(len(frame), dtype=bool)
    known = np.flatnonzero(given & (original >= 0))
    later[known] = created[original[known]] > created[known]
    fail(
        later,
        "repeat_of",
        lambda i: f"repeats case {shown(repeat.iloc[i])}, which was created later",
    )


# -- the reference table ----------------------------------------------------------------------
KIND_TEXT = {
    "time": f"date-time ({EARLIEST.year}-{LATEST.year})",
    "text": "text",
    "choice": "one of",
    "bool": "true/false",
    "count": f"integer 0 to {MAX_COUNT:,}",
    "id": "text or integer",
}


def column_table() -> str:
    """The Markdown table of the columns (docs/caselog.md embeds it; a test keeps it current)."""
    lines = [
        "| column | type | required | meaning | what it enables |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in COLUMNS:
        kind = KIND_TEXT[c.kind] + (
            " " + ", ".join(f"`{x}`" for x in c.choices) if c.choices else ""
        )
        lines.append(
            f"| `{c.name}` | {kind} | {'yes' if c.required else 'no'} | {c.meaning} | {c.enables} |"
        )
    return "\n".join(lines) + "\n"
