"""Every sync stream's deletions reach ``deleted`` under that stream's name, key by key.

One row of each sync stream is deleted in the sandbox; an incremental run of ``deleted`` must
bring one tombstone per deleted key, naming exactly the stream the row left (``stream_name``)
with the EntityType code Exact's reference list gives that entity. The expected names come from
the reference (``exact_sync_bulk_endpoints.json``) and the sandbox's endpoint of each stream,
never from the tap's own table.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from exactonline_sandbox import catalog
from tests.support.oracle import canonical, differences, expected_by_key, key_of, stream_key
from tests.support.oracle import stream_of_entity_type as reference_streams
from tests.support.sandbox import SandboxProcess
from tests.tap.helpers import run_tap, tap_config

SYNC_STREAMS = sorted(s for s, ep in catalog.BY_STREAM.items()
                      if ep.family == "sync" and s != "deleted")


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    proc = SandboxProcess(seed=4, divisions=1, rows=300, no_limits=True)
    proc.start(log_dir=tmp_path_factory.mktemp("deletions"))
    yield proc
    proc.stop()


def test_every_sync_stream_has_an_entity_type_in_the_reference() -> None:
    assert sorted(set(reference_streams().values())) == SYNC_STREAMS


def test_a_deleted_row_is_named_by_its_own_stream(box: SandboxProcess, tmp_path: Path) -> None:
    division = 3100001
    config = tap_config(box, tmp_path, divisions=[division])
    before = run_tap(tmp_path / "before", config, streams={"deleted"})
    assert before.returncode == 0, before.stderr[-3000:]

    deleted: dict[str, set[str]] = {}
    for stream in SYNC_STREAMS:
        answer = box.mutate({"division": division, "stream": stream, "action": "delete",
                             "count": 1})
        deleted[stream] = {c["ID"] for c in answer["changed"] if c["stream"] == stream}
        assert deleted[stream], stream
        # the row left exactly this stream
        key = stream_key(stream)  # ID, or EntryID for subscriptions and goods deliveries
        assert not deleted[stream] & {r[key] for r in canonical(box, division, stream)}

    run = run_tap(tmp_path / "after", config, streams={"deleted"}, state=before.state)
    assert run.returncode == 0, run.stderr[-3000:]
    tombstones = {r["EntityKey"]: r for r in run.records["deleted"]}
    code_of = {stream: code for code, stream in reference_streams().items()}
    wrong = []
    for stream, keys in deleted.items():
        for key in sorted(keys):
            got = tombstones.get(key)
            if got is None or (got["stream_name"], got["EntityType"]) != (stream, code_of[stream]):
                wrong.append(f"{stream} {key}: {None if got is None else got['stream_name']} "
                             f"(EntityType {None if got is None else got['EntityType']})")
    assert not wrong, "deletions named by the wrong stream:\n" + "\n".join(wrong)
    # nothing else changed: the new tombstones are exactly the sandbox's new deletion rows
    truth = expected_by_key(box, [division], "deleted")
    new = {key_of("deleted", r): r for r in run.records["deleted"]}
    old = {key_of("deleted", r) for r in before.records["deleted"]}
    assert not differences("deleted", {k: v for k, v in truth.items() if k not in old}, new,
                           exact_fields=True)
