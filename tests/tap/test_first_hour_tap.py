"""What a new user meets running the tap itself (issue 12 items 1, 11, 12, 15).

* Item 1: a user's stream map and the project's ``'*'`` audit-column map both apply, in
  either order (Meltano merges an environment's map after the project's, an environment
  variable's before it).
* Item 11: a healthy run logs no WARNING; a handled error is the tap's own line, without the
  SDK's "An unhandled error occurred" or a traceback.
* Item 12: ``employees`` (payroll personal data) is opt-in in the tap itself: not read unless
  the ``opt_in_streams`` setting lists it, even when a catalog selects it (Meltano's ``*.*``).
* Item 15: every run ends with one INFO table: rows per stream and division, API calls used
  and left today per division, the bookmark moved to.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.sandbox import SandboxProcess
from tests.tap.helpers import (
    TapRun,
    discover,
    expected_records,
    run_tap,
    tap_config,
    tap_executable,
    write_json,
)

STAR = {
    "_source": "'exact_online'",
    "_record_key": "str(Division) + ':' + str(record.get('ID') or record.get('EntryID') "
    "or record.get('Code'))",
}
GDPR = {"accounts": {"Email": "__NULL__", "Phone": "__NULL__"}}


@pytest.mark.parametrize(
    "maps",
    [{"*": STAR, **GDPR}, {**GDPR, "*": STAR}],
    ids=["project-map-first", "user-map-first"],
)
def test_user_stream_map_and_audit_columns_both_apply(
    tapbox: SandboxProcess, tmp_path: Path, maps: dict[str, Any]
) -> None:
    run = run_tap(tmp_path, tap_config(tapbox, tmp_path, stream_maps=maps),
                  streams={"accounts", "contacts"})

    assert run.returncode == 0, run.stderr[-2000:]
    accounts = run.schemas["accounts"]["properties"]
    assert "Email" not in accounts  # the GDPR request holds
    assert "Phone" not in accounts
    assert {"_source", "_record_key"} <= set(accounts)  # and the audit columns stay
    assert "Email" in run.schemas["contacts"]["properties"]  # other streams keep their data
    for stream in ("accounts", "contacts"):
        assert run.records[stream], stream
        for record in run.records[stream]:
            assert record["_record_key"] == f"{record['Division']}:{record['ID']}"
            assert record["_source"] == "exact_online"
    assert all("Email" not in r and "Phone" not in r for r in run.records["accounts"])
    assert any(r.get("Email") for r in run.records["contacts"])


def test_a_map_that_drops_a_stream_wins_over_the_star_map(
    tapbox: SandboxProcess, tmp_path: Path
) -> None:
    maps = {"*": STAR, "contacts": None}
    run = run_tap(tmp_path, tap_config(tapbox, tmp_path, stream_maps=maps),
                  streams={"accounts", "contacts"})

    assert run.returncode == 0, run.stderr[-2000:]
    assert "contacts" not in run.records
    assert run.records["accounts"][0]["_source"] == "exact_online"


# -- one default run (no catalog: what `tap-exactonline --config` selects) -------------------
@pytest.fixture(scope="module")
def default_run(tapbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory) -> TapRun:
    work = tmp_path_factory.mktemp("default-run")
    config = write_json(work / "config.json",
                        tap_config(tapbox, work, all_divisions=True))
    proc = subprocess.run([tap_executable(), "--config", str(config)], capture_output=True,
                          timeout=600, check=False)
    run = TapRun(returncode=proc.returncode, stderr=proc.stderr.decode(errors="replace"))
    for line in proc.stdout.splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            run.records[message["stream"]].append(message["record"])
        elif message["type"] == "STATE":
            run.states.append(message["value"])
        elif message["type"] == "SCHEMA":
            run.schemas[message["stream"]] = message["schema"]
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def test_healthy_run_logs_no_warning(default_run: TapRun) -> None:
    noisy = [line for line in default_run.stderr.splitlines()
             if re.search(r"\| (WARNING|ERROR|CRITICAL) ", line)]
    assert noisy == []
    assert "Traceback" not in default_run.stderr


def test_employees_is_opt_in_outside_meltano(default_run: TapRun) -> None:
    assert "employees" not in default_run.schemas
    assert "employees" not in default_run.records
    assert {"transaction_lines", "accounts", "deleted"} <= set(default_run.records)


def test_employees_selected_in_a_catalog_stays_out_until_opted_in(
    tapbox: SandboxProcess, tmp_path: Path
) -> None:
    # What Meltano's default selection ('*.*', e.g. in a project made with `meltano add
    # --from-ref`) hands the tap: every stream marked selected, employees included.
    run = run_tap(tmp_path, tap_config(tapbox, tmp_path, all_divisions=True),
                  streams={"employees", "gl_classifications"})

    assert run.returncode == 0, run.stderr[-2000:]
    assert set(run.records) == {"gl_classifications"}
    assert "employees" not in run.schemas
    said = [line for line in run.stderr.splitlines() if "opt_in_streams" in line]
    assert len(said) == 1, said
    assert "| INFO " in said[0]
    assert "employees" in said[0]


def test_employees_is_read_when_opted_in_and_selected(
    tapbox: SandboxProcess, tmp_path: Path
) -> None:
    config = tap_config(tapbox, tmp_path, all_divisions=True, opt_in_streams=["employees"])
    run = run_tap(tmp_path, config, streams={"employees"})

    assert run.returncode == 0, run.stderr[-2000:]
    truth = {r["ID"] for r in expected_records(tapbox, 3100001, "employees")}
    assert truth
    assert truth <= {r["ID"] for r in run.records["employees"]}


def test_opt_in_streams_naming_another_stream_is_one_line(
    tapbox: SandboxProcess, tmp_path: Path
) -> None:
    write_json(tmp_path / "catalog.json",
               discover(write_json(tmp_path / "good.json", tap_config(tapbox, tmp_path))))
    config = tap_config(tapbox, tmp_path, opt_in_streams=["employees", "accounts"])
    run = run_tap(tmp_path, config, streams={"accounts"})

    assert run.returncode == 1
    assert [line for line in run.stderr.splitlines() if "| INFO " not in line] == [
        "tap-exactonline: opt_in_streams: accounts is not an opt-in stream; the opt-in streams "
        "are employees (other streams are read whenever they are selected)"
    ]
    assert not run.records


def _summary(stderr: str) -> list[str]:
    lines = stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if "| INFO " in line and "Run summary:" in line)
    table = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith("  "):
            break
        table.append(line)
    return table


def test_every_run_ends_with_a_summary_table(default_run: TapRun) -> None:
    table = _summary(default_run.stderr)
    rows = {}
    bookmarks = {}
    for line in table[2:]:
        match = re.match(r"  (\w+)\s+(\d+|-)\s+([\d,]+)  (.*)$", line)
        if match:
            key = (match.group(1), match.group(2))
            rows[key] = int(match.group(3).replace(",", ""))
            bookmarks[key] = match.group(4)
    # rows per stream and division = the records the run emitted, tombstones (#16: deletions
    # sent to their own stream) left out: the summary counts the rows read from Exact
    emitted: dict[tuple[str, str], int] = {}
    for stream, records in default_run.records.items():
        for record in records:
            if record.get("_sdc_deleted_at") is not None:
                continue
            division = "-" if stream == "divisions" else str(record["Division"])
            emitted[(stream, division)] = emitted.get((stream, division), 0) + 1
    assert {k: v for k, v in rows.items() if v} == emitted
    # the bookmark each partition moved to = the final STATE
    final = default_run.state["bookmarks"]["transaction_lines"]["partitions"]
    for partition in final:
        key = ("transaction_lines", str(partition["context"]["Division"]))
        assert bookmarks[key] == f"Timestamp -> {partition['replication_key_value']}"
    assert bookmarks[("journals", "3100001")] == "full table"
    # API calls used and left today, per division
    calls = {m.group(1): (int(m.group(2).replace(",", "")), int(m.group(3).replace(",", "")))
             for m in (re.match(r"  division (\d+): ([\d,]+) API calls this run, ([\d,]+) left "
                                r"today", line) for line in table) if m}
    assert set(calls) == {"3100001", "3100018"}
    assert all(used > 0 and left > 0 for used, left in calls.values())
    assert table[0].endswith(f"{sum(emitted.values()):,} rows, "
                             f"{sum(u for u, _ in calls.values()):,} API calls")


def test_incremental_run_summary_says_unchanged(tapbox: SandboxProcess, tmp_path: Path,
                                                default_run: TapRun) -> None:
    run = run_tap(tmp_path, tap_config(tapbox, tmp_path, all_divisions=True),
                  streams={"gl_accounts"}, state=default_run.state)

    assert run.returncode == 0, run.stderr[-2000:]
    table = _summary(run.stderr)
    gl = [line for line in table if line.startswith("  gl_accounts ")]
    assert len(gl) == 2
    assert all(re.search(r"\s0  Timestamp \d+ \(unchanged\)$", line) for line in gl), gl


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"divisions": [3100001, 3999999]},
         r"tap-exactonline: gl_classifications: division 3999999: HTTP 403 \(Reason: \w+\)"),
        ({"refresh_token": "revoked-refresh-token"},
         r"tap-exactonline: Exact Online rejected the refresh token .*exactonline auth login"),
    ],
    ids=["division-403", "refresh-token-rejected"],
)
def test_handled_error_is_one_line(tapbox: SandboxProcess, tmp_path: Path,
                                   overrides: dict[str, Any], expected: str) -> None:
    config = tap_config(tapbox, tmp_path, **overrides)
    if "refresh_token" in overrides:
        config["token_store_path"] = str(tmp_path / "empty-store.fernet")
    run = run_tap(tmp_path, config, streams={"gl_classifications"})

    assert run.returncode == 1
    assert "An unhandled error occurred" not in run.stderr
    assert "Traceback" not in run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert re.match(expected, last), last


def test_bare_cli_in_a_project_sub_folder_reads_the_project_store_and_names_the_others(
    tmp_path: Path,
) -> None:
    """Item 3: run bare, `exactonline auth status` uses the project's store (not the current
    folder's) and, finding it empty, names the project's other stores of the app."""
    project = tmp_path / "project"
    (project / "transform").mkdir(parents=True)
    (project / "meltano.yml").write_text("default_environment: dev\n")
    client = "33333333-4444-5555-6666-777777777777"
    other = project / ".meltano" / "exactonline" / "dev" / f"token-{client}-0a1b2c3d.fernet"
    other.parent.mkdir(parents=True)
    other.write_bytes(b"not read")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TAP_", "MELTANO_"))}
    env.update({"TAP_EXACTONLINE_CLIENT_ID": client, "TAP_EXACTONLINE_CLIENT_SECRET": "s",
                "TAP_EXACTONLINE_TOKEN_STORE_KEY": "k",
                "TAP_EXACTONLINE_BASE_URL": "http://127.0.0.1:9"})
    exe = Path(tap_executable()).with_name("exactonline")
    proc = subprocess.run([str(exe), "auth", "status", "--offline"], cwd=project / "transform",
                          env=env, capture_output=True, text=True, timeout=60, check=False)

    assert proc.returncode == 1
    looked_at = project / ".meltano" / "exactonline"
    assert f"Token store: {looked_at}/token-{client}-" in proc.stdout
    assert not (project / "transform" / ".meltano").exists()
    error = proc.stderr.strip().splitlines()
    assert len(error) == 1
    assert "holds no tokens" in error[0]
    assert str(other) in error[0]
    assert "TAP_EXACTONLINE_TOKEN_STORE_PATH" in error[0]
