"""Delete detection for the Modified family: key reconciliation against a ledger of keys.

Exact logs deletions only for ``sync/*`` endpoints (``sync/Deleted``, fact sheet §5); a payment,
receivable, entry or invoice deleted in Exact simply stops being served by its bulk or
standard endpoint. For each stream named in the ``delete_detection`` setting the tap therefore

1. records every key it emits for that stream in the key ledger (``keyledger``), on every run;
2. after the stream's incremental read (when ``delete_detection_pass`` is on, the default),
   per division: lists Exact's current keys (``$select=<key>`` on the stream's own endpoint,
   through the stream's paginator, the run's rate limiter and daily reserve, like every call),
   and only when that listing is complete writes one tombstone record per key that is in the
   ledger but no longer at Exact (``Division``, the key, ``_sdc_deleted_at`` and the replication
   key (``Modified``; ``EntryModified`` for lines) = when the listing finished, UTC;
   ``tombstones.key_tombstone``) and removes those keys from the ledger. The
   first pass of a (division, stream) also adds every listed key (it *seeds* the ledger with
   rows loaded before recording began); with an empty ledger it emits nothing.

A listing that stops (daily limit, 4xx, network) emits nothing and changes nothing; the next
pass lists again. Cost per stream and division: ceil(rows / page size) calls (1000 a page on
``bulk/*``, 60 elsewhere; docs/tap.md "Delete detection").
"""

from __future__ import annotations

import datetime as dt
import threading
import typing as t
from http import HTTPStatus

from tap_exactonline.api import ExactOnlineAPIError, ExactOnlineError, PageLoopError
from tap_exactonline.keyledger import KeyLedger
from tap_exactonline.ratelimit import DailyLimitReached
from tap_exactonline.tombstones import DELETED_AT, key_tombstone

if t.TYPE_CHECKING:
    from tap_exactonline.run import Run


class KeyListingStream(t.Protocol):
    """What a stream offers delete detection (``streams.ModifiedStream``)."""

    name: str
    selected: bool
    replication_key: str

    @property
    def key_field(self) -> str:
        """Exact's key of the rows (``ID``, ``EntryID``)."""

    def list_keys(self, division: int) -> set[str]:
        """Every key Exact serves in ``division`` now (one complete listing)."""

    def _write_schema_message(self) -> None: ...

    def _write_record_message(self, record: dict[str, t.Any]) -> None: ...


