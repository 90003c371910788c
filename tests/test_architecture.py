"""The package's structure: one import name, a core that never imports the application, one root for user errors.

- ``propeller`` is the only top-level name the project installs: outside the repository ``import model``,
  ``import scenarios`` and ``import calibration`` fail, and no code, test, benchmark, notebook or tool uses them.
- The simulation core (``propeller.core``) and the scenario loader import nothing from the application
  (``propeller.app``) or the calibration, neither statically (every import statement, also inside functions) nor
  at run time (a whole simulation in a fresh process loads no application module).
- The code version that sweeps record hashes exactly the core and the loader.
- Every exception class the package defines is a ``UserError``, and only ``propeller.app.cli.main`` turns one into
  a line and exit code 2.
"""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

from propeller.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = {"propeller": ROOT / "model", "propeller.scenarios": ROOT / "scenarios",
                "propeller.calibration": ROOT / "calibration"}
LEGACY = ("model", "scenarios", "calibration")


def _modules() -> dict[str, Path]:
    """Every module of the package, by dotted name (from the folders that pyproject.toml maps into it)."""
    mods = {}
    for pkg, folder in PACKAGE_DIRS.items():
        for f in sorted(folder.rglob("*.py")):
            parts = f.relative_to(folder).with_suffix("").parts
            if parts[0] in ("scenarios", "calibration") and pkg == "propeller":
                continue
            name = ".".join((pkg, *parts)).removesuffix(".__init__")
            mods[name] = f
    return mods


def _imports(path: Path, name: str) -> set[str]:
    """Absolute names imported anywhere in the module (relative imports resolved against ``name``)."""
    out = set()
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)
    return out


MODULES = _modules()
CORE = {n: p for n, p in MODULES.items() if n == "propeller.core" or n.startswith(("propeller.core.", "propeller.scenarios"))}


def test_the_module_list_is_complete():
    assert "propeller.core.kernels" in MODULES and "propeller.app.cli" in MODULES
    assert "propeller.scenarios.loader" in MODULES and "propeller.calibration.abc" in MODULES
    assert len(CORE) >= 15


@pytest.mark.parametrize("name", sorted(CORE))
def test_core_imports_nothing_from_the_application(name):
    bad = sorted(i for i in _imports(CORE[name], name)
                 if i.startswith(("propeller.app", "propeller.calibration")) or i in ("propeller.app", "propeller.calibration"))
    assert not bad, f"{name} imports {bad}"


def test_the_import_scan_sees_imports_inside_functions(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from propeller.app import cli\n    from ..app.store import Store\n")
    found = _imports(f, "propeller.core.m")
    assert "propeller.app.cli" in found and "propeller.app.store.Store" in found


def test_a_simulation_loads_no_application_module():
    code = ("import sys, json, propeller; propeller.simulate({'simulation.region': 'midden'}, seed=1, until='2024-09'); "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('propeller'))))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT / "outputs")
    loaded = json.loads(r.stdout.strip().splitlines()[-1])
    assert "propeller.core.model" in loaded
    assert not [m for m in loaded if m.startswith(("propeller.app", "propeller.calibration"))], loaded


