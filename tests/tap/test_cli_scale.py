"""`exactonline divisions --json` and `exactonline plan --json` against the sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tap_exactonline.cli.plan import days_for
from tests.support.sandbox import SandboxProcess
from tests.tap.helpers import run_tap, tap_config

EXACTONLINE = str(Path(sys.executable).parent / "exactonline")


def _cli(config: dict, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return subprocess.run([EXACTONLINE, "--config", str(path), *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_divisions_json_lists_readable_and_refused_divisions(
    tapbox: SandboxProcess, tmp_path: Path
) -> None:
    info = requests.get(f"{tapbox.url}/_sandbox/divisions", timeout=30).json()
    refused = info["inaccessible"][0]
    config = tap_config(tapbox, tmp_path, divisions=[refused])
    done = _cli(config, "divisions", "--json", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {r["code"]: r for r in json.loads(done.stdout)}
    assert set(rows) == {*info["accessible"], refused}
    for code in info["accessible"]:
        assert rows[code]["readable"] is True
        assert rows[code]["name"]
        assert rows[code]["current"] is (code == info["current"])
        assert isinstance(rows[code]["calls_left_today"], int)
    assert rows[refused]["readable"] is False
    assert "no access" in rows[refused]["reason"]


def test_plan_json_predicts_the_calls_of_the_first_load(
    tapbox: SandboxProcess, tmp_path: Path
) -> None:
    division = requests.get(f"{tapbox.url}/_sandbox/divisions", timeout=30).json()["current"]
    streams = ["transaction_lines", "gl_accounts", "sales_entries", "sales_entry_lines",
               "payments"]
    config = tap_config(tapbox, tmp_path, divisions=[division], daily_call_reserve=4990)
    done = _cli(config, "plan", "--json", "--streams", ",".join(streams), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    (mine,) = plan["divisions"]
    assert mine["division"] == division
    assert mine["daily_call_reserve"] == 4990
    assert mine["days"] == days_for(mine["calls"], limit=mine["daily_limit"], reserve=4990,
                                    left_today=mine["calls_left_today"])
    # the first load, as the tap makes it: the calls per endpoint are the plan's
    requests.post(f"{tapbox.url}/_sandbox/reset-stats", timeout=30)
    run = run_tap(tmp_path / "run", {**config, "daily_call_reserve": 0}, streams=set(streams))
    assert run.returncode == 0, run.stderr[-2000:]
    calls = tapbox.stats()["calls"]
    predicted: dict[str, int] = {}
    for stream in mine["streams"]:
        path = f"/api/v1/{division}/{stream['endpoint']}"
        predicted[path] = predicted.get(path, 0) + stream["calls"]
    assert {p: calls.get(p) for p in predicted} == predicted


@pytest.mark.parametrize(("calls", "left", "days"), [
    (10, 5000, 1), (4500, 5000, 1), (4501, 5000, 2), (9001, 5000, 3), (100, 600, 1),
    (101, 600, 2), (1, 0, 2),
])
def test_days_for_counts_today_then_whole_days(calls: int, left: int, days: int) -> None:
    assert days_for(calls, limit=5000, reserve=500, left_today=left) == days
