"""The stream families, and one stream class per row of the stream table (CONTRACTS §1).

Families (base classes carry the behaviour; the rows of
:data:`tap_exactonline.streamtable.CATALOG` are declarations):

* :class:`SyncStream` -- ``sync/*`` endpoints, 1000 rows a page, replication key
  ``Timestamp`` (Exact's row version: Int64, unique and strictly increasing per division;
  fact sheet §5), ``$filter=Timestamp gt {N}L``. Rows arrive in ascending Timestamp order, so
  STATE is emitted after every page and an interrupted sync resumes where it stopped.
* :class:`ModifiedStream` -- bulk and standard endpoints without a sync twin, replication key
  ``Modified``, ``$filter=Modified ge datetime'...'`` in Amsterdam local time; ``ge`` so rows
  sharing the bookmark's Modified value are read again rather than skipped. Pages come in key
  order, not Modified order, so the bookmark never passes the moment the read started
  (Exact's clock, less :data:`MODIFIED_SAFETY_MARGIN`): a row changed on an already-read page
  while later pages were read is read again next run.
* :class:`FullTableStream` -- small reference tables, read in full every run.
* :class:`SnapshotStream` -- Exact's reports (ReportingBalance, opening balances, the ``read/``
  open-item and aging lists): read in full every run, each record stamped with
  ``SnapshotTakenAt`` (when the tap read it), since a report describes the administration at
  that moment only; the latest snapshot per division is the current one.

Replication per endpoint follows the fact sheet's order of preference: ``sync/`` (Timestamp,
deletions from sync/Deleted) > ``bulk/`` > ``Modified ge`` > full table.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import typing as t
from functools import cached_property

from singer_sdk import SchemaDirectory, StreamSchema

from tap_exactonline import odata, reference, schemas
from tap_exactonline.client import ExactOnlineStream
from tap_exactonline.fulltabledeletions import WRITTEN_MARKER, encode_key
from tap_exactonline.streamtable import (
    CATALOG,
    SPECS,
    STREAM_OF_ENTITY_TYPE,
    TAP_FIELDS,
    StreamSpec,
)
from tap_exactonline.tombstones import DELETED_AT, TombstoneWriter

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

_SCHEMAS = SchemaDirectory(schemas)
#: How far a Modified bookmark stays below the moment its read started (Exact's ``Date``
#: header of the first page): clock skew between Exact's web and database servers and the
#: whole-second resolution of ``Date``. Rows changed in this window are read again next run.
MODIFIED_SAFETY_MARGIN = dt.timedelta(minutes=5)
_SIGNPOST = "replication_key_signpost"  # the SDK's cap of a bookmark (singer_sdk state)


class CatalogStream(ExactOnlineStream):
    """A stream declared by a :class:`StreamSpec` row."""

    spec: StreamSpec

    @property
    def extra_fields(self) -> frozenset[str]:  # type: ignore[override]
        """Fields the tap adds that Exact's endpoint lacks (``Division`` of Currencies, ...)."""
        extra = {name for name in TAP_FIELDS if name in self.schema["properties"]}
        if "Division" not in reference.entities()[self.spec.reference]["fields"]:
            extra.add("Division")
        return frozenset(extra)


