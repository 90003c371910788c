"""Serve the dashboard: solara's own ``solara run``, called in this process.

Running solara's command in-process (rather than as a child process) keeps one process to stop:
the server is the ``propeller dashboard`` process itself, and Ctrl-C or SIGTERM ends it. Solara's
calls to the outside are switched off: the version check (``--no-check-version``), the usage
telemetry (``SOLARA_TELEMETRY_MIXPANEL_ENABLE=False``) and opening a browser (``--no-open``); its
front-end files come from the local cache that ``propeller.app.dashboard.assets`` fills.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import warnings
from pathlib import Path

APP = "propeller.app.dashboard.app"


def solara_args(host: str, port: int) -> list[str]:
    return [APP, "--host", host, "--port", str(port), "--no-open", "--no-check-version", "--production",
            "--log-level-uvicorn", "warning"]


def port_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (in use, unknown address), or None."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"cannot resolve {host!r} ({exc.strerror or exc})"
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as exc:
            return f"cannot listen on {host}:{port} ({exc.strerror or exc})"
    return None


def serve(scenario: str | Path | None = None, host: str = "127.0.0.1", port: int = 8765) -> int:
    """Run the dashboard server until interrupted (blocks). ``scenario``: a validated scenario file."""
    os.environ["PROPELLER_DASHBOARD_SCENARIO"] = str(Path(scenario).resolve()) if scenario else ""
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"   # before solara reads its settings
    from propeller.app.dashboard import assets

    gone = assets.missing()
    if gone:
        print(f"propeller: warning: solara's browser files are not in {assets.cache_dir()} ({', '.join(gone)}); "
              "without internet access the page stays blank. Fetch them with: python -m propeller.app.dashboard.assets",
              file=sys.stderr)
    from solara.__main__ import run

    # plain http on this machine: solara's advice about samesite cookies over https is noise here
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)

    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"propeller: warning: listening on {host}: anyone who reaches port {port} there can use the dashboard",
              file=sys.stderr)
    print(f"propeller: dashboard at http://{host}:{port}/ (Ctrl-C to stop)", file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        run.main(args=solara_args(host, port), prog_name="propeller dashboard", standalone_mode=False)
    return 0
