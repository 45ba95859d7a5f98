"""Isolated virtualenvs for the warehouse emulators (never installed into the project's .venv).

* ``bqemulator``: ``bqemulator==1.4.0`` with ``duckdb==1.5.5``, ``duckdb-extension-spatial`` and
  numpy (the project's .venv pins ``duckdb<1.3``);
* ``fakesnow``: ``fakesnow[server]==0.12.1`` (duckdb 2.0) with snowflake-connector-python<5
  (5.x dropped ``snowflake.connector.converter``, which fakesnow 0.12.1 imports).

They live in ``.meltano/test-tools/<name>`` (ignored by git, next to Meltano's plugin venvs) and
are created on first use with ``uv`` (a Meltano dependency, so present in .venv; a few seconds
each) or, without uv, ``python -m venv`` + pip. ``python -m tests.warehouses.tools`` creates
both ahead of time (what `make test` can run before pytest).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_DIR = REPO_ROOT / ".meltano" / "test-tools"
REQUIREMENTS = {
    "bqemulator": ["bqemulator==1.4.0", "duckdb==1.5.5", "duckdb-extension-spatial==1.5.5",
                   "numpy"],
    "fakesnow": ["fakesnow[server]==0.12.1", "snowflake-connector-python<5"],
}
EXECUTABLES = {"bqemulator": "bqemulator", "fakesnow": "fakesnow"}


class ToolUnavailable(RuntimeError):
    """The tool's venv could not be created (one line: what failed)."""


def tool_venv(name: str, requirements: list[str] | None = None) -> Path:
    """The venv of ``name`` (with ``requirements``, default :data:`REQUIREMENTS` of ``name``),
    created when missing or incomplete; raises ToolUnavailable."""
    venv = TOOLS_DIR / name
    stamp = venv / ".requirements"
    requirements = requirements or REQUIREMENTS[name]
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
                 [str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                  *requirements]]
    for step in steps:
        proc = subprocess.run(step, capture_output=True, text=True, timeout=600, check=False)
        if proc.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise ToolUnavailable(f"installing {name} failed: {last[0]}")
    stamp.write_text(wanted)
    return venv


def tool_executable(name: str) -> Path:
    """The console script of ``name`` inside its venv."""
    return tool_venv(name) / "bin" / EXECUTABLES[name]


if __name__ == "__main__":
    for tool in REQUIREMENTS:
        print(f"{tool}: {tool_executable(tool)}")
