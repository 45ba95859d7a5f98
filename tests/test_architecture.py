"""Arrows one way (docs/architecture.md): no import cycle, and the tap never needs the sandbox."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept() -> None:
    """`lint-imports` (import-linter, contracts in pyproject.toml) passes: no cycle anywhere."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=REPO_ROOT, capture_output=True, text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout


def test_sandbox_uses_only_the_taps_reference_data() -> None:
    """The sandbox may import the tap's reference data, and nothing else of the tap."""
    graph = grimp.build_graph("exactonline_sandbox", "tap_exactonline", cache_dir=None)
    reached = {
        imported
        for module in graph.find_descendants("exactonline_sandbox") | {"exactonline_sandbox"}
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith("tap_exactonline")
    }
    assert reached == {"tap_exactonline.reference"}


def test_the_tap_imports_no_web_server() -> None:
    """`pip install` of the tap alone brings no web server, so the tap must not import one."""
    graph = grimp.build_graph(
        "tap_exactonline", include_external_packages=True, cache_dir=None
    )
    web = {"starlette", "uvicorn"}
    offenders = {
        (module, imported)
        for module in graph.find_descendants("tap_exactonline") | {"tap_exactonline"}
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.split(".")[0] in web and not module.startswith("tap_exactonline.webhooks")
    }
    assert offenders == set()
