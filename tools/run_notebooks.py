"""Execute the notebooks and keep executed copies (with outputs) in outputs/notebooks/ (git-ignored).

    .venv/bin/python tools/run_notebooks.py [--small] [NAME ...]     # make notebooks

The notebooks in notebooks/ are committed without outputs (tests/test_notebooks.py executes them with small
settings); this writes the full-settings versions a reader can open with their figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def main() -> int:
    import nbclient
    import nbformat
    from test_notebooks import this_python_kernel

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="notebook names (default: all)")
    ap.add_argument("--small", action="store_true", help="small settings (as the tests run them)")
    ap.add_argument("--out", default=str(ROOT / "outputs" / "notebooks"), help="folder for the executed copies")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    os.environ["PROPELLER_NOTEBOOK_SMALL"] = "1" if args.small else "0"
    os.environ["PROPELLER_NOTEBOOK_OUT"] = str(out)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        if args.names and path.stem not in args.names:
            continue
        nb = nbformat.read(path, as_version=4)
        client = nbclient.NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": out}})
        client.kernel_manager_class = this_python_kernel()
        t0 = time.perf_counter()
        client.execute()
        nbformat.write(nb, out / path.name)
        print(f"{path.stem}: {time.perf_counter() - t0:.0f} s -> {out / path.name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
