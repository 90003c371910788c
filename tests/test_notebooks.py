"""Every notebook in notebooks/ executes without a cell error (nbclient, small settings).

Each notebook reads PROPELLER_NOTEBOOK_SMALL=1 in its parameters cell (fewer months, particles, experiments) and
writes into PROPELLER_NOTEBOOK_OUT; the kernel runs in a temporary folder, so nothing lands in the repository.
The notebooks are committed without outputs: the test is what executes them.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NEEDS = {"04_exploratory_modelling": "ema_workbench"}


def test_the_four_notebooks_are_there_without_outputs():
    assert [p.stem for p in NOTEBOOKS] == ["01_quick_start", "02_scenario_comparison", "03_calibration_walkthrough",
                                          "04_exploratory_modelling"]
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert "parameters" in code[0].metadata.get("tags", []), path.name
        assert "PROPELLER_NOTEBOOK_SMALL" in code[0].source
        assert all(not c.outputs and c.execution_count is None for c in code), f"{path.name}: commit without outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path, monkeypatch):
    if path.stem in NEEDS:
        pytest.importorskip(NEEDS[path.stem])
    monkeypatch.setenv("PROPELLER_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("PROPELLER_NOTEBOOK_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": tmp_path}},
                                     allow_errors=False)
    client.kernel_manager_class = this_python_kernel()
    t0 = time.perf_counter()
    client.execute()   # raises CellExecutionError on the first cell that fails
    seconds = time.perf_counter() - t0
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert seconds < 120, f"{path.name} took {seconds:.0f} s with small settings"


def this_python_kernel():
    """A KernelManager whose python3 kernel is this interpreter (the project's .venv), whatever kernels Jupyter
    finds elsewhere on the machine."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, name):
            spec = super().get_kernel_spec(name)
            spec.argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
            return spec

    class Manager(KernelManager):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.kernel_spec_manager = ThisPython()

    return Manager
