"""Isolated virtualenvs for third-party tools the tests run (never the project's .venv).

They live in ``.meltano/test-tools/<name>`` (ignored by git, next to Meltano's plugin venvs),
are created on first use with ``uv`` (a Meltano dependency, so present in .venv; a few
seconds each) or, without uv, ``python -m venv`` + pip, and are reused while their
requirements stay the same (a stamp file inside the venv records them). Users of this module:
the warehouse emulators (tests/warehouses/tools.py) and the public Exact Online client
libraries of the compatibility suite (tests/compat/).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_DIR = REPO_ROOT / ".meltano" / "test-tools"


class ToolUnavailable(RuntimeError):
    """The tool's venv could not be created (one line: what failed)."""


def venv_with(name: str, requirements: list[str]) -> Path:
    """The venv ``name`` with ``requirements`` installed, created when missing or stale.

    Raises:
        ToolUnavailable: the venv or the install failed (e.g. no package index reachable).
    """
    venv = TOOLS_DIR / name
    stamp = venv / ".requirements"
    wanted = "\n".join(requirements)
    if stamp.exists() and stamp.read_text() == wanted:
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    uv = Path(sys.executable).parent / "uv"
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    if uv.exists():
        steps = [[str(uv), "venv", "-q", "-p", python, str(venv)],
                 [str(uv), "pip", "install", "-q", "--python", str(venv / "bin" / "python"),
                  *requirements]]
    else:
        steps = [[sys.executable, "-m", "venv", str(venv)],
                 [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *requirements]]
    for step in steps:
        proc = subprocess.run(step, capture_output=True, text=True, timeout=600, check=False)
        if proc.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise ToolUnavailable(f"installing {name} failed: {last[0]}")
    stamp.write_text(wanted)
    return venv
