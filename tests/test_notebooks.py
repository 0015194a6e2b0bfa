"""The notebooks in experiments/ run top to bottom (at small sizes) and are stored without
outputs."""

from __future__ import annotations

import nbclient  # the `test` extra installs nbclient, nbformat and ipykernel
import nbformat
import pytest
from conftest import REPO_ROOT

NOTEBOOKS = ("quickstart", "policy_comparison")
SMALL = {  # read by each notebook's parameter cell
    "GOVSIM_NOTEBOOK_DAYS": "10",
    "GOVSIM_NOTEBOOK_REPLICATIONS": "2",
    "GOVSIM_NOTEBOOK_WARMUP_DAYS": "2",
    "GOVSIM_NOTEBOOK_WORKERS": "1",
    "GOVSIM_NOTEBOOK_SMALL": "1",
}


def read(name: str):
    return nbformat.read(REPO_ROOT / "experiments" / f"{name}.ipynb", as_version=4)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stored_without_outputs(name: str) -> None:
    notebook = read(name)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name: str, monkeypatch, tmp_path) -> None:
    for key, value in SMALL.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = read(name)
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(REPO_ROOT / "experiments")}},
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, if a cell fails
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    figures = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(figures) >= 2  # the backlog and the rates (or paired differences) were drawn
