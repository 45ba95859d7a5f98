"""A ``'*'`` stream map with a stream of the catalog deselected (meltano/sdk#1942).

singer-sdk 0.54.9 registered a deselected stream with its empty selected schema, so the key
check of a ``'*'`` map failed the whole run before extracting ("Property 'Division' was not
detected in schema"). The tap registers deselected streams with their full schema instead.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.sandbox import SandboxProcess
from tests.tap.helpers import expected_records, run_tap, tap_config

AUDIT_STREAM_MAPS = {
    "*": {
        "_source": "'exact_online'",
        "_record_key": "str(Division) + ':' + str(record.get('ID') or record.get('EntryID') "
        "or record.get('Code'))",
    }
}
SELECTED = {"gl_classifications", "accounts"}


def test_star_stream_map_with_a_deselected_stream(tapbox: SandboxProcess, tmp_path: Path) -> None:
    config = tap_config(tapbox, tmp_path, stream_maps=AUDIT_STREAM_MAPS)
    run = run_tap(tmp_path, config, streams=SELECTED)  # employees and the rest deselected

    assert run.returncode == 0, run.stderr[-2000:]
    assert set(run.records) == SELECTED
    assert "employees" not in run.schemas
    for stream in SELECTED:
        properties = run.schemas[stream]["properties"]
        assert {"_source", "_record_key", "Division", "ID"} <= set(properties), stream
        records = run.records[stream]
        division = records[0]["Division"]
        truth = {r["ID"] for r in expected_records(tapbox, division, stream)}
        assert truth, stream
        assert {r["ID"] for r in records} == truth, stream
        for record in records:
            assert record["_source"] == "exact_online"
            assert record["_record_key"] == f"{record['Division']}:{record['ID']}"


def test_map_naming_a_deselected_stream(tapbox: SandboxProcess, tmp_path: Path) -> None:
    maps = {"employees": {"slug": "str(ID)", "__key_properties__": ["Division", "ID"]}}
    config = tap_config(tapbox, tmp_path, stream_maps=maps)
    run = run_tap(tmp_path, config, streams={"gl_classifications"})

    assert run.returncode == 0, run.stderr[-2000:]
    assert set(run.records) == {"gl_classifications"}
    assert "slug" not in run.schemas["gl_classifications"]["properties"]