class SyncStream(CatalogStream):
    """``sync/*`` endpoint read by ``Timestamp gt N`` (fact sheet §5)."""

    replication_key = "Timestamp"
    is_sorted = True

    def prepare_partition(self, context: Context | None, division: int) -> None:
        """Resolve the partition's starting Timestamp before its first page."""
        self._start_timestamp = self.starting_timestamp(context, division)

    def starting_timestamp(self, context: Context | None, division: int) -> int:
        """The Timestamp to read after: bookmark, else start_date via SyncTimestamp, else 1.

        A changed ``DivisionMoveDate`` (Exact regenerated every Timestamp of the division,
        fact sheet §5) drops the bookmark with a WARNING, so the stream starts over.
        """
        state = self.get_context_state(context)
        bookmark = (
            state.get("replication_key_value")
            if state.get("replication_key") == self.replication_key
            else None
        )
        moves = self.run.division_move_dates(division)
        move_date = moves.get(division)
        seen = state.get("division_move_date")
        if division in moves and "division_move_date" in state and move_date != seen:
            if bookmark is not None:
                self.logger.warning(
                    "%s: division %s moved (DivisionMoveDate %s, was %s): Exact regenerated "
                    "its Timestamps, so this stream starts over",
                    self.name,
                    division,
                    move_date,
                    seen,
                )
            state.pop("replication_key_value", None)
            state.pop("replication_key", None)
            bookmark = None
        if division in moves:
            state["division_move_date"] = move_date
        if bookmark is not None:
            return int(bookmark)
        start_date = self.config.get("start_date")
        if start_date and self.spec.sync_timestamp_endpoint:
            return self.run.sync_timestamp(division, self.spec.sync_timestamp_endpoint, start_date)
        return 1

    def query_options(self, context: Context | None) -> dict[str, t.Any]:
        """``$select`` + ``$filter=Timestamp gt {N}L``."""
        options = super().query_options(context)
        options["$filter"] = f"Timestamp gt {odata.int64_literal(self._start_timestamp)}"
        return options

    def after_page(self) -> None:
        """Emit STATE after each page: the bookmark is the page's last (highest) Timestamp."""
        self._write_state_message()

    def check_record(self, record: dict[str, t.Any]) -> None:
        """Also refuse a Timestamp that is not an integer (it would become the bookmark).

        A string of digits is taken as the integer it spells (fact sheet §4: whether Exact
        ever quotes an Int64 is unverified).

        Raises:
            odata.BadValue: ``Timestamp`` is missing, not an integer, or negative.
        """
        super().check_record(record)
        value = record.get("Timestamp")
        if isinstance(value, str) and value.isdigit():
            value = record["Timestamp"] = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise odata.BadValue("Timestamp", value, "the Timestamp is not an Int64")


class DeletedStream(SyncStream):
    """``sync/Deleted``: one row per deleted sync row, with our ``stream_name`` added.

    Each row written is also written as a tombstone into its stream when that stream is
    selected (see ``tombstones``).
    """

    @cached_property
    def tombstones(self) -> TombstoneWriter:
        """Writes tombstones into the tap's selected streams."""
        return TombstoneWriter(self._tap.streams)

    def _write_record_message(self, record: dict[str, t.Any]) -> None:
        """Write the deletion, then its tombstone into the stream it belonged to."""
        super()._write_record_message(record)
        name = STREAM_OF_ENTITY_TYPE.get(record.get("EntityType") or -1)
        if name is not None:
            self.tombstones.write(name, SPECS[name].key, record)

    def convert(self, row: t.Mapping[str, t.Any], division: int) -> dict[str, t.Any]:
        """Add ``stream_name`` from ``EntityType`` (null for types we have no stream for)."""
        record = super().convert(row, division)
        if "stream_name" in record:
            record["stream_name"] = STREAM_OF_ENTITY_TYPE.get(record.get("EntityType") or -1)
        return record