class DeleteDetection:
    """The ``delete_detection`` setting of one run: key recording and the detection passes.

    Args:
        run: The run (settings, divisions, failures).
        streams: The tap's streams by name.
        allowed: Names of the streams delete detection may name (the Modified family).

    Raises:
        ExactOnlineError: ``delete_detection`` names a stream outside ``allowed`` (one line).
    """

    def __init__(self, run: Run, streams: t.Mapping[str, t.Any], allowed: t.Iterable[str]
                 ) -> None:
        self.run = run
        self.names: list[str] = list(run.config.get("delete_detection") or [])
        allowed = sorted(allowed)
        wrong = [n for n in self.names if n not in allowed]
        if wrong:
            raise ExactOnlineError(
                f"delete_detection: {', '.join(wrong)} is not a stream Exact keeps no deletion "
                f"log for; name some of {', '.join(allowed)} (sync streams get their deletions "
                "from sync/Deleted, full-table streams use ACTIVATE_VERSION)"
            )
        self.streams = streams
        self.passes = bool(run.config.get("delete_detection_pass", True))
        self._ledger: KeyLedger | None = None
        self._opening = threading.Lock()
        #: Tombstones written per stream in this run.
        self.written: dict[str, int] = {}

    @property
    def enabled(self) -> bool:
        """Whether any stream is named."""
        return bool(self.names)

    @property
    def ledger(self) -> KeyLedger:
        """The run's key ledger, opened on first use.

        Full-table tombstones use it too, from the division readers' threads, so it is
        opened once, under a lock.
        """
        with self._opening:
            if self._ledger is None:
                self._ledger = KeyLedger.from_settings(self.run.config, self.run.base_url)
            return self._ledger

    def records_keys_of(self, stream: str) -> bool:
        """Whether the keys ``stream`` emits go into the ledger."""
        return stream in self.names

    def record(self, stream: str, division: int, key: t.Any) -> None:
        """Remember that the tap emitted ``key`` of ``stream`` in ``division``."""
        if key is not None:
            self.ledger.record(division, stream, key)

    # -- the passes -----------------------------------------------------------------------------
    def run_passes(self) -> None:
        """Reconcile every named, selected stream in every division that was not stopped.

        Raises:
            KeyLedgerError: The ledger cannot be read or written.
            Exception: A network or 5xx error that outlived the retries (nothing emitted for
                the stream and division it happened in).
        """
        if not self.enabled:
            return
        self.ledger.flush()
        if not self.passes:
            self.run.logger.info("delete detection: keys recorded for %s; no pass this run "
                                 "(delete_detection_pass is off)", ", ".join(self.names))
            return
        for name in self.names:
            stream = t.cast("KeyListingStream", self.streams[name])
            if not stream.selected:
                self.run.logger.info("delete detection: %s is not selected: no pass", name)
                continue
            for division in self.run.divisions:
                if self.run.division_stopped(division):
                    self.run.logger.info("delete detection: %s, division %s skipped "
                                         "(stopped earlier)", name, division)
                    continue
                self._pass(stream, division)

    def _pass(self, stream: KeyListingStream, division: int) -> None:
        """One (stream, division): list, then tombstones for keys that disappeared."""
        started = dt.datetime.now(dt.timezone.utc)
        try:
            current = stream.list_keys(division)
        except DailyLimitReached as exc:
            self.run.stop_division(
                division,
                f"delete detection: {stream.name}, division {division}: daily API limit "
                f"reached (reserve {self.run.config.get('daily_call_reserve', 0)}) before "
                f"the key listing was complete; nothing emitted, it resets at "
                f"{exc.resets_at.isoformat()}",
            )
            return
        except ExactOnlineAPIError as exc:
            self.run.record_failure(f"delete detection: {exc}")
            if exc.status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
                self.run.stop_division(division, None)
            return
        except PageLoopError as exc:  # an incomplete listing: nothing is emitted
            self.run.record_failure(f"delete detection: {exc}")
            return
        listed_at = dt.datetime.now(dt.timezone.utc)
        ledger = self.ledger
        known = ledger.keys(division, stream.name)
        if not current and known:
            # An empty listing would tombstone every row: with hard delete, the whole table.
            # Exact answering an empty list for an administration that had rows is far more
            # likely a wrong answer than every row deleted, so nothing is emitted.
            self.run.logger.warning(
                "delete detection: %s, division %s: Exact listed no keys while %d were "
                "loaded; no tombstones written (if every row really was deleted, delete the "
                "rows in the warehouse and this stream's keys from %s)",
                stream.name, division, len(known), ledger.location)
            return
        gone = sorted(known - current)
        seeding = ledger.last_pass(division, stream.name) is None
        if gone:
            stream._write_schema_message()  # targets accept SCHEMA again before the tombstones
            deleted_at = listed_at.isoformat().replace("+00:00", "Z")
            for key in gone:
                record = key_tombstone(division, stream.key_field, key, deleted_at)
                # The replication key (Modified, EntryModified) = the deletion moment, so the
                # tombstone is the row's latest version in an append-only load too.
                record[stream.replication_key] = deleted_at
                stream._write_record_message(record)
            ledger.remove(division, stream.name, gone)
            self.written[stream.name] = self.written.get(stream.name, 0) + len(gone)
        if seeding:
            ledger.add(division, stream.name, current)
        ledger.mark_pass(division, stream.name, listed_at)
        self.run.logger.info(
            "delete detection: %s, division %s: %d keys at Exact, %d deleted (tombstones)%s "
            "in %.1f s",
            stream.name, division, len(current), len(gone),
            "; ledger seeded from the listing" if seeding else "",
            (listed_at - started).total_seconds(),
        )

    def close(self) -> None:
        """Write the buffered keys and close the ledger (if it was opened)."""
        if self._ledger is not None:
            self._ledger.close()


def is_tombstone(record: t.Mapping[str, t.Any]) -> bool:
    """Whether ``record`` is a tombstone (``_sdc_deleted_at`` set), not a row."""
    return record.get(DELETED_AT) is not None
