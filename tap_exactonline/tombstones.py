"""Deletions as Singer tombstones: ``sync/Deleted`` rows turned into records of their own stream.

Exact removes a deleted row from its ``sync/*`` endpoint and logs the deletion in
``sync/Deleted`` (``EntityKey``, ``EntityType``, ``DeletedDate``, its own ``Timestamp``; fact
sheet §5). The ``deleted`` stream keeps that log as it is; in addition, each deletion whose
EntityType belongs to a selected stream reaches that stream as a *tombstone*: a record with the
stream's key (``Division`` + ``ID``), ``Timestamp`` = the deletion's Timestamp and
``_sdc_deleted_at`` = ``DeletedDate`` in UTC, every other field null. Targets delete the row
(``hard_delete``) or keep it with ``_sdc_deleted_at`` set (soft delete), the Singer convention
(singer-sdk ``SQLSink.soft_delete_column_name``).

Order: ``deleted`` is read before the streams it reports on, division by division, so a
division's tombstones are written before any row of that division's streams in the same run.
Every row a later stream read returns is current (Exact serves no deleted rows), so a row
deleted and re-created since the last run arrives after its tombstone and ends current, and
no older version of a row can follow its tombstone.
"""

from __future__ import annotations

import datetime as dt
import typing as t

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream

#: The stream of sync/Deleted: read first, its rows become tombstones of other streams.
DELETIONS_STREAM = "deleted"
#: The Singer column that marks a deleted row (singer-sdk ``SQLSink.soft_delete_column_name``).
DELETED_AT = "_sdc_deleted_at"
#: How singer-sdk declares ``_sdc_deleted_at`` (``Sink._add_sdc_metadata_to_schema``).
DELETED_AT_SCHEMA: dict[str, t.Any] = {
    "type": ["null", "string"],
    "format": "date-time",
    "description": "When the row was deleted in Exact (UTC): set on tombstone records only.",
}


def tombstone(deletion: t.Mapping[str, t.Any], key: str) -> dict[str, t.Any] | None:
    """The tombstone record of one converted ``sync/Deleted`` row, or None without a key.

    Args:
        deletion: A ``deleted`` record (``Division``, ``EntityKey``, ``Timestamp``,
            ``DeletedDate`` as ISO-8601 UTC; a missing DeletedDate becomes now).
        key: The key field of the stream the deleted row belonged to (``ID``).

    Returns:
        ``{"Division": n, key: EntityKey, "Timestamp": N, "_sdc_deleted_at": "...Z"}``.
    """
    entity_key = deletion.get("EntityKey")
    if entity_key is None or deletion.get("Division") is None:
        return None
    deleted_at = deletion.get("DeletedDate") or dt.datetime.now(dt.timezone.utc).isoformat()
    record = key_tombstone(deletion["Division"], key, entity_key, deleted_at)
    record["Timestamp"] = deletion.get("Timestamp")
    return record


def key_tombstone(division: int, key: str, value: t.Any, deleted_at: str) -> dict[str, t.Any]:
    """The tombstone of one row: ``{"Division": n, key: value, "_sdc_deleted_at": deleted_at}``.

    Used as is for the Modified family (delete detection: ``deleted_at`` is when the key
    listing that missed the row finished); :func:`tombstone` adds the deletion's Timestamp.
    """
    return {"Division": division, key: value, DELETED_AT: deleted_at}


def deletions_first(streams: t.Iterable[Stream]) -> list[Stream]:
    """``streams`` in their order, with ``deleted`` moved to the front (see the module doc)."""
    return sorted(streams, key=lambda stream: stream.name != DELETIONS_STREAM)


class TombstoneWriter:
    """Writes tombstones into their streams (through each stream's maps and message writer).

    The first tombstone of a stream is preceded by that stream's SCHEMA; the stream writes its
    SCHEMA again when its own sync begins, which targets accept. Tombstones leave the stream's
    bookmarks alone: its rows are still read from its own Timestamp bookmark.
    """

    def __init__(self, streams: t.Mapping[str, Stream]) -> None:
        """Tombstones go to ``streams`` (name -> stream) that are selected."""
        self._streams = streams
        self._schema_written: set[str] = set()
        self.written: dict[str, int] = {}

    def write(self, stream_name: str | None, key: str, deletion: t.Mapping[str, t.Any]) -> None:
        """Write the tombstone of ``deletion`` to ``stream_name`` when that stream is selected."""
        stream = self._streams.get(stream_name or "")
        if stream is None or not stream.selected:
            return
        record = tombstone(deletion, key)
        if record is None:
            return
        if stream.name not in self._schema_written:
            self._schema_written.add(stream.name)
            stream._write_schema_message()  # the SDK's SCHEMA writer
        stream._write_record_message(record)  # through the stream's maps
        self.written[stream.name] = self.written.get(stream.name, 0) + 1
