"""The tap's CLI as a user runs it: --about, --discover, config errors (no server needed)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tap_exactonline.streamtable import CATALOG
from tests.tap.helpers import tap_executable

REPO = Path(__file__).resolve().parents[2]
SETTINGS = ["client_id", "client_secret", "refresh_token", "region", "base_url", "divisions",
            "all_divisions", "start_date", "token_store_path", "token_store_key",
            "daily_call_reserve", "opt_in_streams"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tap_executable(), *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_about_markdown_lists_every_setting_and_docs_show_it() -> None:
    result = _run("--about", "--format=markdown")
    assert result.returncode == 0, result.stderr
    table = [line for line in result.stdout.splitlines() if line.startswith("|")]
    for name in SETTINGS:
        assert any(line.startswith(f"| {name} |") for line in table), name
    for doc in (REPO / "docs" / "tap.md", REPO / "README.md"):
        text = doc.read_text().split("<!-- settings-table:start -->")[1]
        block = text.split("<!-- settings-table:end -->")[0]
        assert [line for line in block.splitlines() if line.startswith("|")] == table, doc.name


def test_about_json_marks_secrets() -> None:
    result = _run("--about", "--format=json")
    about = json.loads(result.stdout)
    props = about["settings"]["properties"]
    for name in ("client_secret", "refresh_token", "token_store_key"):
        assert props[name].get("secret") is True, name
    assert props["region"]["enum"] == ["nl", "be", "uk", "de", "fr", "es", "us"]


def test_discover_lists_the_catalog(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"client_id": "x", "client_secret": "y", "divisions": [1]}))
    result = _run("--config", str(config), "--discover")
    assert result.returncode == 0, result.stderr
    streams = {s["tap_stream_id"]: s for s in json.loads(result.stdout)["streams"]}
    assert set(streams) == {spec.name for spec in CATALOG}
    for spec in CATALOG:
        entry = streams[spec.name]
        assert entry["key_properties"] == list(spec.primary_keys)
        expected_rk = {"sync": "Timestamp", "modified": "Modified"}.get(spec.family)
        if spec.expand:
            expected_rk = "EntryModified"
        assert entry.get("replication_key") == expected_rk, spec.name
    # the docs' streams table names every stream with its endpoint
    docs = (REPO / "docs" / "tap.md").read_text()
    for spec in CATALOG:
        assert f"| `{spec.name}` | `{spec.endpoint}`" in docs


def test_bad_region_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"client_id": "x", "client_secret": "y", "region": "xx"}))
    result = _run("--config", str(config))
    assert result.returncode != 0
    assert "'xx' is not one of" in result.stderr
    assert not result.stdout.strip()