class ModifiedStream(CatalogStream):
    """Endpoint read by ``Modified ge datetime'...'`` (Amsterdam local time, fact sheet §4).

    The bookmark is the highest ``Modified`` read, capped at the moment the partition's read
    started: Exact's ``Date`` header of its first page (the tap's clock when Exact sends
    none) less :data:`MODIFIED_SAFETY_MARGIN`. Pages come in key order, so a row on an
    already-read page that changes while later pages are read has a ``Modified`` below the
    later rows'; the cap keeps the bookmark below it (the SDK's replication-key signpost).

    Exact keeps no deletion log for these endpoints; with ``delete_detection`` the keys this
    stream emits are recorded and reconciled with :meth:`list_keys` (``deletedetection``).
    """

    replication_key = "Modified"
    is_sorted = False
    _listing_keys = False
    _read_started: dt.datetime | None = None

    @property
    def key_field(self) -> str:
        """Exact's key of the rows (``ID``, ``EntryID``)."""
        return self.spec.key

    def list_keys(self, division: int) -> set[str]:
        """Every key the endpoint serves in ``division`` now, from one complete listing.

        ``$select=<key>``, no ``$filter``, paged like the stream (1000 rows a page on bulk,
        60 elsewhere), through the run's rate limiter, daily reserve and page checks.

        Raises:
            DailyLimitReached: The division's calls (less the reserve) ran out mid-listing.
            ExactOnlineAPIError: Exact answered 4xx.
            PageLoopError: A ``__next`` link led back to a page already listed.
        """
        context: Context = {"Division": division}
        self._current_division = division
        self._pages_read = set()
        self._read_started = None  # the listing leaves the bookmark's cap alone
        self._listing_keys = True
        try:
            # records_of yields keys, not records, while listing
            return set(t.cast("t.Iterable[str]", self.request_records(context)))
        finally:
            self._listing_keys = False

    def key_listing_options(self) -> dict[str, t.Any]:
        """OData query options of the key listing."""
        return {"$select": self.key_field}

    def records_of(self, rows: list[dict[str, t.Any]], division: int) -> t.Iterable[dict]:
        """The page's records (see :meth:`rows_to_records`), or its keys while listing."""
        if self._listing_keys:
            return self.listed_keys(rows)  # type: ignore[return-value]
        return self.rows_to_records(rows, division)

    def rows_to_records(self, rows: list[dict[str, t.Any]], division: int
                        ) -> t.Iterable[dict]:
        """Convert and check the rows of one page (the base class's ``records_of``)."""
        return super().records_of(rows, division)

    def listed_keys(self, rows: list[dict[str, t.Any]]) -> t.Iterator[str]:
        """Keys on one page of the key listing.

        Raises:
            odata.BadValue: A row without its key (the page is retried, never half-used).
        """
        key = self.key_field
        for row in rows:
            if not isinstance(row, dict) or row.get(key) is None:
                raise odata.BadValue(key, None, "the row has no value for its key")
            yield str(row[key])

    def _write_record_message(self, record: dict[str, t.Any]) -> None:
        """Write the record; with ``delete_detection`` for this stream, record its key."""
        super()._write_record_message(record)
        detection = self.run.delete_detection
        if (detection is not None and detection.records_keys_of(self.name)
                and record.get(DELETED_AT) is None):
            detection.record(self.name, record["Division"], record.get(self.key_field))

    def query_options(self, context: Context | None) -> dict[str, t.Any]:
        """``$select`` + ``$filter=Modified ge datetime'...'`` from the bookmark/start_date."""
        if self._listing_keys:
            return self.key_listing_options()
        options = super().query_options(context)
        start = self.get_starting_timestamp(context)
        if start is not None:
            options["$filter"] = f"Modified ge {odata.amsterdam_filter_datetime(start)}"
        return options

    def prepare_partition(self, context: Context | None, division: int) -> None:
        """Note the tap's clock before the first page (used when Exact sends no ``Date``)."""
        self._partition_context = context
        self._read_started = dt.datetime.now(dt.timezone.utc)

    def validate_response(self, response: t.Any) -> None:
        """Check the page; on the partition's first page, cap the bookmark (see class)."""
        super().validate_response(response)
        started = getattr(self, "_read_started", None)
        if started is None:
            return
        self._read_started = None
        served = _date_header(response.headers.get("Date")) or started
        cap = (served - MODIFIED_SAFETY_MARGIN).replace(microsecond=0)
        state = self.get_context_state(self._partition_context)
        state[_SIGNPOST] = cap.isoformat()


