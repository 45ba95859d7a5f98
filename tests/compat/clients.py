"""The public Exact Online client libraries of the compatibility suite, and how one is run.

Each library lives in its own virtualenv (``.meltano/test-tools/compat-<name>``, made on
first use from PyPI by :func:`tests.support.venvs.venv_with`, then reused; two of them even
share the module name ``exactonline``). A library is exercised by a script of ours in
``scripts/`` that uses it the way its README does, against a sandbox on loopback, and prints
one JSON object of results (see ``scripts/_harness.py``). Versions are pinned: a new release
is a deliberate change of this file.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, SandboxProcess
from tests.support.venvs import venv_with

SCRIPTS = Path(__file__).resolve().parent / "scripts"
#: The app's registered redirect URI (the sandbox echoes any; nothing listens there).
REDIRECT = "https://app.example.test/callback"


@dataclass(frozen=True)
class Library:
    """One client library: PyPI requirement, our script, the environment shim it needs."""

    name: str
    requirement: str
    script: str
    env: dict[str, str] = field(default_factory=dict)


LIBRARIES = {lib.name: lib for lib in (
    Library("ossobv-exactonline", "exactonline==0.4.0", "use_ossobv_exactonline.py"),
    # oauthlib refuses a plain-HTTP token URL unless told this is a local test.
    Library("exactpy", "exactpy==0.0.24", "use_exactpy.py",
            {"OAUTHLIB_INSECURE_TRANSPORT": "1"}),
    Library("python-exact-online", "python-exact-online==1.1.0", "use_python_exact_online.py",
            {"OAUTHLIB_INSECURE_TRANSPORT": "1"}),
    Library("exact-online-sdk", "exact-online-sdk==2.0.0", "use_exact_online_sdk.py"),
)}


def python_of(lib: Library) -> Path:
    """The interpreter of the library's venv (made or reused; raises ToolUnavailable)."""
    return venv_with(f"compat-{lib.name}", [lib.requirement]) / "bin" / "python"


def run_library(lib: Library, sandbox: SandboxProcess, work: Path) -> dict[str, Any]:
    """Run the library's script against ``sandbox``; its results by step name.

    Raises:
        AssertionError: the script crashed outside a step (its stderr is in the message).
    """
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("EO_", "OAUTHLIB_"))},
        "EO_URL": sandbox.url, "EO_CLIENT_ID": CLIENT_ID, "EO_CLIENT_SECRET": CLIENT_SECRET,
        "EO_REDIRECT": REDIRECT, "HOME": str(work), **lib.env,
    }
    proc = subprocess.run([str(python_of(lib)), str(SCRIPTS / lib.script)], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    (work / f"{lib.name}.log").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == 0, f"{lib.script} failed: {proc.stderr[-2000:]}"
    assert lines, f"{lib.script} printed nothing: {proc.stderr[-2000:]}"
    results: dict[str, Any] = json.loads(lines[-1])
    return results
