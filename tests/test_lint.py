"""Ruff is clean over the repository with the rule sets of pyproject.toml ([tool.ruff.lint]), under the pinned ruff.

Not ``ruff format``: the code base keeps its own layout (140-column lines, aligned continuations).
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_the_pinned_version():
    pinned = re.search(r'"ruff==([^"]+)"', (ROOT / "pyproject.toml").read_text())
    assert pinned, "ruff is pinned in the test extra of pyproject.toml"
    assert version("ruff") == pinned.group(1), "run tools/bootstrap.sh: the installed ruff is not the pinned one"
    assert f"ruff=={pinned.group(1)}\n" in (ROOT / "requirements.lock").read_text()


def test_ruff_check_is_clean():
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"ruff check found problems:\n{r.stdout}{r.stderr}"
