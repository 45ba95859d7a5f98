"""Isolated virtualenvs for the warehouse emulators (never installed into the project's .venv).

* ``bqemulator``: ``bqemulator==1.4.0`` with ``duckdb==1.5.5``, ``duckdb-extension-spatial`` and
  numpy (the project's .venv pins ``duckdb<1.3``);
* ``fakesnow``: ``fakesnow[server]==0.12.1`` (duckdb 2.0) with snowflake-connector-python<5
  (5.x dropped ``snowflake.connector.converter``, which fakesnow 0.12.1 imports).

They are made by :func:`tests.support.venvs.venv_with` (``.meltano/test-tools/<name>``, uv or
pip, reused while the requirements stay the same). ``python -m tests.warehouses.tools``
creates both ahead of time (what `make test` can run before pytest).
"""

from __future__ import annotations

from pathlib import Path

from tests.support.venvs import TOOLS_DIR, ToolUnavailable, venv_with

__all__ = ["REQUIREMENTS", "TOOLS_DIR", "ToolUnavailable", "tool_executable", "tool_venv"]

REQUIREMENTS = {
    "bqemulator": ["bqemulator==1.4.0", "duckdb==1.5.5", "duckdb-extension-spatial==1.5.5",
                   "numpy"],
    "fakesnow": ["fakesnow[server]==0.12.1", "snowflake-connector-python<5"],
}
EXECUTABLES = {"bqemulator": "bqemulator", "fakesnow": "fakesnow"}


def tool_venv(name: str) -> Path:
    """The venv of ``name``, created when missing or incomplete; raises ToolUnavailable."""
    return venv_with(name, REQUIREMENTS[name])


def tool_executable(name: str) -> Path:
    """The console script of ``name`` inside its venv."""
    return tool_venv(name) / "bin" / EXECUTABLES[name]


if __name__ == "__main__":
    for tool in REQUIREMENTS:
        print(f"{tool}: {tool_executable(tool)}")
