"""plugins/*.yml (Hub-style definitions for `meltano add --from-ref`) are current and complete."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EXTRACTOR = REPO_ROOT / "plugins/extractors/tap-exactonline--finance.yml"


def test_definitions_are_generated_from_the_project_files() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/plugin_definitions.py", "--check"], cwd=REPO_ROOT,
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr


def test_extractor_definition_matches_about() -> None:
    """Every setting of ``--about`` with kind, label, description and its sensitivity."""
    about = json.loads(subprocess.run(
        [str(BIN / "tap-exactonline"), "--about", "--format=json"], capture_output=True,
        text=True, check=True,
    ).stdout)
    definition = yaml.safe_load(EXTRACTOR.read_text(encoding="utf-8"))
    declared = {s["name"]: s for s in definition["settings"]}
    assert set(declared) == set(about["settings"]["properties"])
    for name, prop in about["settings"]["properties"].items():
        setting = declared[name]
        assert all(setting.get(k) for k in ("label", "description", "kind")), name
        assert bool(setting.get("sensitive")) == bool(prop.get("secret")), name
        if prop.get("format") == "date-time":
            assert setting["kind"] == "date_iso8601", name
    assert set(definition["capabilities"]) >= set(about["capabilities"]) - {"test"}
    assert definition["pip_url"].startswith("tap-exactonline-finance")
    assert definition["namespace"] == "tap_exactonline"
    assert definition["executable"] == "tap-exactonline"
    assert definition["docs"].startswith("https://")
    assert "!employees.*" in definition["select"]