def test_one_import_name_outside_the_repository(tmp_path):
    code = ("import importlib, json, propeller\n"
            "res = {}\n"
            f"for m in {LEGACY!r}:\n"
            "    try:\n        importlib.import_module(m); res[m] = 'imported'\n"
            "    except ModuleNotFoundError:\n        res[m] = 'missing'\n"
            "res['api'] = [n for n in ('simulate', 'PropellerModel', 'load', 'Scenario', 'UserError') if hasattr(propeller, n)]\n"
            "print(json.dumps(res))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    res = json.loads(r.stdout)
    assert res == {"model": "missing", "scenarios": "missing", "calibration": "missing",
                   "api": ["simulate", "PropellerModel", "load", "Scenario", "UserError"]}


def _project_sources() -> list[Path]:
    files = [p for d in ("model", "scenarios", "calibration", "tests", "benchmarks", "tools") for p in (ROOT / d).rglob("*.py")]
    return sorted(files)


def test_nobody_imports_the_folder_names():
    bad = []
    for f in _project_sources():
        for imp in _imports(f, "x"):
            if imp.split(".")[0] in LEGACY:
                bad.append(f"{f.relative_to(ROOT)}: {imp}")
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "code":
                src = "".join(cell["source"])
                tree = ast.parse("\n".join(ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))))
                for node in ast.walk(tree):
                    mods = ([a.name for a in node.names] if isinstance(node, ast.Import)
                            else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                    bad += [f"{nb.name}: {m}" for m in mods if m.split(".")[0] in LEGACY]
    assert not bad, bad


def test_console_command_and_entry_point_use_the_package():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'propeller = "propeller.app.cli:main"' in text


def test_code_version_hashes_exactly_the_core_and_the_loader():
    from propeller.app.sweeps.record import model_files

    files = {p.resolve() for p in model_files()}
    expected = {p.resolve() for n, p in CORE.items()}
    assert files == expected
    assert not [p for p in files if (ROOT / "model" / "app") in p.parents]


def _exception_classes():
    import importlib

    found = {}
    for name in MODULES:
        if name.startswith("propeller.app.dashboard"):  # solara at import time; its errors are checked below
            continue
        mod = importlib.import_module(name)
        for obj in vars(mod).values():
            if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == name:
                found[f"{name}.{obj.__name__}"] = obj
    return found


# Errors that are a developer's, not a user's: they keep their traceback. A scenario cannot cause them (the loader
# checks every key against uncalibrated_defaults.toml first).
DEVELOPER_ERRORS = {"propeller.core.instruments.registry.RegistryError"}  # a malformed instrument class


def test_every_error_class_is_a_user_error():
    classes = {n: c for n, c in _exception_classes().items() if n not in DEVELOPER_ERRORS}
    assert set(_exception_classes()) >= DEVELOPER_ERRORS
    assert {"propeller.scenarios.loader.ScenarioError", "propeller.app.sweeps.spec.SpecError",
            "propeller.app.store.StoreError", "propeller.calibration.targets.TargetError",
            "propeller.calibration.abc.PriorError", "propeller.app.runner.ExecutorError"} <= set(classes)
    assert not [n for n, c in classes.items() if not issubclass(c, UserError)]


def _exits_with_2(node: ast.AST) -> bool:
    """``return 2``, ``sys.exit(2)``, ``exit(2)`` or ``SystemExit(2)``."""
    if isinstance(node, ast.Return):
        return isinstance(node.value, ast.Constant) and node.value.value == 2
    if isinstance(node, ast.Call):
        fn = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        return fn in ("exit", "SystemExit") and bool(node.args) and isinstance(node.args[0], ast.Constant) \
            and node.args[0].value == 2
    return False


def _prints(node: ast.AST) -> bool:
    """``print(...)`` or ``....write(...)`` (to standard error or anywhere)."""
    return isinstance(node, ast.Call) and (getattr(node.func, "id", "") == "print"
                                           or getattr(node.func, "attr", "") == "write")


def test_only_the_command_turns_user_errors_into_exit_code_2():
    """Outside ``propeller.app.cli`` no handler that catches a UserError (or a subclass) prints it - it re-raises
    it, perhaps as another kind with more context, or uses it as a value - and nothing exits with code 2."""
    names = {c.__name__ for c in _exception_classes().values()} | {"UserError"}
    offenders = []
    for name, f in MODULES.items():
        if name == "propeller.app.cli":
            continue
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                caught = {n.id if isinstance(n, ast.Name) else getattr(n, "attr", "") for n in ast.walk(node.type)}
                if caught & names and any(_prints(n) for b in node.body for n in ast.walk(b)):
                    offenders.append(f"{name}:{node.lineno} catches {sorted(caught & names)} and prints it")
            if _exits_with_2(node):
                offenders.append(f"{name}:{node.lineno} exits with code 2")
    assert not offenders, offenders


def test_the_exit_code_scan_finds_what_it_looks_for():
    tree = ast.parse("def f():\n    return 2\ndef g():\n    raise SystemExit(2)\n")
    assert sum(_exits_with_2(n) for n in ast.walk(tree)) == 2
    tree = ast.parse("try:\n    pass\nexcept UserError as e:\n    print(e, file=sys.stderr)\n")
    assert sum(_prints(n) for n in ast.walk(tree)) == 1


def test_the_command_is_the_one_place(capsys):
    from propeller.app.cli import main

    assert main(["run", "scenarios/uncalibrated_defaults.toml", "--set", "hubs.west.budgett=1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("propeller: --set: hubs.west.budgett: expected")
    assert main(["runn"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "did you mean 'run'?" in err[0]
