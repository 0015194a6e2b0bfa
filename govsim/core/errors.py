"""Errors a user can cause, each carrying what is needed to say where.

The CLI turns a :class:`UserInputError` into one line on stderr and exit code 2;
a :class:`LedgerError` (a case lost or duplicated) is a model bug and exits 1.
"""

from __future__ import annotations


class UserInputError(Exception):
    """Bad input: a scenario file, a ``--set`` override, a missing file.

    ``source`` names the file (or the override), ``key_path`` the dotted key
    and ``line`` the 1-based line in the file where the key stands, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        key_path: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.key_path = key_path
        self.line = line

    def __str__(self) -> str:
        where = self.source or "<input>"
        if self.line is not None:
            where += f", line {self.line}"
        if self.key_path:
            where += f", key '{self.key_path}'"
        return f"{where}: {self.message}"


class LedgerError(RuntimeError):
    """The case ledger does not balance: a case was lost, duplicated or went back in time."""