def _date_header(value: str | None) -> dt.datetime | None:
    """An HTTP ``Date`` header as an aware UTC datetime, or None when absent or unreadable."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


class ExpandedLinesStream(ModifiedStream):
    """Lines without ``Modified``, read with their entries: ``{entries}?$expand={Lines}``.

    The entries endpoint is filtered by its own ``Modified``; every line of each entry read is
    emitted with ``EntryModified`` (the entry's Modified, the replication key). An entry whose
    lines changed comes back whole, with all its current lines.
    """

    replication_key = "EntryModified"

    @property
    def navigation(self) -> str:
        """Navigation property of the entries endpoint holding the lines."""
        return str(self.spec.expand)

    @cached_property
    def select_list(self) -> str:
        """Entry key and ``Modified`` plus ``Lines/Field`` for each selected line field."""
        lines = [f for f in self.selected_fields if f not in self.extra_fields]
        return ",".join([self.entry_key, "Modified", *(f"{self.navigation}/{f}" for f in lines)])

    @property
    def plan(self) -> tuple[tuple[str, t.Any], ...]:
        """Line fields only: ``EntryModified`` comes from the entry (see parse_response)."""
        if self._plan_cache is None:
            self._plan_cache = tuple(p for p in super().plan if p[0] != "EntryModified")
        return self._plan_cache

    @cached_property
    def entry_key(self) -> str:
        """Key of the entries endpoint (``EntryID``)."""
        return next(s.key for s in CATALOG if s.endpoint == self.spec.endpoint and not s.expand)

    def query_options(self, context: Context | None) -> dict[str, t.Any]:
        """Entries' ``$select``/``$filter`` plus ``$expand`` of the lines."""
        options = super().query_options(context)
        options["$expand"] = self.navigation
        return options

    def key_listing_options(self) -> dict[str, t.Any]:
        """Every entry with the keys of its lines: ``$select=EntryID,Lines/ID&$expand=Lines``."""
        return {"$select": f"{self.entry_key},{self.navigation}/{self.key_field}"}

    def listed_keys(self, rows: list[dict[str, t.Any]]) -> t.Iterator[str]:
        """Keys of the lines of every entry on one page of the key listing.

        Raises:
            odata.BadValue: Unreadable lines, or a line without its key.
        """
        for entry in rows:
            for line in self._lines(entry):
                if line.get(self.key_field) is None:
                    raise odata.BadValue(self.key_field, None, "the line has no key")
                yield str(line[self.key_field])

    def _lines(self, entry: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
        """The expanded lines of one entry.

        Raises:
            odata.BadValue: The lines are not a list of objects.
        """
        expanded = entry.get(self.navigation) or {}
        lines = expanded.get("results", []) if isinstance(expanded, dict) else expanded
        if not isinstance(lines, list):
            raise odata.BadValue(self.navigation, lines, "the expanded lines are not a list")
        for line in lines:
            if not isinstance(line, dict):
                raise odata.BadValue(self.navigation, line, "a line is not an object")
        return lines

    def rows_to_records(self, rows: list[dict[str, t.Any]], division: int
                        ) -> t.Iterable[dict]:
        """The converted lines of every entry on the page, each with ``EntryModified``.

        Raises:
            odata.BadValue: An entry's ``Modified`` or its lines are unreadable, or a line
                has no key.
        """
        for entry in rows:
            modified = entry.get("Modified")
            try:
                entry_modified = odata.moment_to_utc(modified) if modified else None
            except (ValueError, OverflowError):
                raise odata.BadValue("Modified", modified, "not a /Date(ms)/ moment") from None
            for line in self._lines(entry):
                record = self.convert(line, division)
                record["EntryModified"] = entry_modified
                self.check_record(record)
                yield record


class FullTableStream(CatalogStream):
    """Small reference table, read in full every run.

    With ``emit_activate_version_messages`` (singer-sdk's setting) the stream sends
    ACTIVATE_VERSION before its records, so targets that support it drop the rows of earlier
    versions: rows Exact no longer has. The message replaces the whole table, every division,
    so it is sent only when the run reads every division the table holds: not with an
    explicit ``divisions`` list (a subset, e.g. a per-division run), not when a division of
    the run has stopped (daily limit) before the stream starts.

    With ``full_table_tombstones`` each complete read of a division is compared with the
    previous one, and a tombstone follows the division's rows for every key that is gone
    (``fulltabledeletions``): the way to a current table on targets that ignore
    ACTIVATE_VERSION and in per-division runs.
    """

    #: Whether an empty complete read may mean that every row is gone (see
    #: ``fulltabledeletions``): not for reference tables, yes for Exact's reports.
    empty_read_is_valid = False

    @property
    def emit_activate_version_messages(self) -> bool:
        """singer-sdk's setting, held back when this run may not cover every division."""
        if not super().emit_activate_version_messages:
            return False
        if self.config.get("divisions") and not self.config.get("all_divisions"):
            self.logger.info("%s: no ACTIVATE_VERSION: `divisions` may name a subset of the "
                             "divisions in the table", self.name)
            return False
        stopped = [d for d in self.run.divisions if self.run.division_stopped(d)]
        if stopped:
            self.logger.warning("%s: no ACTIVATE_VERSION this run: division(s) %s stopped, "
                                "their rows must stay", self.name, stopped)
            return False
        return True

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """The division's rows; with ``full_table_tombstones``, then its tombstones."""
        deletions = self.run.full_table_deletions
        if deletions is None:
            yield from super().get_records(context)
            return
        fields = self.primary_keys
        keys: set[str] = set()
        for record in super().get_records(context):
            keys.add(encode_key(record, fields))
            yield record
        if not self.read_complete:
            return
        division = self.division_of(context) if self.partitioned else 0
        state = self.get_context_state(context)
        modified = "Modified" in self.schema["properties"]
        for tombstone in deletions.settle(self.name, division, keys, fields, state,
                                          empty_is_valid=self.empty_read_is_valid):
            if modified:  # the deletion moment: the row's latest version in an append-only load
                tombstone["Modified"] = tombstone[DELETED_AT]
            yield tombstone

    def _write_record_message(self, record: dict[str, t.Any]) -> None:
        """Write the record; after a tombstone, note it in the partition's STATE.

        The marker (``tombstones_written``) reaches the target with the next STATE, so the
        next run knows which tombstones a committed STATE covers (``fulltabledeletions``).
        """
        super()._write_record_message(record)
        deleted_at = record.get(DELETED_AT)
        if deleted_at is not None:
            context = {"Division": record["Division"]} if self.partitioned else None
            self.get_context_state(context)[WRITTEN_MARKER] = [
                deleted_at, encode_key(record, self.primary_keys)]


class SnapshotStream(FullTableStream):
    """One of Exact's reports, read in full; every record gets ``SnapshotTakenAt``.

    ``SnapshotTakenAt`` is the moment (UTC, ISO-8601) the tap asked for the partition's first
    page, the same on every record of a division's snapshot.
    """

    empty_read_is_valid = True

    def prepare_partition(self, context: Context | None, division: int) -> None:
        """Note the moment this division's snapshot is taken."""
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        self._snapshot_taken_at = now.isoformat()

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        """Stamp the record with the snapshot moment."""
        if "SnapshotTakenAt" in self.schema["properties"]:
            row["SnapshotTakenAt"] = self._snapshot_taken_at
        return row


class DivisionsStream(FullTableStream):
    """``system/Divisions``: every division the user may access, read once (not partitioned).

    ``Division`` is set to the row's own ``Code``.
    """

    partitioned = False

    def convert(self, row: t.Mapping[str, t.Any], division: int) -> dict[str, t.Any]:
        """Division = Code."""
        record = super().convert(row, division)
        record["Division"] = record.get("Code")
        return record


_FAMILY: dict[str, type[CatalogStream]] = {
    "sync": SyncStream,
    "modified": ModifiedStream,
    "full_table": FullTableStream,
    "snapshot": SnapshotStream,
}
_SPECIAL: dict[str, type[CatalogStream]] = {
    "deleted": DeletedStream,
    "divisions": DivisionsStream,
}
for _spec in CATALOG:
    if _spec.expand:
        _SPECIAL[_spec.name] = ExpandedLinesStream


def _class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) + "Stream"


def _declare(spec: StreamSpec) -> type[CatalogStream]:
    base = _SPECIAL.get(spec.name) or _FAMILY[spec.family]
    attrs: dict[str, t.Any] = {
        "__doc__": f"``{spec.endpoint}`` ({spec.family}, key {' + '.join(spec.primary_keys)}).",
        "__module__": __name__,
        "spec": spec,
        "name": spec.name,
        "path": spec.endpoint,
        "endpoint": spec.endpoint,
        "primary_keys": spec.primary_keys,
        "selected_by_default": not spec.opt_in,
        "schema": StreamSchema(_SCHEMAS),
    }
    return type(_class_name(spec.name), (base,), attrs)


STREAM_TYPES: tuple[type[CatalogStream], ...] = tuple(_declare(spec) for spec in CATALOG)
#: Replication key per stream: ``Timestamp``, ``Modified``, ``EntryModified``; None = full table.
REPLICATION_KEYS: dict[str, str | None] = {
    cls.spec.name: (cls.replication_key if isinstance(cls.replication_key, str) else None)
    for cls in STREAM_TYPES
}
#: Streams read only when the ``opt_in_streams`` setting lists them (personal data).
OPT_IN_STREAMS: frozenset[str] = frozenset(spec.name for spec in CATALOG if spec.opt_in)
globals().update({cls.__name__: cls for cls in STREAM_TYPES})
