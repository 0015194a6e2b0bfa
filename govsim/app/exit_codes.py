"""What the ``govsim`` command returns, stated once: the commands return these and
``docs/cli.md`` lists them from this docstring.

Exit codes: 0 success; 1 the model broke an invariant (a ledger violation: a bug to
report); 2 bad input (file, key path and line are named; nothing is written), an output
folder that cannot be used or written, or a run that would not fit the machine; 3 some
runs of an experiment failed (the others finished and were written); 130 interrupted
(Ctrl-C; the message says what was kept).
"""

from __future__ import annotations

from govsim.core.interrupts import EXIT_INTERRUPTED

EXIT_OK, EXIT_LEDGER, EXIT_INPUT = 0, 1, 2
EXIT_RUNS_FAILED = 3

__all__ = ["EXIT_INPUT", "EXIT_INTERRUPTED", "EXIT_LEDGER", "EXIT_OK", "EXIT_RUNS_FAILED"]
