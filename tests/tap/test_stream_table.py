"""The stream table (tap_exactonline/streamtable.py) against the contract it implements.

Each row is checked against sources that are not the table itself: the README's "Streams"
table (what users are promised), the sandbox's endpoint catalog (Exact's endpoints, families
and page sizes, fact sheet §4-6), and Exact's reference lists (``exact_sync_bulk_endpoints.json``:
the sync/Deleted EntityType codes; the SyncTimestamp endpoints of fact sheet §5). Fast and
in-process, so it also kills most mutants of the table quickly (``make mutants``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from exactonline_sandbox import catalog
from tap_exactonline import reference
from tap_exactonline.reference import sync_bulk_endpoints
from tap_exactonline.streams import STREAM_TYPES
from tap_exactonline.streamtable import (
    CATALOG,
    DELETE_DETECTION_STREAMS,
    SPECS,
    STREAM_OF_ENTITY_TYPE,
)
from tap_exactonline.tap import TapExactOnline

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| `(\w+)` \| `([^`]+)`(?: with `\$expand=(\w+)`)? \| ([^|]+) \| "
                 r"`Division`, ((?:`\w+`, )*`\w+`) \| ([^|]+) \|$")


def readme_streams() -> dict[str, dict[str, str]]:
    """The README's Streams table: stream -> endpoint, expand, replication, key, page size."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index("## Streams"):text.index("- Records carry")]
    out = {}
    for line in table.splitlines():
        match = ROW.match(line.strip())
        if match:
            name, endpoint, expand, replication, key, page = match.groups()
            out[name] = {"endpoint": endpoint, "expand": expand or "",
                         "replication": replication.strip(),
                         "key": tuple(k.strip("` ") for k in key.split(",")),
                         "page": page.strip()}
    return out


def test_the_readme_lists_exactly_the_streams() -> None:
    assert list(readme_streams()) == [spec.name for spec in CATALOG]


@pytest.mark.parametrize("spec", CATALOG, ids=lambda s: s.name)
def test_each_stream_is_what_the_readme_promises(spec) -> None:
    row = readme_streams()[spec.name]
    assert spec.endpoint == row["endpoint"]
    assert (spec.expand or "") == row["expand"]
    assert (*spec.extra_keys, spec.key) == row["key"]
    replication = {"sync": "INCREMENTAL, `Timestamp gt N`",
                   "full_table": "FULL_TABLE",
                   "snapshot": "FULL_TABLE, snapshot (`SnapshotTakenAt`)"}.get(spec.family)
    if spec.expand:
        assert row["replication"].startswith("INCREMENTAL on `EntryModified`")
    elif replication:
        assert row["replication"] == replication
    else:
        assert row["replication"] == "INCREMENTAL, `Modified ge datetime'…'`"
    assert row["page"] in (str(spec.page_size), f"{spec.page_size} entries")
    cls = next(c for c in STREAM_TYPES if c.name == spec.name)
    assert cls.primary_keys == ("Division", *spec.extra_keys, spec.key)
    if spec.family not in ("full_table", "snapshot"):
        want = "Timestamp" if spec.family == "sync" else (
            "EntryModified" if spec.expand else "Modified")
        assert cls.replication_key == want


@pytest.mark.parametrize("spec", CATALOG, ids=lambda s: s.name)
def test_each_stream_reads_the_sandbox_endpoint_of_its_name(spec) -> None:
    """The sandbox serves each tap stream by name (DESIGN: public contract); same entity."""
    served = catalog.BY_STREAM[spec.name]
    if spec.expand:  # lines come with their entries: the entries endpoint, the lines entity
        child, _parent_key, _child_key = catalog.EXPANDS[(spec.endpoint, spec.expand)]
        assert catalog.lookup(child) is served
    else:
        assert spec.endpoint == served.path
        assert spec.page_size == served.page_size
    assert spec.reference == served.ref
    assert spec.key == served.key
    assert spec.family == {"sync": "sync"}.get(served.family, spec.family)
    assert (spec.family == "sync") == (served.family == "sync")


def test_entity_types_are_exacts_codes() -> None:
    """sync/Deleted EntityType of each sync stream = Exact's code for its entity (docs)."""
    codes = {name: int(code)
             for code, name in sync_bulk_endpoints()["deleted_entity_types"].items()}
    for spec in CATALOG:
        if spec.family != "sync" or spec.name == "deleted":
            assert spec.entity_type is None, spec.name
            continue
        entity = spec.endpoint.rsplit("/", 1)[-1]
        assert spec.entity_type == codes[entity], spec.name
    want = {codes[s.endpoint.rsplit("/", 1)[-1]]: s.name
            for s in CATALOG if s.entity_type is not None}
    assert want == STREAM_OF_ENTITY_TYPE


def test_sync_timestamp_seeds_exactly_the_supported_endpoints() -> None:
    """start_date goes through read/sync/Sync/SyncTimestamp where Exact supports it (§5)."""
    for spec in CATALOG:
        entity = spec.endpoint.rsplit("/", 1)[-1]
        supported = spec.family == "sync" and entity in catalog.SYNC_TIMESTAMP_ENDPOINTS
        assert spec.sync_timestamp_endpoint == (entity if supported else None), spec.name


def test_stream_names_are_unique_snake_case() -> None:
    assert len(SPECS) == len(CATALOG)
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", name) for name in SPECS)


def test_delete_detection_names_exactly_the_streams_read_by_modified() -> None:
    """README: the Modified streams have no deletion log; sync/Deleted and full tables do."""
    by_modified = {name for name, row in readme_streams().items()
                   if "Modified ge" in row["replication"]}
    assert sorted(DELETE_DETECTION_STREAMS) == sorted(by_modified)


def test_only_the_personal_data_stream_is_left_out_of_discovery_selection() -> None:
    """README: ``employees`` (payroll) is opt-in; discovery marks it not selected by default."""
    tap = TapExactOnline(config={"client_id": "x", "client_secret": "y", "region": "uk"},
                         parse_env_config=False)
    unselected = {entry["tap_stream_id"] for entry in tap.catalog_dict["streams"]
                  for item in entry["metadata"] if not item["breadcrumb"]
                  and item["metadata"].get("selected-by-default") is False}
    assert unselected == {"employees"}


def test_select_asks_exact_for_exactly_the_schema_fields_its_endpoint_has() -> None:
    """``$select`` never names a field the tap adds (Exact would answer 400), and names every
    field of the schema that Exact's entity has (``Division`` only where Exact has it)."""
    tap = TapExactOnline(config={"client_id": "x", "client_secret": "y", "region": "uk"},
                         parse_env_config=False)
    for spec in CATALOG:
        if spec.opt_in:  # not selected by default: only its keys
            continue
        stream = tap.streams[spec.name]
        exact = set(reference.entities()[spec.reference]["fields"])
        asked = [f.rsplit("/", 1)[-1] for f in stream.select_list.split(",")]
        if spec.expand:  # the entry's key and Modified, then the lines' fields
            asked = asked[2:]
        assert set(asked) == exact & set(stream.schema["properties"]), spec.name
