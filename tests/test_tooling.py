"""The linter, the formatter and the type checker pass on the tree (configured in pyproject.toml).

They run as tests so that the one test command (README, ``.ci/run``) checks them too; their
versions are pinned in the ``test`` extra, so a new release cannot change the verdict.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO_ROOT


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_check_passes() -> None:
    done = run("ruff", "check", "--no-cache", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_check_passes() -> None:
    done = run("ruff", "format", "--check", "--no-cache", ".")
    assert done.returncode == 0, "run `ruff format .`:\n" + done.stdout + done.stderr


@pytest.mark.slow  # (6 s: the full suite's lane; ruff's checks stay in the fast one)
def test_mypy_passes_on_the_package() -> None:
    done = run("mypy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success" in done.stdout
