"""The browser assets solara's server hands out, kept on this machine.

Solara's server serves its front-end (Vue/Vuetify app, require.js, the grid layout, Vega for Altair
charts) under ``/_solara/cdn/`` from a cache folder, ``<venv>/share/solara/cdn`` by default, and fetches
a missing file from a public CDN on first use. Machines here reach only the package registries, so
the cache is filled ahead from the npm registry with ``npm pack``; the server then never goes out.

    python -m propeller.app.dashboard.assets          # fill the cache (idempotent); exit 1 if npm fails
    python -m propeller.app.dashboard.assets --check  # list what is missing; exit 1 if anything is

The list must follow solara's version (tests/test_dashboard.py checks it against solara's sources).
``katex`` and ``mermaid`` are left out: only ``solara.Markdown`` loads them, and the dashboard
does not use it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# npm spec -> a file the front-end asks for (present once the package is unpacked). The Vue 2 app:
# requirements.lock pins ipyvuetify 1.x, because solara's grid layout (which SolaraViz uses for its
# pages) is a Vue 2 library that fails under ipyvuetify 3 / Vue 3 ("GlobalVue.use is not a function").
PACKAGES = {
    "@widgetti/solara-vuetify-app@10.1.1": "dist/solara-vuetify-app8.min.js",
    "requirejs@2.3.6": "require.js",
    "font-awesome@4.5.0": "css/font-awesome.min.css",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2": "dist/vue-grid-layout.umd.js",
    "vega@5": "build/vega.min.js",
    "vega-lite@5": "build/vega-lite.min.js",
    "vega-embed@6": "build/vega-embed.min.js",
}


def cache_dir() -> Path:
    """Solara's asset cache (``SOLARA_ASSETS_PROXY_CACHE_DIR`` or ``<sys.prefix>/share/solara/cdn``)."""
    import os

    env = os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR")
    return Path(env) if env else Path(sys.prefix) / "share" / "solara" / "cdn"


def missing(cache: Path | None = None) -> list[str]:
    cache = cache or cache_dir()
    return [spec for spec, probe in PACKAGES.items() if not (cache / spec / probe).is_file()]


def fetch(cache: Path | None = None, quiet: bool = True) -> list[str]:
    """Unpack every missing package into ``cache/<spec>/`` (``npm pack`` from the npm registry)."""
    cache = cache or cache_dir()
    todo = missing(cache)
    if not todo:
        return []
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to fetch solara's browser assets from the npm registry (apt-get install npm)")
    with tempfile.TemporaryDirectory() as tmp:
        for spec in todo:
            out = subprocess.run([npm, "pack", "--silent", spec], cwd=tmp, capture_output=True, text=True, timeout=300)
            tgz = [line.strip() for line in out.stdout.splitlines() if line.strip().endswith(".tgz")]
            if out.returncode != 0 or not tgz:
                raise RuntimeError(f"npm pack {spec} failed: {out.stderr.strip().splitlines()[-1:] or out.returncode}")
            target = cache / spec
            staging = Path(tempfile.mkdtemp(dir=tmp))
            with tarfile.open(Path(tmp) / tgz[-1]) as tar:
                tar.extractall(staging, filter="data")
            entries = list(staging.iterdir())
            root = entries[0] if len(entries) == 1 and entries[0].is_dir() else staging  # usually package/
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(root), str(target))
            if not quiet:
                print(f"assets: {spec} -> {target}", file=sys.stderr)
    return todo


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--check" in argv:
        gone = missing()
        for spec in gone:
            print(f"missing: {spec}")
        return 1 if gone else 0
    try:
        fetch(quiet=False)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        print(f"assets: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
